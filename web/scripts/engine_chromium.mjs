// Chromium for engine_host.mjs: playwright-core driving Debian's chromium with chromium.mjs's flags (nothing is
// downloaded). Each page is a fresh browser context (empty cache and storage); requests leaving 127.0.0.1 are
// aborted and recorded by the driver, console and page errors come from its events.
import { chromium } from "playwright-core";
import { ARGS, openRecordedPage } from "./chromium.mjs";
import { newRecord, pageExpression, pageResult, SIZE_FN, waitForWidth } from "./engine_common.mjs";

export async function launch({ executable, timeoutMs }) {
  const browser = await chromium.launch({ executablePath: executable, args: ARGS, headless: true, timeout: timeoutMs });
  return {
    version: `chromium/${browser.version()}`,
    requestsFrom: "driver",
    async newPage({ width = 1280, height = 900, initScript = null } = {}) {
      const ctx = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
      if (initScript) await ctx.addInitScript({ content: initScript });
      const rec = newRecord();
      const page = await openRecordedPage(ctx, rec, timeoutMs);
      const evaluate = async (fn, args) => pageResult(await page.evaluate(pageExpression(fn, args)));
      return {
        rec,
        goto: (url) => page.goto(url, { waitUntil: "load", timeout: timeoutMs }).then(() => page.url()),
        reload: () => page.reload({ waitUntil: "load", timeout: timeoutMs }).then(() => page.url()),
        evaluate,
        async setViewport(w, h) {
          await page.setViewportSize({ width: w, height: h });
          return waitForWidth(async () => JSON.parse(await evaluate(SIZE_FN, [])), w);
        },
        screenshot: (path) => page.screenshot({ path }),
        close: () => ctx.close(),
      };
    },
    close: () => browser.close(),
  };
}
