// The DE benchmark in headless Chromium (results go to BENCHMARKS.md; nothing here asserts a time): a data file
// and a prediction, both h5ad cells, from choosing the files to the run's end, with the DE passes timed from
// the run's own progress, and the worker's peak wasm memory (wasm memory never shrinks: the last report is the
// peak). Make the files first (BENCHMARKS.md names the sizes used):
//   python3 scripts/make-big-h5ad.py /tmp/de_data.h5ad --cells 100000 --perturbations 200 --gzip --seed 1
//   python3 scripts/make-big-h5ad.py /tmp/de_pred.h5ad --cells 100000 --perturbations 200 --gzip --seed 2
// Run after `trunk build --release`: node tests/e2e/bench-de.mjs [DATA.h5ad PREDICTION.h5ad]
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { ROOT, launch, openPage, waitForState } from "./harness.mjs";
import { serve } from "./serve.mjs";

const [data, prediction] = process.argv.length > 3 ? process.argv.slice(2, 4) : ["/tmp/de_data.h5ad", "/tmp/de_pred.h5ad"];
const sizes = await Promise.all([data, prediction].map(async (file) => (await stat(file)).size / 1e6));
console.log(`files: ${data} ${sizes[0].toFixed(0)} MB, ${prediction} ${sizes[1].toFixed(0)} MB`);

const server = await serve(join(ROOT, "dist"));
const origin = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
const page = await openPage(browser, origin);
await page.goto(origin);
await page.waitForSelector("h1");
const start = Date.now();
await page.setInputFiles('[data-testid="file-input"]', [data, prediction]);
await page.waitForFunction(() => document.querySelectorAll('[data-testid="file-card"] [data-testid="role"]').length === 2, null, { timeout: 600000 });
const read = Date.now() - start;
const predictionName = prediction.split("/").pop();
await page.selectOption(`[data-testid="file-card"][data-file-name="${predictionName}"] [data-testid="role"]`, "predictions");
// Each step's first appearance, noted in the page as the status changes.
await page.evaluate(() => {
  window.steps = [];
  const status = document.querySelector('[data-testid="status"]');
  new MutationObserver(() => {
    const step = status.textContent.replace(/ \(\d+\/\d+\)$/, "");
    if (window.steps.at(-1)?.step !== step) window.steps.push({ step, at: performance.now() });
  }).observe(status, { subtree: true, childList: true, characterData: true });
});
const runStart = await page.evaluate(() => performance.now());
await page.click('[data-testid="run"]');
const state = await waitForState(page, ["done", "error"], 900000);
const runEnd = await page.evaluate(() => performance.now());
const steps = await page.evaluate(() => window.steps);
const memory = Number(await page.getAttribute('[data-testid="status"]', "data-wasm-memory"));
const de = steps.filter((s) => s.step.includes("differential expression"));
const afterDe = steps.find((s) => s.at > (de.at(-1)?.at ?? Infinity) && !s.step.includes("differential expression"));
const deTime = de.length ? ((afterDe?.at ?? runEnd) - de[0].at) / 1000 : NaN;
console.log(`state ${state}; files read (pseudobulk) ${(read / 1000).toFixed(1)} s; run ${((runEnd - runStart) / 1000).toFixed(1)} s, ` +
  `of which the DE passes ${deTime.toFixed(1)} s; peak wasm memory ${(memory / 1e6).toFixed(0)} MB`);
for (const s of steps) console.log(`  ${((s.at - runStart) / 1000).toFixed(1)} s  ${s.step}`);
await page.waitForSelector('[data-testid="conventions-table"]', { timeout: 600000 });
console.log(`conventions shown ${((await page.evaluate(() => performance.now()) - runEnd) / 1000).toFixed(1)} s after done`);
await browser.close();
server.close();
