// The simulator's time to done (issue 17), with the worker's messages timed: from the click on `simulator-run`
// (default settings) to `data-state="done"`, and when each message between page and worker passed.
// Run after `trunk build --release`: node tests/e2e/bench-simulator.mjs [rounds]
import { join } from "node:path";
import { ROOT, launch, openPage, waitForState } from "./harness.mjs";
import { serve } from "./serve.mjs";

const rounds = Number(process.argv[2] ?? 3);
const server = await serve(join(ROOT, "dist"));
const origin = `http://127.0.0.1:${server.address().port}/`;
const browser = await launch();
for (let round = 1; round <= rounds; round++) {
  const page = await openPage(browser, origin);
  await page.addInitScript(() => {
    window.__log = [];
    const Original = window.Worker;
    window.Worker = class extends Original {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", (event) => {
          const d = event.data ?? {};
          window.__log.push([performance.now(), "<", d.type, d.progress?.step ?? "", (d.reply_json ?? d.report_json ?? "").length]);
        });
      }
      postMessage(message, ...rest) {
        window.__log.push([performance.now(), ">", message?.request?.type, message?.request?.query?.type ?? "", 0]);
        return super.postMessage(message, ...rest);
      }
    };
  });
  await page.goto(origin);
  await page.waitForSelector('[data-testid="simulator-run"]');
  await page.waitForTimeout(500);
  const start = await page.evaluate(() => performance.now());
  await page.click('[data-testid="simulator-run"]');
  const state = await waitForState(page);
  const end = await page.evaluate(() => performance.now());
  console.log(`round ${round}: ${state} in ${Math.round(end - start)} ms`);
  if (process.env.LOG) {
    const log = await page.evaluate(() => window.__log);
    let last = start;
    for (const [t, dir, type, step, size] of log) {
      if (t < start) continue;
      console.log(`  ${String(Math.round(t - start)).padStart(6)} (+${String(Math.round(t - last)).padStart(5)}) ${dir} ${type} ${step} ${size || ""}`);
      last = t;
    }
  }
  await page.context().close();
}
await browser.close();
server.close();
