// A minimal test harness for the e2e suite: a served dist/, a headless Chromium (Debian's, via
// playwright-core), a request log per page, screenshots, and a closing "N passed, N failed" line.
import { chromium } from "playwright-core";
import { mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./serve.mjs";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const SCREENSHOTS = join(ROOT, "tests", "e2e", "screenshots");
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const tests = [];
export function test(name, body) { tests.push({ name, body }); }

export function assert(condition, message) { if (!condition) throw new Error(message); }
export function close(a, b, tolerance, message) {
  assert(Math.abs(a - b) <= tolerance, `${message}: ${a} vs ${b} (tolerance ${tolerance})`);
}

export async function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ARGS });
}

/** Every page the running test opened: after the test, none may have logged a console error or page error. */
let openedPages = [];

/**
 * A fresh page on the served app, with every request, console error and page error recorded. Service
 * workers are blocked (each test starts from the network, and no test pays for the precache) unless
 * `serviceWorkers` is "allow". `expectedErrors`: patterns of errors the test provokes on purpose.
 */
export async function openPage(browser, origin, { width = 1280, height = 900, serviceWorkers = "block", expectedErrors = [], offline = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true, serviceWorkers, offline });
  const page = await context.newPage();
  page.requests = [];
  page.errors = [];
  page.consoleErrors = [];
  page.expectedErrors = expectedErrors;
  page.on("request", (request) => page.requests.push(request.url()));
  page.on("pageerror", (error) => page.errors.push(error.message));
  page.on("console", (message) => { if (message.type() === "error") page.consoleErrors.push(message.text()); });
  page.origin = origin;
  openedPages.push(page);
  return page;
}

/** The console and page errors of the test's pages that it did not expect. */
function unexpectedErrors() {
  return openedPages.flatMap((page) => [...page.errors, ...page.consoleErrors]
    .filter((text) => !page.expectedErrors.some((pattern) => pattern.test(text))));
}

export async function waitForState(page, states = ["done", "error"], timeout = 60000) {
  const selector = states.map((state) => `[data-testid="status"][data-state="${state}"]`).join(", ");
  await page.waitForSelector(selector, { timeout });
  return page.getAttribute('[data-testid="status"]', "data-state");
}

/** Leaderboard rows: method → { n, mean, median, delta, ratio, publishedL2, publishedDelta } (text). */
export async function leaderboard(page) {
  return page.$$eval('[data-testid="leaderboard"] tbody tr', (rows) => Object.fromEntries(rows.map((row) => {
    const cells = [...row.querySelectorAll("td")].map((cell) => cell.textContent.replace("★", "").trim());
    const [n, mean, median, delta, ratio, publishedL2, publishedDelta] = cells;
    return [row.dataset.method, { n, mean, median, delta, ratio, publishedL2, publishedDelta }];
  })));
}

export async function download(page, testid) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.click(`[data-testid="${testid}"]`)]);
  return { name: file.suggestedFilename(), text: await readFile(await file.path(), "utf8") };
}

/** Parses CSV with a header into objects (no quoted fields with newlines are produced by the app). */
export function parseCsv(text) {
  const lines = text.trim().split(/\r?\n/);
  const split = (line) => {
    const fields = []; let field = ""; let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) { if (c === '"' && line[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c; }
      else if (c === '"') quoted = true; else if (c === ",") { fields.push(field); field = ""; } else field += c;
    }
    fields.push(field);
    return fields;
  };
  const header = split(lines[0]);
  return lines.slice(1).map((line) => Object.fromEntries(split(line).map((value, i) => [header[i], value])));
}

/**
 * A full-page screenshot. Panels with `content-visibility: auto` are painted only near the viewport, so they
 * are shown as a user scrolling there would see them (the override is removed afterwards).
 */
export async function screenshot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  // Through the CSSOM, which the page's Content-Security-Policy allows (a <style> element it would refuse).
  const shown = await page.evaluateHandle(() => [...document.querySelectorAll("*")]
    .filter((element) => getComputedStyle(element).contentVisibility === "auto")
    .map((element) => { element.style.contentVisibility = "visible"; return element; }));
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  await shown.evaluate((elements) => elements.forEach((element) => { element.style.contentVisibility = ""; }));
}

export function externalRequests(page) {
  return page.requests.filter((url) => !url.startsWith(page.origin) && !url.startsWith("data:") && !url.startsWith("blob:"));
}

export async function run() {
  const server = await serve(join(ROOT, "dist"));
  const origin = `http://127.0.0.1:${server.address().port}/`;
  const browser = await launch();
  let passed = 0, failed = 0;
  const only = process.env.E2E_ONLY;
  for (const { name, body } of tests) {
    if (only && !name.includes(only)) continue;
    const started = Date.now();
    openedPages = [];
    try {
      await body({ browser, origin });
      const errors = unexpectedErrors();
      assert(errors.length === 0, `console or page errors: ${errors.join(" | ").slice(0, 2000)}`);
      passed++;
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}\n     ${String(error.stack ?? error).split("\n").slice(0, 4).join("\n     ")}`);
    }
    await Promise.all(openedPages.map((page) => page.context().close().catch(() => {})));
  }
  await browser.close();
  server.close();
  console.log(`e2e: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}
