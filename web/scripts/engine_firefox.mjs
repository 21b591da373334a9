// Firefox for engine_host.mjs: puppeteer-core over WebDriver BiDi driving Debian's firefox-esr headless (no
// geckodriver, no display, nothing downloaded). Each page is a fresh browser context; requests leaving 127.0.0.1
// are aborted and recorded through request interception, console and page errors come from the driver's events.
import puppeteer from "puppeteer-core";
import { isLocal, newRecord, oneLine, pageExpression, pageResult, SIZE_FN, waitForWidth } from "./engine_common.mjs";

export async function launch({ executable, timeoutMs }) {
  const browser = await puppeteer.launch({
    browser: "firefox", executablePath: executable, headless: true, timeout: timeoutMs, protocolTimeout: timeoutMs,
    extraPrefsFirefox: { "browser.cache.disk.enable": false }, // a page's cache lives in memory, like the other engines'
  });
  return {
    version: await browser.version(),
    requestsFrom: "driver",
    async newPage({ width = 1280, height = 900, initScript = null } = {}) {
      const ctx = await browser.createBrowserContext();
      const page = await ctx.newPage();
      page.setDefaultTimeout(timeoutMs);
      page.setDefaultNavigationTimeout(timeoutMs);
      await page.setViewport({ width, height });
      if (initScript) await page.evaluateOnNewDocument(initScript);
      const rec = newRecord();
      await page.setRequestInterception(true);
      page.on("request", (r) => {
        const url = r.url();
        rec.requests.push(url);
        if (isLocal(url)) r.continue().catch(() => {});
        else {
          rec.external.push(url);
          r.abort("blockedbyclient").catch(() => {});
        }
      });
      page.on("requestfailed", (r) => { if (isLocal(r.url())) rec.failed.push(`${r.url()} ${r.failure()?.errorText ?? ""}`.trim()); });
      page.on("response", (r) => { if (r.status() >= 400) rec.httpErrors.push(`${r.status()} ${r.url()}`); });
      page.on("console", (m) => { if (m.type() === "error") rec.consoleErrors.push(m.text()); });
      page.on("pageerror", (e) => rec.pageErrors.push(oneLine(e)));
      page.on("dialog", async (d) => { rec.dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss().catch(() => {}); });
      const evaluate = async (fn, args) => pageResult(await page.evaluate(pageExpression(fn, args)));
      return {
        rec,
        goto: (url) => page.goto(url, { waitUntil: "load" }).then(() => page.url()),
        reload: () => page.reload({ waitUntil: "load" }).then(() => page.url()),
        evaluate,
        async setViewport(w, h) {
          await page.setViewport({ width: w, height: h });
          return waitForWidth(async () => JSON.parse(await evaluate(SIZE_FN, [])), w);
        },
        screenshot: (path) => page.screenshot({ path }),
        close: () => ctx.close(),
      };
    },
    close: () => browser.close(),
  };
}
