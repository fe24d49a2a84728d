// End-to-end tests of the page in headless Chromium. Run by scripts/test.sh after `trunk build --release`:
//   node tests/e2e/app.test.mjs      (E2E_ONLY=substring runs matching tests only)
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { serve } from "./serve.mjs";
import {
  ROOT, SCREENSHOTS, assert, close, download, externalRequests, leaderboard, openPage, parseCsv, run, screenshot, test, waitForState,
} from "./harness.mjs";

const fixture = (path) => join(ROOT, "tests", "fixtures", path);
const NORMAN_METHODS = ["additive_model", "cpa", "gears", "geneformer", "no_change", "scbert", "scfoundation", "scgpt", "uce"];

async function csvRecords(path) { return parseCsv(await readFile(path, "utf8")); }
const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;

/** The leaderboard's mean L2 and Pearson delta per method, computed from reference rows over common points. */
function expectedSummary(records) {
  const methods = [...new Set(records.map((r) => r.method))];
  const keys = (method) => new Set(records.filter((r) => r.method === method).map((r) => `${r.seed}|${r.perturbation}`));
  const common = methods.map(keys).reduce((a, b) => new Set([...a].filter((k) => b.has(k))));
  return Object.fromEntries(methods.map((method) => {
    const rows = records.filter((r) => r.method === method && common.has(`${r.seed}|${r.perturbation}`));
    const deltas = rows.filter((r) => r.pearson_delta !== "").map((r) => Number(r.pearson_delta));
    return [method, { n: rows.length, l2: mean(rows.map((r) => Number(r.l2))), delta: deltas.length ? mean(deltas) : null }];
  }));
}

async function checkAgainstReference(page, referenceCsv) {
  const expected = expectedSummary(await csvRecords(fixture(referenceCsv)));
  const shown = await leaderboard(page);
  for (const [method, values] of Object.entries(expected)) {
    assert(shown[method], `leaderboard lacks ${method}`);
    assert(Number(shown[method].n) === values.n, `${method}: n ${shown[method].n} vs ${values.n}`);
    assert(shown[method].mean === values.l2.toFixed(3), `${method}: mean L2 ${shown[method].mean} vs ${values.l2.toFixed(3)}`);
    if (values.delta !== null) assert(shown[method].delta === values.delta.toFixed(3), `${method}: Pearson delta`);
  }
}


/** The verdict names the leaderboard's best method, and every number it quotes is the leaderboard's. */
async function checkVerdict(page) {
  await page.waitForSelector('[data-testid="verdict"] li');
  const shown = await leaderboard(page);
  const best = Object.entries(shown).reduce((a, b) => (Number(b[1].mean) < Number(a[1].mean) ? b : a));
  const named = await page.getAttribute('[data-testid="verdict"]', "data-best");
  assert(named === best[0], `the verdict names ${named}, the leaderboard's best is ${best[0]}`);
  const statements = await page.$$eval('[data-testid="verdict"] li', (items) => items.map((item) => item.textContent));
  assert(statements.length >= 1 && statements.length <= 4, `${statements.length} statements`);
  assert(statements[0].includes(best[1].mean), `"${statements[0]}" lacks the best mean L2 ${best[1].mean}`);
  for (const statement of statements) {
    const ratio = statement.match(/^(\S+) predicts .* L2 ([0-9.]+)× the \S+'s \[([0-9.]+), ([0-9.]+)\]/);
    if (ratio) assert(shown[ratio[1]].ratio === `${ratio[2]} [${ratio[3]}, ${ratio[4]}]`, `${statement} vs ${shown[ratio[1]].ratio}`);
  }
  // After a run the verdict is scrolled into view.
  const top = await page.$eval('[data-testid="verdict"]', (element) => element.getBoundingClientRect().top);
  assert(top >= -1 && top < page.viewportSize().height / 2, `the verdict is at ${top}px`);
  return statements;
}

test("simulated demo runs and shows the engine's leaderboard", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=simulated");
  assert(await waitForState(page) === "done", "the demo did not finish");
  await checkAgainstReference(page, "reference/demo_simulated_results.csv");
  const shown = await leaderboard(page);
  assert(Object.keys(shown).join() === "no_change,additive,mean,shrunk_additive_model", Object.keys(shown).join());
  // The shipped model (0.7 × additive + noise) passes the integrity checks that apply to it.
  const audits = await page.$$eval('[data-testid="audits"] tbody tr',
    (rows) => rows.map((row) => ({ method: row.children[0].textContent, check: row.dataset.check, passed: row.dataset.passed })));
  for (const check of ["spread", "mean shift", "genes", "conditions"]) {
    const audit = audits.find((a) => a.method === "shrunk_additive_model" && a.check === check);
    assert(audit?.passed === "true", `${check}: ${JSON.stringify(audits)}`);
  }
  const statements = await checkVerdict(page);
  assert(statements.some((text) => text.startsWith("shrunk_additive_model predicts double perturbations")), statements.join(" | "));
  assert(statements.some((text) => /genetic interactions/.test(text)), "an interaction statement");
  await screenshot(page, "demo-simulated");
  assert(externalRequests(page).length === 0, `external requests: ${externalRequests(page)}`);
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("papalexi demo compares mean and linear model on GEARS' split", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=papalexi");
  assert(await waitForState(page) === "done", "the demo did not finish");
  await checkAgainstReference(page, "reference/papalexi_results.csv");
  await checkVerdict(page);
  await screenshot(page, "demo-papalexi");
});

test("norman demo equals the published values to 3 decimals", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=norman");
  assert(await waitForState(page) === "done", "the demo did not finish");
  const published = await csvRecords(fixture("norman2019_cebpe_cebpb/published_metrics.csv"));
  const shown = await leaderboard(page);
  for (const record of published) {
    const method = record.method === "no_change" ? "no_change_uploaded" : record.method;
    const row = shown[method];
    assert(row, `no row for ${method}`);
    assert(row.mean === Number(record.l2).toFixed(3), `${method}: L2 ${row.mean} vs published ${record.l2}`);
    assert(row.publishedL2 === Number(record.l2).toFixed(3), `${method}: published column`);
    if (record.pearson_delta) assert(row.delta === Number(record.pearson_delta).toFixed(3), `${method}: Pearson delta`);
  }
  await checkVerdict(page);
  await screenshot(page, "demo-norman");
});

test("uploaded fixture files give the native results, and results.csv matches", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  const files = [fixture("norman2019_cebpe_cebpb/pseudobulk.csv"),
    ...NORMAN_METHODS.map((m) => fixture(`norman2019_cebpe_cebpb/predictions/${m}.csv`))];
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="file-card"] [data-testid="role"]').length === 10);
  const dataRole = await page.$eval('[data-testid="file-card"][data-file-name="pseudobulk.csv"] [data-testid="role"]', (s) => s.value);
  assert(dataRole === "data", `pseudobulk.csv has role ${dataRole}`);
  await screenshot(page, "files-added");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run did not finish");
  const { name, text } = await download(page, "export-results");
  assert(name === "results.csv", name);
  const rows = parseCsv(text);
  assert(Object.keys(rows[0]).slice(0, 8).join() === "dataset,seed,method,perturbation,split,l2,pearson_delta,pearson", "header");
  const published = await csvRecords(fixture("norman2019_cebpe_cebpb/published_metrics.csv"));
  for (const record of published) {
    const method = record.method === "no_change" ? "no_change_uploaded" : record.method;
    const row = rows.find((r) => r.method === method);
    assert(row && row.perturbation === "CEBPE+CEBPB" && row.split === "all" && row.dataset === "pseudobulk", `row of ${method}`);
    close(Number(row.l2), Number(record.l2), 1e-5, `${method} l2`);
    if (record.pearson_delta) close(Number(row.pearson_delta), Number(record.pearson_delta), 1e-6, `${method} pearson_delta`);
    else assert(row.pearson_delta === "", `${method}: pearson_delta should be empty`);
  }
  const overlap = await page.textContent('[data-file-name="gears.csv"] [data-testid="gene-overlap"]');
  assert(overlap === "Genes: 1000 of the data's 1000 matched; 0 missing, 0 extra", overlap);
  await screenshot(page, "results-uploaded");
});

test("a malformed file shows an alert and a following valid run still works", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [{ name: "broken.csv", mimeType: "text/csv",
    buffer: Buffer.from("gene,ctrl,A+ctrl\nG1,1,2\nG2,1\n") }]);
  const alert = await page.waitForSelector('[data-file-name="broken.csv"] [role="alert"]');
  const message = await alert.textContent();
  assert(message.includes("broken.csv") && message.includes("line 3"), `alert: ${message}`);
  await screenshot(page, "malformed-file");
  await page.click('[data-file-name="broken.csv"] button[title="Remove this file"]');
  await page.setInputFiles('[data-testid="file-input"]', [fixture("norman2019_cebpe_cebpb/pseudobulk.csv"),
    fixture("norman2019_cebpe_cebpb/predictions/gears.csv")]);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="role"]').length === 2);
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the valid run did not finish");
  assert((await leaderboard(page)).gears.mean === "6.459", "gears L2");
});

test("a run error is shown as an alert next to the run button", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  // Predictions for conditions the data do not have.
  await page.setInputFiles('[data-testid="file-input"]', [
    { name: "pseudobulk.csv", mimeType: "text/csv", buffer: await readFile(fixture("norman2019_cebpe_cebpb/pseudobulk.csv")) },
    { name: "other.csv", mimeType: "text/csv", buffer: Buffer.from("gene,KLF1+ctrl\nRPS2,1\n") }]);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="role"]').length === 2);
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "error", "expected an error");
  const message = await page.textContent('.run-bar [role="alert"]');
  assert(message.includes("other.csv") && message.includes("none of the prediction's 1 conditions"), message);
});

/** A pseudobulk of `genes` × (ctrl + singles + doubles) as CSV, from a fixed-seed generator. */
function generatedPseudobulk(genes, singles, doubles) {
  let state = 12345;
  const random = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
  const conditions = ["ctrl", ...Array.from({ length: singles }, (_, i) => `G${i}+ctrl`),
    ...Array.from({ length: doubles }, (_, i) => `G${i % singles}+G${(i % singles + 1 + 17 * Math.floor(i / singles)) % singles}`)];
  const lines = ["gene," + conditions.join(",")];
  for (let g = 0; g < genes; g++) {
    const base = random() * 3;
    lines.push(`G${g},` + conditions.map(() => (base + random() * 0.2).toFixed(6)).join(","));
  }
  return Buffer.from(lines.join("\n") + "\n");
}

test("cancel returns to idle and a new run completes", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [{ name: "big.csv", mimeType: "text/csv", buffer: generatedPseudobulk(19264, 100, 124) }]);
  await page.waitForSelector('[data-testid="role"]', { timeout: 60000 });
  await page.click('[data-testid="run"]');
  await page.waitForSelector('[data-testid="status"][data-state="running"]');
  await page.click('[data-testid="cancel"]');
  assert(await page.getAttribute('[data-testid="status"]', "data-state") === "idle", "cancel did not return to idle");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run after cancelling did not finish");
  assert(Number((await leaderboard(page)).additive.n) === 310, "310 evaluated doubles");
});

test("no request leaves the origin and a CSP forbids other origins", async ({ browser, origin }) => {
  // The leak this test attempts is refused, and Chromium logs the refusal.
  const page = await openPage(browser, origin, { expectedErrors: [/Content Security Policy/, /example\.org/] });
  await page.goto(origin + "?demo=simulated");
  await waitForState(page);
  const policy = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (meta) => meta.content);
  assert(policy.includes("connect-src 'self'") && policy.includes("default-src 'self'"), policy);
  const violation = await page.evaluate(() => new Promise((resolve) => {
    document.addEventListener("securitypolicyviolation", (event) => resolve(event.violatedDirective), { once: true });
    fetch("https://example.org/leak").catch(() => {});
    setTimeout(() => resolve("none"), 2000);
  }));
  assert(violation === "connect-src", `an external fetch was not blocked by the CSP (${violation})`);
  assert(externalRequests(page).length === 0, `external requests: ${externalRequests(page)}`);
});

test("settings travel in the URL hash and through settings.json", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.click("details.settings > summary");
  await page.fill('[data-testid="setting-n-genes"]', "500");
  await page.press('[data-testid="setting-n-genes"]', "Tab");
  const hash = await page.evaluate(() => location.hash);
  assert(hash.startsWith("#settings=") && decodeURIComponent(hash).includes('"n_genes":500'), hash);
  const { name, text } = await download(page, "export-settings");
  assert(name === "settings.json" && JSON.parse(text).benchmark.n_genes === 500, text);
  const again = await openPage(browser, origin);
  await again.goto(origin + hash);
  await again.click("details.settings > summary");
  assert(await again.inputValue('[data-testid="setting-n-genes"]') === "500", "hash not restored");
  await screenshot(again, "settings");
});

test("the page fits a 390 px phone and demos work from the keyboard", async ({ browser, origin }) => {
  const page = await openPage(browser, origin, { width: 390, height: 844 });
  await page.goto(origin);
  await page.focus('[data-testid="demo-norman"] button');
  await page.keyboard.press("Enter");
  assert(await waitForState(page) === "done", "keyboard-started demo did not finish");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await screenshot(page, "phone-390");
});

test("plots: hovering names the gene, and plots and baselines export", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=simulated");
  assert(await waitForState(page) === "done", "the demo did not finish");
  const scatter = 'figure:has([data-testid="export-observed_vs_predicted-png"])';
  const info = await page.waitForSelector(`${scatter} [data-testid="hover-info"]`);
  const options = await page.$$eval('[data-testid="detail-perturbation"] option', (o) => o.length);
  assert(options === 62, `seed 1 evaluates 62 doubles, the selector offers ${options}`);
  // Genes cluster around zero change: scan the plot's middle until the pointer is on a dot.
  const canvas = await page.$(`${scatter} canvas`);
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  let named = "";
  for (let fy = 0.3; fy < 0.7 && !named.includes("observed"); fy += 0.05) {
    for (let fx = 0.4; fx < 0.65 && !named.includes("observed"); fx += 0.05) {
      await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
      named = await info.textContent();
    }
  }
  assert(/^\S+: observed -?\d+\.\d{3}, \S+ -?\d+\.\d{3}$/.test(named), `hover text: ${named}`);
  await screenshot(page, "plots-hover");
  const svg = await download(page, "export-l2_by_method-svg");
  assert(svg.name === "l2_by_method.svg" && svg.text.includes("<svg") && svg.text.includes("shrunk_additive_model"), svg.name);
  const downloads = [];
  page.on("download", (file) => downloads.push(file));
  await page.click('[data-testid="export-baselines"]');
  await page.waitForFunction(() => true);
  for (let i = 0; i < 50 && downloads.length < 6; i++) await page.waitForTimeout(100);
  const names = downloads.map((file) => file.suggestedFilename());
  const expected = ["no_change", "additive", "mean"].flatMap((m) => [`${m}_seed1_all_predictions.json`, `${m}_seed1_gene_names.json`]);
  assert([...names].sort().join() === [...expected].sort().join(), names.join());
  const downloaded = async (name) => JSON.parse(await readFile(await downloads[names.indexOf(name)].path(), "utf8"));
  const additive = await downloaded("additive_seed1_all_predictions.json");
  const genes = await downloaded("additive_seed1_gene_names.json");
  assert(Object.keys(additive).length === 62 && genes.length === 2000, "62 doubles × 2000 genes");
  assert(Object.keys(additive).every((key) => /^[^_]+_[^_]+$/.test(key)), "exchange keys A_B");
});

test("interactions: locfdr thresholds as R's, classes and AUCs as the reference, override and exports", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=simulated");
  assert(await waitForState(page) === "done", "the demo did not finish");
  await page.waitForSelector('[data-testid="interaction-classes"]');
  const thresholds = await page.textContent('[data-testid="interaction-thresholds"]');
  assert(thresholds.includes("Upper 0.2092 and lower −0.2297, from locfdr"), thresholds);
  const classes = async () => page.$$eval('[data-testid="interaction-classes"] tbody tr',
    (rows) => Object.fromEntries(rows.map((row) => [row.dataset.class, Number(row.querySelector("td").textContent)])));
  const expectedClasses = Object.fromEntries((await csvRecords(fixture("reference/demo_simulated_interactions_classes.csv")))
    .map((r) => [r.class, Number(r.n)]));
  assert(JSON.stringify(await classes()) === JSON.stringify(expectedClasses), JSON.stringify(await classes()));
  await page.locator('[data-testid="interactions"]').scrollIntoViewIfNeeded();
  await screenshot(page, "interactions");

  const exported = await download(page, "export-interactions");
  assert(exported.name === "interactions.json", exported.name);
  const json = JSON.parse(exported.text);
  assert(json.thresholds.source === "locfdr", json.thresholds.source);
  close(json.thresholds.upper, 0.209152, 1e-12, "upper threshold (R: 0.209152)");
  close(json.thresholds.lower, -0.22966, 1e-12, "lower threshold (R: -0.22966)");
  close(json.thresholds.sigma, 0.0592719643603115, 1e-9, "sigma (R)");
  assert(JSON.stringify(json.classes) === JSON.stringify(expectedClasses), JSON.stringify(json.classes));
  assert(json.tpr_fdp.length === 3 * 101, `${json.tpr_fdp.length} curve points`);
  for (const record of await csvRecords(fixture("reference/demo_simulated_interactions_auc.csv"))) {
    const auc = json.auc.find((a) => a.method === record.method && a.metric === record.metric);
    close(auc.mean, Number(record.mean), 1e-9, `${record.method} ${record.metric}`);
    close(auc.se, Number(record.se), 1e-9, `${record.method} ${record.metric} se`);
  }
  const classesCsv = parseCsv((await download(page, "export-interaction-classes")).text);
  assert(classesCsv.map((r) => `${r.class}=${r.n}`).join() === Object.entries(expectedClasses).map(([k, v]) => `${k}=${v}`).join(), "classes.csv");
  const aucCsv = (await download(page, "export-interaction-auc"));
  assert(aucCsv.name === "interaction_auc.csv" && parseCsv(aucCsv.text).length === 6, aucCsv.name);

  // Thresholds set by hand recompute at once; going back restores locfdr's.
  await page.fill('[data-testid="threshold-upper"]', "0.5");
  await page.fill('[data-testid="threshold-lower"]', "−0.5");
  await page.click('[data-testid="apply-thresholds"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="interaction-thresholds"]').textContent.includes("set by hand"));
  const manual = await classes();
  assert(manual.Additive > expectedClasses.Additive, `wider thresholds: more additive pairs (${manual.Additive})`);
  const manualJson = JSON.parse((await download(page, "export-interactions")).text);
  assert(manualJson.thresholds.source === "manual" && manualJson.thresholds.upper === 0.5 && manualJson.thresholds.lower === -0.5,
    JSON.stringify(manualJson.thresholds));
  assert(page.url().includes("settings="), "the manual thresholds are kept in the URL");
  await page.fill('[data-testid="threshold-upper"]', "-1");
  await page.click('[data-testid="apply-thresholds"]');
  assert((await page.textContent('.threshold-form + [role="alert"]')).includes("below the upper"), "a lower threshold above the upper is refused");
  await page.click('[data-testid="reset-thresholds"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="interaction-thresholds"]').textContent.includes("from locfdr"));
  assert(JSON.stringify(await classes()) === JSON.stringify(expectedClasses), "back to locfdr's classes");
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("no interactions panel without doubles", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=papalexi");
  assert(await waitForState(page) === "done", "the demo did not finish");
  await page.waitForSelector('[data-testid="leaderboard"]');
  await page.waitForTimeout(300);
  assert(await page.$('[data-testid="interactions"]') === null, "Papalexi has no doubles");
});

test("an h5ad file of cells is read in the worker, pseudobulked, run and exported", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [fixture("h5ad/papalexi2021_thp1_lowmoi.h5ad")]);
  const card = '[data-testid="file-card"][data-file-name="papalexi2021_thp1_lowmoi.h5ad"]';
  await page.waitForSelector(`${card} [data-testid="role"]`, { timeout: 30000 });
  const text = await page.textContent(card);
  assert(text.includes("20729 cells × 299 genes → 26 conditions (h5ad)"), text);
  assert(text.includes("unassigned (4537 cells)"), "unassigned cells are excluded and listed");
  assert(await page.inputValue(`${card} [data-testid="cells-matrix"]`) === "X", "X by default");
  assert(await page.inputValue(`${card} [data-testid="cells-scale"]`) === "as-is", "X is log-normalised: as stored");
  assert(text.includes("detected: not integer counts"), "the detected scale is shown");
  await screenshot(page, "h5ad-card");
  const counts = parseCsv((await download(page, "export-n-cells")).text);
  const expected = (await csvRecords(fixture("h5ad/papalexi_n_cells.csv"))).filter((r) => r.condition !== "unassigned");
  assert(counts.length === expected.length, `${counts.length} conditions`);
  for (const record of expected) {
    assert(counts.find((r) => r.condition === record.condition)?.n_cells === record.n_cells, record.condition);
  }
  const pseudobulk = await download(page, "export-pseudobulk");
  assert(pseudobulk.name === "pseudobulk.csv" && pseudobulk.text.startsWith("gene,"), pseudobulk.name);
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run did not finish");
  await checkAgainstReference(page, "reference/papalexi_results.csv");
  assert(externalRequests(page).length === 0, `external requests: ${externalRequests(page)}`);
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("an h5ad whose control is labelled NT fails naming the labels in force, and runs once ctrl, NT is set", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [fixture("h5ad/control_nt/control_nt.h5ad")]);
  const card = '[data-testid="file-card"][data-file-name="control_nt.h5ad"]';
  await page.waitForSelector(`${card} [data-testid="role"]`, { timeout: 30000 });
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "error", "without NT among the control labels the run fails");
  const message = await page.textContent('[data-testid="run-error"]');
  assert(message.includes("control_nt.h5ad: no control condition: expected one named ctrl, control, non-targeting"), message);
  await page.click("details.settings > summary");
  await page.fill('[data-testid="setting-control-labels"]', "ctrl, NT");
  await page.press('[data-testid="setting-control-labels"]', "Tab");
  await page.waitForFunction((card) => document.querySelector(`${card} dl.facts`)?.textContent.includes("ControlNT"), card, { timeout: 30000 });
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "with ctrl, NT the run finishes");
  const shown = await leaderboard(page);
  assert(shown.mean && shown.no_change, `leaderboard: ${Object.keys(shown)}`);
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("picking the control on a card whose table has none recognised makes it the data and runs the benchmark", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [fixture("h5ad/control_nt/control_nt_pseudobulk.csv")]);
  const card = '[data-testid="file-card"][data-file-name="control_nt_pseudobulk.csv"]';
  const prompt = `${card} [data-testid="control-prompt"][role="alert"]`;
  await page.waitForSelector(prompt, { timeout: 30000 });
  assert(await page.inputValue(`${card} [data-testid="role"]`) === "predictions", "without a control a table is read as predictions");
  const labels = await page.$$eval(`${prompt} [data-testid="pick-control"]`, (buttons) => buttons.map((b) => b.textContent));
  assert(labels.join(",") === "NT,GENE0,GENE1,GENE2,GENE3,GENE4", `offered: ${labels}`);
  await screenshot(page, "control-prompt");
  await page.click(`${prompt} [data-testid="pick-control"]:text-is("NT")`);
  await page.waitForFunction((card) => document.querySelector(`${card} dl.facts`)?.textContent.includes("ControlNT"), card, { timeout: 30000 });
  assert(await page.$(prompt) === null, "the prompt is gone once the control is known");
  assert(await page.inputValue(`${card} [data-testid="role"]`) === "data", "the file is the data");
  await page.click("details.settings > summary");
  const rules = await page.inputValue('[data-testid="setting-control-labels"]');
  assert(rules === "ctrl, control, non-targeting, NT", rules);
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run finishes");
  assert((await leaderboard(page)).mean, "the benchmark ran");
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("h5ad choices: another matrix is pseudobulked again with progress, can be cancelled, and bad h5ad files say why", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [fixture("h5ad/papalexi2021_thp1_lowmoi.h5ad")]);
  const card = '[data-testid="file-card"][data-file-name="papalexi2021_thp1_lowmoi.h5ad"]';
  await page.waitForSelector(`${card} [data-testid="cells-matrix"]`, { timeout: 30000 });
  assert(Number(await page.getAttribute(card, "data-wasm-memory")) > 0, "the worker's memory is reported");

  // layers/counts: its detected scale (counts) comes with it, and the pseudobulk is numpy's.
  await page.selectOption(`${card} [data-testid="cells-matrix"]`, "layers/counts");
  await page.waitForFunction((card) => !document.querySelector(`${card} [data-testid="reading-progress"]`)
    && document.querySelector(`${card} [data-testid="cells-scale"]`)?.value === "counts", card, { timeout: 30000 });
  const exported = parseCsv((await download(page, "export-pseudobulk")).text);
  const expected = await csvRecords(fixture("h5ad/papalexi_counts_pseudobulk.csv"));
  assert(exported.length === expected.length, `${exported.length} genes`);
  for (const [row, record] of expected.entries()) {
    for (const [column, value] of Object.entries(record)) {
      if (column === "gene") assert(exported[row].gene === value, value);
      else close(Number(exported[row][column]), Number(value), 1e-9, `${record.gene} ${column}`);
    }
  }
  // cell-eval reads X (and would normalise counts to the median total): the card says so.
  const cardText = await page.textContent(card);
  assert(cardText.includes("cell-eval reads X, not layers/counts"), "the card says cell-eval reads X");
  await screenshot(page, "h5ad-counts");

  // The minimum of cells only changes the flags: no new reading.
  await page.fill(`${card} [data-testid="cells-min-cells"]`, "700");
  await page.press(`${card} [data-testid="cells-min-cells"]`, "Enter");
  await page.waitForFunction((card) => document.querySelector(`${card} [data-testid="cells-conditions"] summary`)?.textContent.includes("fewer than 700"), card);
  const flagged = await page.$$eval(`${card} [data-testid="cells-conditions"] li[data-few="true"]`, (items) => items.map((i) => i.textContent));
  const small = expected.length && (await csvRecords(fixture("h5ad/papalexi_n_cells.csv"))).filter((r) => r.condition !== "unassigned" && Number(r.n_cells) < 700);
  assert(flagged.length === small.length && small.length > 0, `flagged ${flagged} vs ${small.map((r) => r.condition)}`);

  // Back to X, cancelled at once: the card keeps the counts pseudobulk and the page keeps working.
  const cancelled = await page.evaluate(async (card) => {
    const select = document.querySelector(`${card} [data-testid="cells-matrix"]`);
    select.value = "X";
    select.dispatchEvent(new Event("change", { bubbles: true }));
    // The progress and its button render within microtasks; the worker cannot answer before a task runs.
    for (let i = 0; i < 1000; i++) {
      const button = document.querySelector(`${card} [data-testid="cancel-reading"]`);
      if (button) { button.click(); return true; }
      await Promise.resolve();
    }
    return false;
  }, card);
  assert(cancelled, "the cancel button showed while reading");
  await page.waitForFunction((card) => !document.querySelector(`${card} [data-testid="reading-progress"]`), card);
  assert(await page.inputValue(`${card} [data-testid="cells-matrix"]`) === "layers/counts", "the last pseudobulk stays");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "a run after a cancel works");
  assert(!await page.$(`${card} [data-testid="reading-progress"]`), "the run's reading of the file ended its bar");

  // Broken h5ad files: a message on the card, the page goes on.
  const bytes = await readFile(fixture("h5ad/norman_subset.h5ad"));
  await page.setInputFiles('[data-testid="file-input"]', [
    { name: "cut.h5ad", mimeType: "application/octet-stream", buffer: bytes.subarray(0, 4096) },
    { name: "records.h5ad", mimeType: "application/octet-stream", buffer: await readFile(fixture("h5ad/formats/records_anndata06.h5ad")) },
    { name: "no_x.h5ad", mimeType: "application/octet-stream", buffer: await readFile(fixture("h5ad/formats/no_x.h5ad")) }]);
  for (const [name, message] of [["cut.h5ad", "the file is cut short"], ["records.h5ad", "is a table of records"],
    ["no_x.h5ad", "key 'X': is missing"]]) {
    const alert = `[data-file-name="${name}"] [role="alert"]`;
    await page.waitForSelector(alert, { timeout: 30000 });
    const text = await page.textContent(alert);
    assert(text.includes(message), `${name}: ${text}`);
  }
  await screenshot(page, "h5ad-broken");
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("every bad-input corpus file gives its message, and a valid run follows", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  const bad = (name) => fixture(`bad/${name}`);
  const cases = (await readFile(bad("expected.tsv"), "utf8")).trim().split("\n").slice(1).map((line) => {
    const [file, role, companion, kind, message] = line.split("\t");
    return { file, role, companion, kind, message };
  });
  const cardsRead = (n) => page.waitForFunction((n) => document.querySelectorAll('[data-testid="file-card"]').length === n
    && [...document.querySelectorAll('[data-testid="file-card"]')].every((card) => card.querySelector('[data-testid="role"], [role="alert"]')), n);
  const removeAll = async () => {
    await page.click('section.file-list .section-head button');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="file-card"]').length === 0);
  };
  for (const { file, role, companion, kind, message } of cases) {
    const files = [bad(file), ...(companion ? [bad(companion)] : []), ...(role === "data" ? [] : [bad("good_data.csv")])];
    await page.setInputFiles('[data-testid="file-input"]', files);
    await cardsRead(files.length);
    const card = `[data-testid="file-card"][data-file-name="${file}"]`;
    const alert = await page.$(`${card} [role="alert"]`);
    if (alert) {
      assert(kind === "error", `${file}: unexpected error ${await alert.textContent()}`);
      const text = await alert.textContent();
      assert(text.startsWith(message), `${file}: ${text}`);
    } else {
      // The user says what the file is when the guess differs (a table without a control reads as predictions).
      if (await page.inputValue(`${card} [data-testid="role"]`) !== role) await page.selectOption(`${card} [data-testid="role"]`, role);
      await page.click('[data-testid="run"]');
      const state = await waitForState(page);
      if (kind === "error") {
        const text = state === "error" ? await page.textContent('[data-testid="run-error"]') : state;
        assert(text.startsWith(message), `${file}: ${text}`);
      } else {
        assert(state === "done", `${file}: the run did not complete: ${await page.textContent('[data-testid="status"]')}`);
        const notices = await page.$$eval('section.notices-panel li', (items) => items.map((item) => item.textContent));
        assert(notices.some((notice) => notice.startsWith(message)), `${file}: ${notices.join(" | ")}`);
      }
    }
    // A valid run follows.
    await removeAll();
    await page.setInputFiles('[data-testid="file-input"]', [bad("good_data.csv")]);
    await cardsRead(1);
    await page.click('[data-testid="run"]');
    assert(await waitForState(page) === "done", `after ${file}: the valid run did not complete`);
    await removeAll();
  }
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("a worker panic is reported with details to copy; the worker restarts and the page keeps its state", async ({ browser, origin }) => {
  // The panics asked for log themselves (the panic hook, the page's wasm trap): only those are expected.
  const page = await openPage(browser, origin, { expectedErrors: [/panic/i, /unreachable/i] });
  await page.goto(`${origin}?debug`);
  await page.setInputFiles('[data-testid="file-input"]', [fixture("bad/good_data.csv")]);
  await page.waitForSelector('[data-testid="role"]');
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "first run");
  const before = await leaderboard(page);
  await page.evaluate(() => window.perturbCheckDebugPanic());
  await page.waitForSelector('[data-testid="internal-error"]');
  const details = await page.textContent('[data-testid="internal-error-details"]');
  assert(details.includes("a panic asked for by the page") && details.includes("src/bin/worker.rs"), details);
  assert(details.includes("Perturb Check 0.") && details.includes("Browser:"), details);
  await screenshot(page, "internal-error");
  assert(JSON.stringify(await leaderboard(page)) === JSON.stringify(before), "the results stay");
  assert(await page.$('[data-file-name="good_data.csv"] [data-testid="role"]'), "the file stays");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "a run on the new worker completes");
  assert(JSON.stringify(await leaderboard(page)) === JSON.stringify(before), "and gives the same numbers");

  // A panic of the page itself cannot be recovered from: it says so, with the details, instead of going dead.
  await page.evaluate(() => { try { window.perturbCheckDebugPagePanic(); } catch (_) { /* the wasm trap */ } });
  const text = await page.textContent('[data-testid="page-panic"]');
  assert(text.includes("Reload the page") && text.includes("a panic of the page asked for"), text);
});

test("a table too large for the browser is refused before it is read", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  // 800 MB, sparse on disk: the worker looks at the size only.
  const dir = await mkdtemp(join(tmpdir(), "perturb-huge-"));
  const path = join(dir, "cells_by_genes.csv");
  await writeFile(path, "gene,ctrl\n");
  await truncate(path, 800 * 1024 * 1024);
  await page.setInputFiles('[data-testid="file-input"]', [path]);
  const alert = '[data-file-name="cells_by_genes.csv"] [role="alert"]';
  await page.waitForSelector(alert, { timeout: 30000 });
  const text = await page.textContent(alert);
  assert(text.startsWith("cells_by_genes.csv: the file is 0.8 GB, larger than the 768 MB a table can have here"), text);
  await rm(dir, { recursive: true });
  await page.setInputFiles('[data-testid="file-input"]', [fixture("bad/good_data.csv")]);
  await page.waitForSelector('[data-file-name="good_data.csv"] [data-testid="role"]');
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the page goes on");
});

test("files dropped on the drop zone are added", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  const text = await readFile(fixture("norman2019_cebpe_cebpb/pseudobulk.csv"), "utf8");
  // The page renders the drop zone once its wasm has started, which can be after `load`.
  await page.waitForSelector(".drop-zone");
  await page.evaluate((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], "dropped.csv", { type: "text/csv" }));
    document.querySelector(".drop-zone").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, text);
  await page.waitForSelector('[data-file-name="dropped.csv"] [data-testid="role"]');
  assert(await page.$eval('[data-file-name="dropped.csv"] [data-testid="role"]', (s) => s.value) === "data", "role");
});

test("an uploaded gene embedding is used by the linear model", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  const data = await readFile(join(ROOT, "public/demo/papalexi/papalexi2021_thp1_lowmoi_pseudobulk.csv"), "utf8");
  const genes = data.split("\n").slice(1).filter(Boolean).map((line) => line.split(",")[0]);
  const rows = [0, 1, 2, 3, 4].map((d) => genes.map((_, g) => Math.sin(7 * g + d).toFixed(4)).join("\t"));
  const embedding = [genes.join("\t"), ...rows].join("\n") + "\n";
  await page.setInputFiles('[data-testid="file-input"]', [
    { name: "papalexi.csv", mimeType: "text/csv", buffer: Buffer.from(data) },
    { name: "genes.tsv", mimeType: "text/tab-separated-values", buffer: Buffer.from(embedding) }]);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="role"]').length === 2);
  assert(await page.$eval('[data-file-name="genes.tsv"] [data-testid="role"]', (s) => s.value) === "gene-embedding", "role");
  await page.click("details.settings > summary");
  assert(await page.inputValue('[data-testid="setting-gene-embedding"]') === "uploaded", "the setting follows the file");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run did not finish");
  const methods = Object.keys(await leaderboard(page));
  assert(methods.includes("linear(gene=uploaded;perturbation=pca)"), methods.join());
});


test("cancel during the DE pass returns to idle, and a new run completes with GEARS' DE-gene metrics", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [fixture("h5ad/papalexi2021_thp1_lowmoi.h5ad")]);
  await page.waitForSelector('[data-testid="file-card"] [data-testid="role"]', { timeout: 30000 });
  // Cancel as soon as the run reports the DE pass (the page handles the worker's progress message before the
  // worker's next one).
  const cancelled = await page.evaluate(() => new Promise((resolve) => {
    const status = document.querySelector('[data-testid="status"]');
    const observer = new MutationObserver(() => {
      if (status.textContent.includes("differential expression")) {
        observer.disconnect();
        document.querySelector('[data-testid="cancel"]').click();
        resolve(true);
      }
    });
    observer.observe(status, { subtree: true, childList: true, characterData: true });
    document.querySelector('[data-testid="run"]').click();
    setTimeout(() => { observer.disconnect(); resolve(false); }, 60000);
  }));
  assert(cancelled, "the run reported its DE pass");
  assert(await page.getAttribute('[data-testid="status"]', "data-state") === "idle", "cancel did not return to idle");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run after cancelling did not finish");
  await page.waitForSelector('[data-testid="conventions-table"]', { timeout: 30000 });
  const rows = parseCsv((await download(page, "export-conventions")).text);
  const de = rows.filter((row) => row.convention === "gears" && row.metric === "mse_de");
  assert(de.length > 0 && de.every((row) => row.value !== "" && Number.isFinite(Number(row.value))), "gears mse_de from the cells");
  assert(rows.filter((row) => row.metric === "overlap_at_N").every((row) => row.value === ""), "no prediction as cells: no overlap");
  const notices = await page.textContent('[data-testid="conventions"]');
  assert(notices.includes("need a prediction given as cells"), "the page says why cell-eval's DE metrics are empty");
  const hidden = await page.textContent('[data-testid="conventions-hidden"]');
  assert(hidden.startsWith("18 metrics that need cells are not shown"), hidden);
  assert(await page.$('[data-testid="conventions-table"] th[data-metric="gears:mse_de"]'), "GEARS' DE-gene metrics are shown");
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

test("conventions: two h5ad predictions give the native conventions.csv and cell-eval's own results", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  const folder = "celleval/genes";
  await page.setInputFiles('[data-testid="file-input"]', ["real.h5ad", "model_a.h5ad", "model_b.h5ad"].map((f) => fixture(`${folder}/${f}`)));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="file-card"] [data-testid="role"]').length === 3, null, { timeout: 30000 });
  for (const name of ["model_a.h5ad", "model_b.h5ad"]) {
    await page.selectOption(`[data-testid="file-card"][data-file-name="${name}"] [data-testid="role"]`, "predictions");
  }
  await page.click("details.settings > summary");
  await page.selectOption('[data-testid="setting-split"]', "all");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run did not finish");
  const started = Date.now();
  await page.waitForSelector('[data-testid="conventions-table"]', { timeout: 10000 });
  const { name, text } = await download(page, "export-conventions");
  assert(name === "conventions.csv", name);
  console.log(`    conventions exported ${Date.now() - started} ms after done`);
  // The native export of the same files (tests/conventions.rs keeps it equal to the engine's output): the same
  // rows and fields; values equal to the last bits or so (wasm's and the native libm's last bits differ).
  const native = await csvRecords(fixture(`${folder}/conventions_native.csv`));
  const page_rows = parseCsv(text);
  assert(page_rows.length === native.length, `${page_rows.length} rows vs ${native.length} native`);
  for (const [i, row] of page_rows.entries()) {
    const expected = native[i];
    for (const key of ["dataset", "seed", "method", "perturbation", "split", "convention", "metric"]) {
      assert(row[key] === expected[key], `row ${i} ${key}: ${row[key]} vs ${expected[key]}`);
    }
    if (expected.value === "") assert(row.value === "", `row ${i}: ${row.value} should be empty`);
    else if (expected.value === "NaN") assert(row.value === "NaN", `row ${i} ${row.method} ${row.metric}: ${row.value} should be NaN`);
    else close(Number(row.value), Number(expected.value), 1e-12 * Math.max(1, Math.abs(Number(expected.value))), `row ${i} ${row.method} ${row.metric}`);
  }
  // With no extra click, the data's and the predictions' cells gave cell-eval's DE metrics and GEARS' *_de.
  for (const [method, metric] of [["model_a", "overlap_at_N"], ["model_b", "roc_auc"], ["no_change", "mse_de"], ["model_a", "corr_20de"]]) {
    assert(page_rows.some((row) => row.method === method && row.metric === metric && row.value !== ""), `${method} ${metric} computed`);
  }
  // cell-eval's layout, for the prediction with a shifted control, against cell-eval 0.8.2's own results.csv.
  await page.selectOption('[data-testid="celleval-method"]', "model_a");
  const ours = await download(page, "export-celleval");
  assert(ours.name === "celleval_model_a_results.csv", ours.name);
  const theirs = await csvRecords(fixture(`${folder}/model_a_results.csv`));
  const rows = parseCsv(ours.text);
  assert(rows.length === theirs.length, "one row per perturbation");
  for (const [i, row] of rows.entries()) {
    assert(row.perturbation === theirs[i].perturbation, `${row.perturbation} vs ${theirs[i].perturbation}`);
    assert(Object.keys(row).length === Object.keys(theirs[i]).length - 2, "every column but pearson_edistance and clustering_agreement");
    for (const column of Object.keys(row).slice(1)) {
      if (theirs[i][column] === "" || theirs[i][column] === "NaN") {
        assert(row[column] === theirs[i][column], `${row.perturbation} ${column}: '${row[column]}' vs '${theirs[i][column]}'`);
        continue;
      }
      const tolerance = column.startsWith("m") ? 1e-5 * Math.abs(Number(theirs[i][column])) : 1e-5;
      close(Number(row[column]), Number(theirs[i][column]), tolerance, `${row.perturbation} ${column}`);
    }
  }
  const agg = await download(page, "export-celleval-agg");
  assert(agg.name === "celleval_model_a_agg_results.csv" && agg.text.startsWith("statistic,overlap_at_N"), agg.name);
  // The Virtual Cell Challenge score, as `cell-eval score` wrote it on --profile vcc outputs.
  const score = parseCsv((await download(page, "export-celleval-score")).text);
  const vcc = await csvRecords(fixture(`${folder}/model_a_vcc_score.csv`));
  assert(score.map((row) => row.metric).join() === vcc.map((row) => row.metric).join(), "cell-eval score's rows");
  for (const [i, row] of score.entries()) close(Number(row.from_baseline), Number(vcc[i].from_baseline), 1e-6, `score ${row.metric}`);
  // The DE tables in pdex's columns: the data's, then model_b's, against pdex as cell-eval ran it.
  for (const [choice, file, reference] of [[null, "de_data.csv", "real_de.csv"], ["model_b", "de_model_b.csv", "model_b_de.csv"]]) {
    if (choice) {
      const value = await page.$$eval('[data-testid="de-file"] option', (options, label) => options.find((o) => o.textContent === label)?.value, choice);
      await page.selectOption('[data-testid="de-file"]', value);
    }
    const de = await download(page, "export-de");
    assert(de.name === file, de.name);
    assert(de.text.startsWith("target,feature,target_mean,ref_mean,log2_fold_change,p_value,statistic,fdr\n"), "pdex's columns");
    const pdex = await csvRecords(fixture(`${folder}/${reference}`));
    const table = parseCsv(de.text);
    assert(table.length === pdex.length, `${file}: ${table.length} rows vs ${pdex.length}`);
    for (const [i, row] of table.entries()) {
      assert(row.target === pdex[i].target && row.feature === pdex[i].feature, `${file} row ${i}: pdex's order`);
      assert(Number(row.statistic) === Number(pdex[i].statistic), `${file} row ${i}: U`);
      close(Number(row.p_value), Number(pdex[i].p_value), 1e-6, `${file} row ${i} p`);
      close(Number(row.fdr), Number(pdex[i].fdr), 1e-6, `${file} row ${i} fdr`);
    }
  }
  const ladder = await download(page, "export-conventions-ladder");
  assert(ladder.name === "conventions_ladder.csv", ladder.name);
  assert(ladder.text.startsWith("method,family,target_convention,rung,change,value_mean,n"), "ladder header");
  // The VCC-style score against cell-eval's baseline is shown.
  const scores = await page.textContent('[data-testid="celleval-scores"]');
  assert(scores.includes("model_a") && scores.includes("model_b"), scores);
  // A column's formula shows on focus.
  const header = '[data-testid="conventions-table"] th[data-metric="cell-eval:discrimination_score_l1"]';
  await page.focus(header);
  assert(await page.isVisible(`${header} .tip`), "the formula shows on focus");
  // Hiding a convention hides its columns.
  await page.uncheck('[data-testid="convention-perturbench"]');
  assert(await page.$('[data-testid="conventions-table"] th[data-metric="perturbench:rmse_average"]') === null, "perturbench hidden");
  // The leaderboard can add a convention's main metric.
  await page.selectOption('[data-testid="leaderboard-convention"]', "cell-eval:pearson_delta");
  const column = await page.textContent('[data-testid="leaderboard-convention-column"]');
  assert(column.startsWith("cell-eval pearson_delta"), column);
  // The plots follow: one distribution of that metric, a dot per point with a value (as in conventions.csv).
  assert(await page.inputValue('[data-testid="plot-convention"]') === "cell-eval:pearson_delta", "plots' chooser follows");
  await page.waitForSelector('[data-testid="convention-plot"][data-shown="cell-eval:pearson_delta"] figure:not([data-drawn="0"])');
  assert(await page.$('[data-testid="export-l2_by_method-svg"]') === null, "the paper's plots are replaced");
  const plotted = await download(page, "export-convention_by_method-svg");
  assert(plotted.name === "cell-eval_pearson_delta_by_method.svg", plotted.name);
  assert(plotted.text.includes("cell-eval pearson_delta (higher is better)"), "the axis names the metric");
  const withValue = page_rows.filter((row) => row.convention === "cell-eval" && row.metric === "pearson_delta"
    && row.value !== "" && Number.isFinite(Number(row.value))).length;
  const dots = (plotted.text.match(/<circle/g) || []).length;
  assert(withValue > 0 && dots === withValue, `${dots} dots vs ${withValue} points with a value`);
  // Back to the paper's metrics from the plots: both follow again.
  await page.selectOption('[data-testid="plot-convention"]', "paper");
  await page.waitForSelector('[data-testid="export-l2_by_method-svg"]');
  assert(await page.$('[data-testid="leaderboard-convention-column"]') === null, "the leaderboard follows");
  await page.selectOption('[data-testid="plot-convention"]', "perturbench:rmse_average");
  await page.waitForSelector('[data-testid="convention-plot"][data-shown="perturbench:rmse_average"]');
  assert((await page.textContent('[data-testid="leaderboard-convention-column"]')).startsWith("perturbench rmse_average"), "leaderboard");
  const plots = await page.$('section.plots');
  await plots.screenshot({ path: join(SCREENSHOTS, "plots-convention.png") });
  await page.selectOption('[data-testid="leaderboard-convention"]', "cell-eval:pearson_delta");
  await page.selectOption('[data-testid="ladder-choice"]', "2");
  await page.waitForSelector('[data-testid="ladder-chart"] path[d^="M"]', { state: "attached" });
  const panel = await page.$('[data-testid="conventions"]');
  await panel.screenshot({ path: join(SCREENSHOTS, "conventions.png") });
  // The DE panel: the volcano of the chosen perturbation with model_a's DE genes, and the DEG overlap table,
  // whose values are those of conventions.csv.
  const de = '[data-testid="de-panel"]';
  await page.waitForSelector(`${de} [data-testid="volcano"][data-shown="GN0001+ctrl"] figure:not([data-drawn="0"])`, { timeout: 30000 });
  assert(await page.inputValue('[data-testid="de-method"]') === "model_a", "the first prediction given as cells");
  await page.selectOption('[data-testid="volcano-perturbation"]', "GN0007+ctrl");
  await page.waitForSelector(`${de} [data-testid="volcano"][data-shown="GN0007+ctrl"]`);
  const tableRows = async () => page.$$eval('[data-testid="deg-table"] tbody tr', (rows) => rows.map((row) =>
    [...row.children].map((cell) => cell.textContent)));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="deg-table"] tbody tr').length === 8);
  const overlapOf = (label) => page_rows.find((row) => row.method === "model_a" && row.perturbation === label && row.metric === "overlap_at_N").value;
  for (const cells of await tableRows()) {
    close(Number(cells[3]), Number(overlapOf(cells[0])), 1e-3, `DEG table overlap of ${cells[0]}`);
  }
  await page.click('[data-testid="deg-table"] th[data-metric="overlap_at_N"] button');
  const sortedOverlaps = (await tableRows()).map((cells) => Number(cells[3]));
  assert(sortedOverlaps.every((v, i) => i === 0 || sortedOverlaps[i - 1] >= v), `sorted descending: ${sortedOverlaps}`);
  const dePanel = await page.$(de);
  await dePanel.screenshot({ path: join(SCREENSHOTS, "de-panel.png") });
  await page.setViewportSize({ width: 390, height: 844 });
  await panel.screenshot({ path: join(SCREENSHOTS, "conventions-390.png") });
  await dePanel.screenshot({ path: join(SCREENSHOTS, "de-panel-390.png") });
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

/** The fill or stroke colour of the legend key drawn just before the text `label` in a plotters SVG. */
function legendColour(svg, label) {
  const elements = [...svg.matchAll(/<(circle|polyline|path|polygon|rect|text)\b([^>]*)>(?:([^<]*)<\/text>)?/g)];
  const at = elements.findIndex((element) => element[1] === "text" && element[3]?.trim() === label);
  assert(at > 0, `no legend text ${label}`);
  for (let i = at - 1; i >= 0; i--) {
    const colour = elements[i][2].match(/(?:fill|stroke)="(#[0-9A-F]{6})"/);
    if (colour && elements[i][1] !== "text" && colour[1] !== "#FFFFFF") return colour[1];
  }
  throw new Error(`no key for ${label}`);
}

const hex = (rgb) => "#" + rgb.match(/\d+/g).slice(0, 3).map((v) => Number(v).toString(16).padStart(2, "0").toUpperCase()).join("");

test("one method has one colour in every plot and table legend, and SVG exports have no inline style", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=simulated");
  assert(await waitForState(page) === "done", "the demo did not finish");
  await page.waitForSelector('[data-testid="detail-controls"][data-shown]:not([data-shown=""])');
  const svgs = {};
  for (const stem of ["error_vs_genes", "interaction_tpr_fdp", "observed_vs_predicted", "l2_by_method"]) {
    const { text } = await download(page, `export-${stem}-svg`);
    assert(!text.includes("style="), `${stem}.svg has an inline style attribute`);
    svgs[stem] = text;
  }
  const swatch = async (method) => hex(await page.$eval(`[data-testid="leaderboard"] tr[data-method="${method}"] .method-key svg > *`,
    (shape) => shape.getAttribute("fill")));
  for (const method of ["shrunk_additive_model", "no_change"]) {
    const colours = ["error_vs_genes", "interaction_tpr_fdp", "observed_vs_predicted"].map((stem) => legendColour(svgs[stem], method));
    assert(new Set(colours).size === 1, `${method}: ${colours}`);
    assert(colours[0] === await swatch(method), `${method}: plots ${colours[0]}, leaderboard ${await swatch(method)}`);
  }
  assert(legendColour(svgs.error_vs_genes, "additive") !== legendColour(svgs.error_vs_genes, "shrunk_additive_model"), "distinct colours");
  // Hovering a point of a distribution plot names its perturbation and seed.
  const canvas = await page.$$('.plots figure.plot canvas');
  const box = await canvas[0].boundingBox();
  let said = "";
  for (let y = 0.05; y < 0.85 && !/seed \d/.test(said); y += 0.008) {
    await page.mouse.move(box.x + box.width * (72 + 0.5 / 4 * 816) / 900, box.y + box.height * y);
    said = await page.textContent('.plots figure.plot [data-testid="hover-info"]');
  }
  assert(/^no_change, \S+\+\S+, seed \d: [0-9.]+$/.test(said), `hover says "${said}"`);
});

test("the results are sections with a sticky table of contents, and the section stays in the URL with the settings", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=simulated");
  assert(await waitForState(page) === "done", "the demo did not finish");
  const toc = await page.$$eval('[data-testid="toc"] a', (links) => links.map((link) => link.textContent));
  assert(toc.join() === "Verdict,Leaderboard,Conventions,Plots,Interactions,Per perturbation,Checks,Methods", toc.join());
  await page.click('[data-testid="toc"] a[data-section="interactions"]');
  const hash = await page.evaluate(() => location.hash);
  assert(hash.startsWith("#settings=") && hash.endsWith("&section=interactions"), hash);
  const top = await page.$eval("#interactions", (element) => element.getBoundingClientRect().top);
  assert(Math.abs(top) < 40, `the interactions section is at ${top}px`);
  const tocTop = await page.$eval('[data-testid="toc"]', (element) => element.getBoundingClientRect().top);
  assert(tocTop >= 0 && tocTop < 40, `the table of contents scrolled away (${tocTop}px)`);
  // Every export button and file card control stays visible and clickable in the compact file area.
  for (const selector of ['[data-testid="export-report"]', '[data-testid="export-results"]', '[data-testid="role"]', '[data-testid="demo-norman"] button']) {
    await page.$eval(selector, (element) => element.scrollIntoView());
    assert(await page.isVisible(selector) && await page.isEnabled(selector), `${selector} is not usable`);
  }
  await page.click('[data-testid="toc"] a[data-section="verdict"]');
  await screenshot(page, "results-1280");
  // A saved link with a section: the settings apply and the page goes to the section after the run.
  const again = await openPage(browser, origin);
  await again.goto(origin + "?demo=simulated" + hash.replace("section=interactions", "section=checks"));
  assert(await waitForState(again) === "done", "the linked run did not finish");
  // (The last sections cannot scroll to the very top: in view is what a link can promise.)
  await again.waitForFunction(() => {
    const top = document.querySelector("#checks").getBoundingClientRect().top;
    return top >= 0 && top < window.innerHeight - 100;
  });
  const phone = await openPage(browser, origin, { width: 390, height: 844 });
  await phone.goto(origin + "?demo=simulated");
  assert(await waitForState(phone) === "done", "the phone run did not finish");
  await checkVerdict(phone);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await phone.screenshot({ path: join(SCREENSHOTS, "results-390.png") });
  await phone.click('[data-testid="toc"] a[data-section="methods"]');
  assert(await phone.isVisible('[data-testid="methods"] .methods-text h2'), "the Methods section opens");
  await phone.screenshot({ path: join(SCREENSHOTS, "methods-390.png") });
});

test("report.html is self-contained, shows the leaderboard and restores the settings when dropped back", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=simulated");
  await page.click("details.settings > summary");
  await page.fill('[data-testid="setting-n-genes"]', "800");
  await page.press('[data-testid="setting-n-genes"]', "Tab");
  assert(await waitForState(page) === "done", "the demo did not finish");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", "the run with 800 genes did not finish");
  const shown = await leaderboard(page);
  const { name, text } = await download(page, "export-report");
  assert(name === "report.html", name);
  assert(text.length < 1_000_000, `report of ${text.length} bytes`);
  assert(!/https?:|\ssrc=|url\(|@import/.test(text), "the report refers outside itself");
  const sha = createHash("sha256").update(await readFile(join(ROOT, "public/demo/simulated/sim_double_pseudobulk.csv"))).digest("hex");
  assert(text.includes(sha), "the data file's SHA-256");
  assert(!text.includes("results-csv"), "no per-perturbation results unless asked");
  // A fresh browser context without network: the report shows the leaderboard and asks for nothing.
  const offline = await openPage(browser, origin, { offline: true });
  await offline.setContent(text);
  const inReport = await leaderboard(offline);
  assert(JSON.stringify(inReport) === JSON.stringify(shown), `report ${JSON.stringify(inReport)} vs page ${JSON.stringify(shown)}`);
  assert(offline.requests.length === 0, `the report asked for ${offline.requests}`);
  assert(await offline.$$eval("svg.plot", (plots) => plots.length) >= 4, "plots as inline SVG");
  await offline.setViewportSize({ width: 1280, height: 900 });
  await screenshot(offline, "report");
  // Dropped back on a fresh page, the report restores its settings.
  const fresh = await openPage(browser, origin);
  await fresh.goto(origin);
  const dir = await mkdtemp(join(tmpdir(), "report-"));
  await writeFile(join(dir, "report.html"), text);
  await fresh.setInputFiles('[data-testid="file-input"]', [join(dir, "report.html")]);
  await fresh.waitForSelector('[data-testid="page-notice"]');
  await fresh.click("details.settings > summary");
  assert(await fresh.inputValue('[data-testid="setting-n-genes"]') === "800", "settings not restored");
  assert(await fresh.$$eval('[data-testid="role"]', (roles) => roles.length) === 0, "the report is not taken as a data file");
  await rm(dir, { recursive: true });
});

test("offline: with the server stopped and no network, the page reloads and runs every demo", async ({ browser }) => {
  // A copy of the build, so that a "new build" can be served to the installed page.
  const copy = await mkdtemp(join(tmpdir(), "offline-"));
  await cp(join(ROOT, "dist"), copy, { recursive: true });
  const server = await serve(copy);
  const origin = `http://127.0.0.1:${server.address().port}/`;
  const page = await openPage(browser, origin, { serviceWorkers: "allow" });
  await page.goto(origin);
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30000 });
  // Online, a reload gets the page as served now, not the cached one (network first for the page).
  const index = join(copy, "index.html");
  await writeFile(index, (await readFile(index, "utf8")).replace("<title>", "<title>New build: "));
  await page.reload();
  assert((await page.title()).startsWith("New build: "), `a reload online served ${await page.title()}`);
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
  await page.context().setOffline(true);
  await page.reload();
  await page.waitForSelector('[data-testid="demo-simulated"] button');
  for (const demo of ["simulated", "papalexi", "papalexi-reference", "norman"]) {
    await page.goto(`${origin}?demo=${demo}`);
    assert(await waitForState(page) === "done", `${demo} offline`);
  }
  assert(Number((await leaderboard(page)).additive_model.n) > 0, "the norman demo's leaderboard");
  assert(externalRequests(page).length === 0, `external requests: ${externalRequests(page)}`);
  await rm(copy, { recursive: true });
});

test("paired comparisons equal R's wilcox.test and win rates, paired.csv exports, the forest plot draws", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?demo=simulated");
  assert(await waitForState(page) === "done", "the demo did not finish");
  // Every method against additive (the run's reference), then a pair chosen here.
  const rowsShown = async () => page.$$eval('[data-testid="paired"] tbody tr', (rows) => rows.map((row) => `${row.dataset.method}|${row.dataset.reference}`));
  assert((await rowsShown()).join() === "no_change|additive,mean|additive,shrunk_additive_model|additive", (await rowsShown()).join());
  await page.selectOption('[data-testid="paired-method"]', "shrunk_additive_model");
  await page.selectOption('[data-testid="paired-reference"]', "mean");
  await page.click('[data-testid="paired-add"]');
  await page.waitForSelector('[data-testid="paired"] tr[data-method="shrunk_additive_model"][data-reference="mean"]');
  assert(await page.isVisible('[data-testid="paired-note"]'), "a multiple-comparison note for four comparisons");
  const { name, text } = await download(page, "export-paired");
  assert(name === "paired.csv" && text.startsWith("method,reference,n,win_rate,mean_difference,ci_low,ci_high,wilcoxon_p\n"), text);
  const expected = await csvRecords(fixture("paired/expected.csv"));
  const exported = parseCsv(text);
  assert(exported.length === 4, `${exported.length} rows`);
  for (const row of exported) {
    const r = expected.find((e) => e.case === "demo_simulated" && e.method === row.method && e.reference === row.reference);
    assert(r, `no R value for ${row.method} vs ${row.reference}`);
    assert(row.n === r.n && Number(row.win_rate) === Number(r.win_rate), `${row.method}: n/win rate ${row.n} ${row.win_rate} vs ${r.n} ${r.win_rate}`);
    close(Number(row.mean_difference), Number(r.mean_difference), 1e-12, `${row.method} mean difference`);
    close(Number(row.wilcoxon_p) / Number(r.wilcoxon_p), 1, 1e-9, `${row.method} p`);
    assert(Number(row.ci_low) <= Number(row.mean_difference) && Number(row.mean_difference) <= Number(row.ci_high), "interval");
  }
  await page.waitForSelector('[data-testid="forest"] figure:not([data-drawn="0"])');
  const forest = await download(page, "export-forest-svg");
  assert(forest.text.includes("1.00×") && forest.text.includes("shrunk_additive_model") && !forest.text.includes("style="), "forest.svg");
  const section = await page.$("#leaderboard");
  await section.screenshot({ path: join(SCREENSHOTS, "leaderboard-paired.png") });
  await (await page.$('[data-testid="forest"]')).screenshot({ path: join(SCREENSHOTS, "forest.png") });
});

test("a data table plus a reference table runs linear_reference, in the forest plot and paired.csv", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', [fixture("reference_screens/data.csv"), fixture("reference_screens/reference.csv")]);
  const role = '[data-file-name="reference.csv"] [data-testid="role"]';
  await page.waitForSelector(role);
  // Never guessed: a second table with a control is taken as predictions until the user says reference.
  assert(await page.inputValue(role) !== "reference", "the reference role was guessed");
  await page.selectOption(role, "reference");
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", await page.textContent('[data-testid="status"]'));
  const shown = await leaderboard(page);
  for (const method of ["mean", "linear", "linear_reference", "linear_reference_genes"]) assert(shown[method], `no ${method}: ${Object.keys(shown)}`);
  assert(!shown.reference, "the reference is not scored as a prediction");
  await page.waitForSelector('[data-testid="forest"] figure:not([data-drawn="0"])');
  const forest = await download(page, "export-forest-svg");
  assert(forest.text.includes("linear_reference_genes"), "the forest plot has linear_reference_genes");
  const { text } = await download(page, "export-paired");
  const rows = parseCsv(text);
  const row = rows.find((r) => r.method === "linear_reference" && r.reference === "mean");
  assert(row && Number(row.n) > 0 && row.wilcoxon_p !== "", text);
  // Beside the run, the paper's published methods on another dataset.
  await page.selectOption('[data-testid="forest-published"]', "adamson");
  await page.waitForSelector('[data-testid="forest-published-panel"] figure:not([data-drawn="0"])');
  const published = await download(page, "export-forest_published-svg");
  assert(published.text.includes("published, other data: adamson") && published.text.includes("lpm_k562PertEmb"), "the published panel");
});

test("the Papalexi demo with a reference runs linear_reference and says its reference is simulated", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  assert((await page.textContent('[data-testid="demo-papalexi-reference"]')).includes("simulated from this screen"), "the card says so");
  await page.click('[data-testid="demo-papalexi-reference"] button');
  assert(await waitForState(page) === "done", await page.textContent('[data-testid="status"]'));
  assert(await page.inputValue('[data-file-name="papalexi_simulated_reference.csv"] [data-testid="role"]') === "reference", "the reference's role");
  const shown = await leaderboard(page);
  assert(shown.linear_reference && shown.linear_reference_genes, Object.keys(shown).join());
  await checkVerdict(page);
  await screenshot(page, "demo-papalexi-reference");
});

/** The command line built by `cargo test` (scripts/test.sh runs it before this suite), or PERTURB_CHECK_BIN. */
const CLI = process.env.PERTURB_CHECK_BIN ?? join(ROOT, "target", "debug", "perturb-check");

/**
 * Runs `files` through the page (uploaded, roles as detected, `prepare` for any choice) and through the command
 * line (`options`), and checks every export the run has is the same bytes; report.html up to its date line.
 */
async function sameAsCommandLine(browser, origin, files, { prepare = async () => {}, options = [], exports }) {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  await page.setInputFiles('[data-testid="file-input"]', files);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="file-card"] [data-testid="role"]').length === n, files.length);
  await prepare(page);
  await page.click('[data-testid="run"]');
  assert(await waitForState(page) === "done", await page.textContent('[data-testid="status"]'));
  await page.waitForSelector('[data-testid="conventions-table"]', { timeout: 60000 });
  const dir = await mkdtemp(join(tmpdir(), "cli-"));
  execFileSync(CLI, ["--quiet", "run", ...files, ...options, "--out", dir], { stdio: ["ignore", "ignore", "inherit"] });
  const undated = (text) => text.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "DATE");
  for (const [testid, name] of exports) {
    const exported = await download(page, testid);
    assert(exported.name === name, `${testid}: ${exported.name}`);
    const written = await readFile(join(dir, name), "utf8");
    const [ours, theirs] = name === "report.html" ? [undated(exported.text), undated(written)] : [exported.text, written];
    if (ours === theirs) continue;
    let at = 0;
    while (at < ours.length && ours[at] === theirs[at]) at++;
    throw new Error(`${name}: the page's and the command line's differ at character ${at}: …${ours.slice(Math.max(0, at - 80), at + 40)}… vs …${theirs.slice(Math.max(0, at - 80), at + 40)}…`);
  }
  await rm(dir, { recursive: true });
}

const RUN_EXPORTS = [["export-results", "results.csv"], ["export-summary", "summary.csv"], ["export-paired", "paired.csv"],
  ["export-conventions", "conventions.csv"], ["export-report", "report.html"]];
const INTERACTION_EXPORTS = [["export-interactions", "interactions.json"], ["export-interaction-classes", "interaction_classes.csv"],
  ["export-interaction-tpr-fdp", "interaction_tpr_fdp.csv"], ["export-interaction-auc", "interaction_auc.csv"],
  ["export-interaction-top-pairs", "interaction_top_pairs.csv"]];

test("the command line writes the page's exports byte for byte: doubles with interactions and a paper-format model", async ({ browser, origin }) => {
  const files = ["sim_double_pseudobulk.csv", "shrunk_additive_model_all_predictions.json", "shrunk_additive_model_gene_names.json"]
    .map((name) => join(ROOT, "public", "demo", "simulated", name));
  await sameAsCommandLine(browser, origin, files, { exports: [...RUN_EXPORTS, ...INTERACTION_EXPORTS] });
});

test("the command line writes the page's exports byte for byte: cells, and nine uploaded models", async ({ browser, origin }) => {
  await sameAsCommandLine(browser, origin, [fixture("h5ad/norman_subset.h5ad")], {
    prepare: async (page) => { await page.click("details.settings > summary"); await page.selectOption('[data-testid="setting-split"]', "all"); },
    options: ["--split", "all"], exports: RUN_EXPORTS,
  });
  const norman = [fixture("norman2019_cebpe_cebpb/pseudobulk.csv"),
    ...NORMAN_METHODS.map((m) => fixture(`norman2019_cebpe_cebpb/predictions/${m}.csv`))];
  await sameAsCommandLine(browser, origin, norman, { exports: RUN_EXPORTS });
});

test("the command line writes the page's exports byte for byte: the linear model and both reference variants", async ({ browser, origin }) => {
  // 150 genes × 91 conditions and a 120 × 87 reference on the same genes: the iterative SVDs, the joint one
  // of the reference's two PCAs, the fit's products and solves — all in one fixed order on both builds.
  const files = [fixture("reference_screens/panel/data.csv"), fixture("reference_screens/panel/reference.csv")];
  await sameAsCommandLine(browser, origin, files, {
    prepare: async (page) => { await page.selectOption('[data-file-name="reference.csv"] [data-testid="role"]', "reference"); },
    options: ["--role", `${files[1]}=reference`], exports: RUN_EXPORTS,
  });
});


test("the simulator runs its screen with the truth panel, and its downloads dropped back give the same results", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin);
  assert(await page.isVisible('[data-testid="simulator"]'), "the simulator panel is on the landing page");
  const buttons = await page.$$eval('[data-testid="simulator"] button', (list) => list.map((b) => b.dataset.testid));
  assert(buttons[0] === "simulator-run", `first button: ${buttons}`);
  await screenshot(page, "simulator-landing");
  const started = Date.now();
  await page.click('[data-testid="simulator-run"]');
  assert(await waitForState(page) === "done", "the simulated screen did not run");
  console.log(`    simulator: generated and run in ${Date.now() - started} ms`);
  const methods = Object.keys(await leaderboard(page));
  for (const model of ["noisy_additive", "shrunk_additive", "average_change", "learnt_interactions"]) {
    assert(methods.includes(model), `${model} in ${methods}`);
  }
  await page.waitForSelector('[data-testid="truth"]');
  const confusion = await page.$$eval('[data-testid="truth-confusion"] tbody tr', (rows) =>
    rows.map((row) => [...row.querySelectorAll("td")].map((cell) => Number(cell.textContent))));
  assert(confusion.flat().reduce((a, b) => a + b, 0) === 124, `confusion of 124 doubles: ${JSON.stringify(confusion)}`);
  assert(/precision of "interaction" \d+%/.test(await page.textContent('[data-testid="truth-summary"]')), "precision shown");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="truth-by-cells"] tbody tr[data-cells]').length === 6,
    null, { timeout: 30000 });
  const recall = await page.$$eval('[data-testid="truth-by-cells"] tbody tr[data-cells]', (rows) =>
    rows.map((row) => parseFloat(row.children[2].textContent)));
  assert(recall[5] > recall[0], `recall grows with cells: ${recall}`);
  const first = await download(page, "export-results");
  await screenshot(page, "simulator-truth");
  await (await page.$('[data-testid="truth"]')).screenshot({ path: join(SCREENSHOTS, "truth-panel.png") });

  // The screen's files, downloaded and dropped into a fresh page, run to the same results.
  const directory = await mkdtemp(join(tmpdir(), "simulated-"));
  const saved = [];
  const collect = new Promise((resolve) => page.on("download", async (file) => {
    const path = join(directory, file.suggestedFilename());
    await file.saveAs(path);
    saved.push(path);
    if (saved.length === 10) resolve();
  }));
  await page.click('[data-testid="simulator-download"]');
  await collect;
  const names = saved.map((path) => path.split("/").pop()).sort();
  assert(names.includes("truth.json") && names.includes("pseudobulk.csv") && names.includes("learnt_interactions_all_predictions.json"), names.join());
  const again = await openPage(browser, origin);
  await again.goto(origin);
  await again.setInputFiles('[data-testid="file-input"]', saved);
  await again.waitForFunction(() => document.querySelectorAll('[data-testid="file-card"] [data-testid="role"]').length === 10);
  const truthRole = await again.$eval('[data-testid="file-card"][data-file-name="truth.json"] [data-testid="role"]', (s) => s.value);
  assert(truthRole === "truth", `truth.json has role ${truthRole}`);
  await again.click('[data-testid="run"]');
  assert(await waitForState(again) === "done", "the dropped files did not run");
  const second = await download(again, "export-results");
  assert(second.text === first.text, "results.csv of the dropped files equals the simulator run's");
  await again.waitForSelector('[data-testid="truth"]');
  const phone = await openPage(browser, origin, { width: 390, height: 844 });
  await phone.goto(origin);
  await phone.click('[data-testid="simulator-run"]');
  assert(await waitForState(phone) === "done", "the simulator runs on a phone");
  await screenshot(phone, "simulator-phone");
  await rm(directory, { recursive: true });
  for (const p of [page, again, phone]) assert(p.errors.length === 0, `page errors: ${p.errors}`);
});

test("the guided tour shows at first render, goes through every step with the keyboard, can be left and resumed, and ends on the page as it was", async ({ browser, origin }) => {
  const page = await openPage(browser, origin);
  await page.goto(origin + "?tour=1");
  await page.waitForSelector('[data-testid="tour"]');
  assert(await page.textContent('[data-testid="tour-heading"]') === "Guided tour: step 1 of 7", await page.textContent('[data-testid="tour-heading"]'));
  assert(await page.getAttribute('[data-testid="status"]', "data-state") === "idle", "no demo has run yet");
  assert(await page.$$eval('[data-testid="file-card"]', (cards) => cards.length) === 0, "no files yet");
  await screenshot(page, "tour-step-1");
  const titles = [];
  for (let step = 1; step <= 7; step++) {
    const heading = await page.textContent('[data-testid="tour-heading"]');
    assert(heading === `Guided tour: step ${step} of 7`, heading);
    titles.push(await page.textContent('[data-testid="tour-title"]'));
    if (step >= 2) assert(await waitForState(page) === "done", `step ${step}: what it loaded did not run`);
    if (step === 6) {
      await page.waitForSelector('[data-testid="truth"]');
      await page.screenshot({ path: join(SCREENSHOTS, "tour-step-6-viewport.png") });
    }
    if (step === 3) {
      // Left with Escape, resumed where it was.
      await page.focus('[data-testid="tour-next"]');
      await page.keyboard.press("Escape");
      await page.waitForSelector('[data-testid="tour"]', { state: "detached" });
      await page.focus('[data-testid="tour-resume"]');
      await page.keyboard.press("Enter");
      await page.waitForSelector('[data-testid="tour"]');
      assert(await page.textContent('[data-testid="tour-heading"]') === "Guided tour: step 3 of 7", "resumed at step 3");
    }
    if (step === 7) {
      await screenshot(page, "tour-step-7");
      const [file] = await Promise.all([page.waitForEvent("download"), page.click('[data-testid="tour-handout"]')]);
      assert(file.suggestedFilename() === "perturb-check-tour.html", file.suggestedFilename());
      const handout = await readFile(await file.path(), "utf8");
      for (const title of titles) assert(handout.includes(title.replace(/&/g, "&amp;").replace(/"/g, '"')), `handout has ${title}`);
    }
    await page.focus('[data-testid="tour-next"]');
    await page.keyboard.press("Enter");
  }
  await page.waitForSelector('[data-testid="tour"]', { state: "detached" });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="file-card"]').length === 0);
  assert(await page.getAttribute('[data-testid="status"]', "data-state") === "idle", "back to the page as it was");
  assert(await page.$eval('[data-testid="simulator-cells"]', (input) => input.value) === "50", "simulator settings restored");
  assert(await page.getAttribute("body", "data-tour-target") === null, "no highlight left");
  assert(page.errors.length === 0, `page errors: ${page.errors}`);
});

await run();
