// The streaming h5ad reader in headless Chromium (results go to BENCHMARKS.md; nothing here asserts a time).
// Each file given is chosen in the page's file picker; the time runs from the choice until its card shows the
// pseudobulk, and the worker's wasm memory is read from the card (its peak while reading).
// Make files with scripts/make-big-h5ad.py, build with `trunk build --release`, then:
//   node tests/e2e/bench-h5ad.mjs FILE.h5ad [FILE.h5ad ...]
import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { ROOT, launch, openPage } from "./harness.mjs";
import { serve } from "./serve.mjs";

const server = await serve(join(ROOT, "dist"));
const origin = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
for (const file of process.argv.slice(2)) {
  const size = (await stat(file)).size;
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.waitForSelector("h1");
  const card = `[data-testid="file-card"][data-file-name="${basename(file)}"]`;
  const start = Date.now();
  await page.setInputFiles('[data-testid="file-input"]', [file]);
  await page.waitForSelector(`${card} [data-testid="cells-matrix"], ${card} [role="alert"]`, { timeout: 1_800_000 });
  const seconds = (Date.now() - start) / 1000;
  const error = await page.$(`${card} [role="alert"]`);
  if (error) throw new Error(`${file}: ${await error.textContent()}`);
  const memory = Number(await page.getAttribute(card, "data-wasm-memory"));
  const shape = await page.textContent(`${card} .facts dd`);
  console.log(`${basename(file)}: ${(size / 1e9).toFixed(2)} GB in ${seconds.toFixed(1)} s = ` +
    `${(size / 1e6 / seconds).toFixed(0)} MB/s; peak wasm memory ${(memory / 1e6).toFixed(0)} MB; ${shape}`);
  await page.context().close();
}
await browser.close();
server.close();
