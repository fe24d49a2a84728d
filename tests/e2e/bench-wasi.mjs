// Runs a wasm32-wasip1 benchmark program (e.g. examples/bench_engine.rs) inside headless Chromium, in a
// dedicated Web Worker as the page's engine runs, so that its timings are those of the browser's V8 and not of
// Node's older one (scripts/run-wasi.mjs). A minimal WASI preview1 shim: arguments, no environment, stdout and
// stderr forwarded line by line, clocks, random bytes; no file system (every other call answers ENOSYS).
// Usage: node tests/e2e/bench-wasi.mjs path/to/program.wasm   (scripts/bench-wasm.sh --chromium builds and runs it)
import { basename, dirname, resolve } from "node:path";
import { launch } from "./harness.mjs";
import { serve } from "./serve.mjs";

const program = process.argv[2];
if (!program) {
  console.error("usage: node tests/e2e/bench-wasi.mjs program.wasm");
  process.exit(2);
}
const server = await serve(dirname(resolve(program)));
const origin = `http://127.0.0.1:${server.address().port}/`;

const WORKER = `
let memory;
const view = () => new DataView(memory.buffer);
const text = new TextDecoder();
const pending = { 1: "", 2: "" };
function flush(fd, all) {
  const lines = pending[fd].split("\\n");
  pending[fd] = all ? "" : lines.pop();
  for (const line of all ? lines.filter((l) => l !== "") : lines) postMessage({ fd, line });
}
class Exit { constructor(code) { this.code = code; } }
const ENOSYS = 52, EBADF = 8;
const wasi = {
  args_sizes_get(count, size) { view().setUint32(count, 1, true); view().setUint32(size, 6, true); return 0; },
  args_get(argv, buffer) {
    view().setUint32(argv, buffer, true);
    new Uint8Array(memory.buffer, buffer, 6).set([98, 101, 110, 99, 104, 0]);
    return 0;
  },
  environ_sizes_get(count, size) { view().setUint32(count, 0, true); view().setUint32(size, 0, true); return 0; },
  environ_get() { return 0; },
  fd_write(fd, iovs, count, written) {
    if (fd !== 1 && fd !== 2) return EBADF;
    let total = 0;
    for (let i = 0; i < count; i++) {
      const pointer = view().getUint32(iovs + 8 * i, true), length = view().getUint32(iovs + 8 * i + 4, true);
      pending[fd] += text.decode(new Uint8Array(memory.buffer, pointer, length));
      total += length;
    }
    flush(fd, false);
    view().setUint32(written, total, true);
    return 0;
  },
  fd_fdstat_get(fd, stat) {
    if (fd > 2) return EBADF;
    new Uint8Array(memory.buffer, stat, 24).fill(0);
    view().setUint8(stat, 2);
    return 0;
  },
  fd_prestat_get() { return EBADF; },
  fd_close() { return 0; },
  clock_time_get(id, precision, time) {
    const nanoseconds = id === 0 ? (performance.timeOrigin + performance.now()) * 1e6 : performance.now() * 1e6;
    view().setBigUint64(time, BigInt(Math.round(nanoseconds)), true);
    return 0;
  },
  random_get(buffer, length) {
    for (let at = 0; at < length; at += 65536) {
      crypto.getRandomValues(new Uint8Array(memory.buffer, buffer + at, Math.min(65536, length - at)));
    }
    return 0;
  },
  sched_yield() { return 0; },
  proc_exit(code) { throw new Exit(code); },
};
const imports = { wasi_snapshot_preview1: new Proxy(wasi, {
  get: (target, name) => target[name] ?? (() => ENOSYS),
}) };
onmessage = async ({ data }) => {
  let code = 0;
  try {
    const { instance } = await WebAssembly.instantiateStreaming(fetch(data), imports);
    memory = instance.exports.memory;
    instance.exports._start();
  } catch (error) {
    if (error instanceof Exit) code = error.code;
    else { postMessage({ fd: 2, line: String(error && error.stack || error) }); code = 1; }
  }
  flush(1, true); flush(2, true);
  postMessage({ exit: code });
};
`;

const browser = await launch();
const page = await (await browser.newContext()).newPage();
await page.goto(origin + "missing"); // any page of the origin: the worker fetches the program from it
const version = browser.version();
console.log(`Chromium ${version}, hardwareConcurrency ${await page.evaluate(() => navigator.hardwareConcurrency)}`);
await page.exposeFunction("report", ({ fd, line }) => (fd === 2 ? console.error(line) : console.log(line)));
const code = await page.evaluate(async ({ source, wasm }) => {
  const worker = new Worker(URL.createObjectURL(new Blob([source], { type: "text/javascript" })));
  return new Promise((done) => {
    worker.onmessage = ({ data }) => (data.exit !== undefined ? done(data.exit) : window.report(data));
    worker.onerror = (event) => { window.report({ fd: 2, line: event.message }); done(1); };
    worker.postMessage(new URL(wasm, location.href).href);
  });
}, { source: WORKER, wasm: basename(program) });
await browser.close();
server.close();
process.exitCode = code;
