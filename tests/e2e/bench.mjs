// Page benchmarks in headless Chromium (results go to BENCHMARKS.md; nothing here asserts a time):
// - first render of the page on localhost;
// - file drop → results for a generated 19,264 genes × 225 conditions pseudobulk CSV (≈ 40 MB) with two
//   prediction files, and the longest main-thread task meanwhile;
// - the Conventions panel: from the results to its table (every convention of every point, in the worker);
// - the observed-vs-predicted plot: from picking a new perturbation to the plot drawn;
// - wasm + JS transferred, gzip-compressed.
// Run after `trunk build --release`: node tests/e2e/bench.mjs
import { readFile, readdir, mkdtemp } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { ROOT, launch, openPage, waitForState } from "./harness.mjs";
import { writeBenchTables } from "./bench-data.mjs";
import { serve } from "./serve.mjs";

const dir = await mkdtemp(join(tmpdir(), "perturb-bench-"));
const files = await writeBenchTables(dir);
const sizes = await Promise.all(files.map(async (file) => (await readFile(file)).length / 1e6));
console.log(`generated ${sizes.map((s) => s.toFixed(1) + " MB").join(" + ")}`);

let transferred = 0;
for (const name of await readdir(join(ROOT, "dist"))) {
  if (/\.(wasm|js)$/.test(name)) {
    const gz = gzipSync(await readFile(join(ROOT, "dist", name)), { level: 9 }).length;
    transferred += gz;
    console.log(`  ${name}: ${(gz / 1e6).toFixed(3)} MB gzip`);
  }
}
console.log(`wasm + JS transferred (gzip): ${(transferred / 1e6).toFixed(2)} MB`);

const server = await serve(join(ROOT, "dist"));
const origin = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
for (let round = 1; round <= 3; round++) {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.waitForSelector("h1");
  const render = await page.evaluate(() => performance.now());
  const fcp = await page.evaluate(() => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN);
  await page.evaluate(() => {
    window.longest = 0;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => { window.longest = Math.max(window.longest, e.duration); }))
      .observe({ type: "longtask", buffered: false });
  });
  const start = Date.now();
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="role"]').length === 3, null, { timeout: 60000 });
  const read = Date.now() - start;
  await page.click('[data-testid="run"]');
  await waitForState(page, ["done"], 120000);
  await page.waitForSelector('[data-testid="leaderboard"] tbody tr');
  const total = Date.now() - start;
  // The Conventions panel: every point under every convention, asked of the worker after `done`.
  await page.waitForSelector('[data-testid="conventions-table"]', { timeout: 120000 });
  const conventions = Date.now() - start - total;
  const longest = await page.evaluate(() => window.longest);
  // The observed-vs-predicted plot: a new perturbation is answered from the run the worker kept.
  const controls = '[data-testid="detail-controls"]';
  await page.waitForFunction((c) => document.querySelector(c)?.dataset.shown, controls, { timeout: 60000 });
  const names = await page.$$eval('[data-testid="detail-perturbation"] option', (options) => options.map((o) => o.value));
  // Timed in the page, from the change event of the select to the moment the plot's `data-drawn` count
  // rises (a MutationObserver notes it), so the benchmark's own polling is not counted.
  const figure = 'figure[data-drawn]:has(canvas[aria-label^="Predicted"])';
  await page.evaluate((f) => {
    document.addEventListener("change", () => { window.pickedAt = performance.now(); }, true);
    new MutationObserver(() => { window.drawnAt = performance.now(); })
      .observe(document.querySelector(f), { attributes: true, attributeFilter: ["data-drawn"] });
  }, figure);
  const detailTimes = [];
  for (const name of names.slice(1, 6)) {
    const before = await page.$eval(figure, (f) => Number(f.dataset.drawn));
    await page.selectOption('[data-testid="detail-perturbation"]', name);
    await page.waitForFunction(([c, n, f, b]) => document.querySelector(c)?.dataset.shown === n &&
      Number(document.querySelector(f)?.dataset.drawn) > b, [controls, name, figure, before], { timeout: 60000 });
    detailTimes.push(await page.evaluate(() => window.drawnAt - window.pickedAt));
  }
  console.log(`round ${round}: first render ${render.toFixed(0)} ms (first contentful paint ${fcp.toFixed(0)} ms); ` +
    `drop → files read ${read} ms, → results ${total} ms, conventions ${conventions} ms after; longest main-thread task ${longest.toFixed(0)} ms; ` +
    `detail of a new perturbation ${detailTimes.map((t) => t.toFixed(0)).join(", ")} ms`);
  await page.context().close();
}
await browser.close();
server.close();
