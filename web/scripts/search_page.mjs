// Drive site-search pages in headless Chromium (playwright-core, Debian's /usr/bin/chromium; nothing downloaded).
//   node web/scripts/search_page.mjs JOB.json OUT.json
// JOB: {chromium, timeoutMs, pages: [{name, url, engine: "edgembed" | "pagefind", queries, mode?, limit?, repeat?, idsOnly?,
//        ui?: {query, screenshot?, viewport?, mobile?}}]}
// OUT: {pages: [{name, queries: [{query, ms, requests: [url...], hits: [...]}], loadRequests, ui, errors...}]}
// Each page gets a fresh context (empty cache); requests that would leave 127.0.0.1 are aborted and recorded.
import { chromium } from "playwright-core";
import { readJob, recordedVisit, runPages } from "./chromium.mjs";

const [job, outFile] = readJob("search_page.mjs");
const timeout = job.timeoutMs ?? 120000;

async function runQueries(page, spec, rep) {
  const limit = spec.limit ?? 10;
  const out = [];
  for (const q of spec.queries ?? []) {
    const mark = rep.requests.length;
    const r = await page.evaluate(async ({ q, engine, mode, limit, idsOnly }) => {
      const t0 = performance.now();
      let hits;
      if (engine === "edgembed") {
        const s = await window.searchReady;
        hits = await s.search(q, { limit, mode });
      } else { // Pagefind: search, then the fragments of the results it would show
        const pf = await window.pagefindReady;
        const res = await pf.search(q);
        if (idsOnly) return { ms: performance.now() - t0, hits: res.results.map((x) => ({ id: x.id, score: x.score })) };
        const data = await Promise.all(res.results.slice(0, limit).map((x) => x.data()));
        hits = data.map((d) => ({ url: d.url, title: d.meta?.title ?? "", excerpt: d.excerpt, anchor_url: d.sub_results?.[0]?.url }));
      }
      return { ms: performance.now() - t0, hits };
    }, { q, engine: spec.engine, mode: spec.mode ?? "hybrid", limit, idsOnly: Boolean(spec.idsOnly) });
    out.push({ query: q, ms: r.ms, hits: r.hits, requests: rep.requests.slice(mark) });
  }
  if (spec.repeat) { // the same queries again, every piece in memory: the ranking's own time
    for (const o of out) {
      const mark = rep.requests.length;
      o.warmMs = await page.evaluate(async ({ q, engine, mode, limit }) => {
        const t0 = performance.now();
        if (engine === "edgembed") await (await window.searchReady).search(q, { limit, mode });
        else {
          const res = await (await window.pagefindReady).search(q);
          await Promise.all(res.results.slice(0, limit).map((x) => x.data()));
        }
        return performance.now() - t0;
      }, { q: o.query, engine: spec.engine, mode: spec.mode ?? "hybrid", limit });
      o.warmRequests = rep.requests.length - mark;
    }
  }
  return out;
}

// The box lives in an open shadow root: this finds it from the page (the host is the first element holding one).
const ROOT = `(() => { for (const e of document.querySelectorAll("*")) if (e.shadowRoot?.querySelector("[role=combobox]")) return e.shadowRoot;
  return document; })()`;

async function runUi(page, ui) {
  const input = page.locator("input[role=combobox]");
  await input.click();
  await input.pressSequentially(ui.query, { delay: 20 });
  await page.waitForFunction(({ q, root }) => {
    const r = (0, eval)(root);
    const list = r.querySelector("[role=listbox]");
    return list?.dataset.query === q && list.dataset.partial === "0" && !r.querySelector("[role=status]").textContent.includes("searching");
  }, { q: ui.query, root: ROOT });
  const before = await page.evaluate((root) => {
    const r = (0, eval)(root);
    return {
      expanded: r.querySelector("input[role=combobox]").getAttribute("aria-expanded"),
      controls: r.querySelector("input[role=combobox]").getAttribute("aria-controls"),
      listbox: r.querySelector("[role=listbox]")?.id,
      options: [...r.querySelectorAll("[role=option]")].map((o) => ({
        id: o.id, title: o.querySelector(".title")?.firstChild?.textContent, href: o.querySelector("a")?.getAttribute("href"),
        marks: o.querySelectorAll("mark").length, weak: o.classList.contains("weak") })),
      status: r.querySelector("[role=status]")?.textContent,
      overflowX: document.documentElement.scrollWidth > window.innerWidth,
    };
  }, ROOT);
  await input.press("ArrowDown");
  await input.press("ArrowDown");
  const nav = await page.evaluate((root) => {
    const r = (0, eval)(root);
    return { active: r.querySelector("input[role=combobox]").getAttribute("aria-activedescendant"),
      selected: [...r.querySelectorAll("[role=option][aria-selected=true]")].map((o) => o.id) };
  }, ROOT);
  const small = await page.evaluate((root) => [...(0, eval)(root).querySelectorAll("a, input")]
    .filter((e) => e.getBoundingClientRect().width > 0)
    .map((e) => e.getBoundingClientRect()).filter((r) => r.height < 24).length, ROOT);
  if (ui.screenshot) await page.screenshot({ path: ui.screenshot, fullPage: false });
  await input.press("Escape");
  await input.press("Escape"); // the first closes the panel, the second clears the input
  const afterEscape = await page.evaluate((root) => ({
    options: (0, eval)(root).querySelectorAll("[role=option]").length,
    expanded: (0, eval)(root).querySelector("input[role=combobox]").getAttribute("aria-expanded"),
  }), ROOT);
  return { ...before, nav, afterEscape, smallTargets: small };
}

function runPage(browser, spec) {
  const ui = spec.ui ?? {};
  const context = ui.mobile
    ? { viewport: ui.viewport ?? { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true }
    : { viewport: ui.viewport ?? { width: 1280, height: 800 }, deviceScaleFactor: 1 };
  return recordedVisit(browser, context, { name: spec.name }, timeout, async (page, rep) => {
    await page.goto(spec.url, { waitUntil: "load" });
    await page.waitForFunction(() => window.searchReady !== undefined || window.pagefindReady !== undefined);
    rep.loadRequests = rep.requests.slice();
    if (spec.ui) rep.ui = await runUi(page, spec.ui);
    else rep.queries = await runQueries(page, spec, rep);
    rep.transfer = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => [e.name, e.transferSize, e.startTime, e.responseEnd, e.nextHopProtocol]));
  });
}

await runPages(chromium, job, outFile, runPage, timeout);
