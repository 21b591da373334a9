// Site search as a visitor meets it, on a throttled network (benchmarks/bench_site_rtt.py writes the job): one
// Chromium, a fresh context (empty cache) per visit, Network.emulateNetworkConditions through the DevTools protocol.
// Per visit: the page loads, the visitor clicks the box and types each query (a key every `keyMs`), and we time, from
// the input event of the query's last key, the first results shown for that query ("keyword": edgembed's first list,
// Pagefind's first complete list) and the final list (edgembed: its hybrid list; Pagefind: the same as its first),
// and the bytes on the wire from that key to the final list (Playwright's request sizes: encoded body and headers,
// the page's and its workers').
//   node web/scripts/search_rtt.mjs JOB.json OUT.json
// JOB: {chromium, timeoutMs, keyMs, visits: [{name, engine: "edgembed" | "pagefind", url, profile, queries}]}
// OUT: {visits: [{name, loadMs, queries: [{query, keywordMs, finalMs, bytes, wire: [[path, bytes]], firstBytes?, firstWire?,
//   requests}], errors}]} (firstBytes, firstWire: the first query, everything since navigation)
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { ARGS, readJob, watchedPage } from "./chromium.mjs";

const [job, outFile] = readJob("search_rtt.mjs");
const timeout = job.timeoutMs ?? 600000;

// In the page: every input event's time and value, and every change of the results, as [time, query, final, n].
const RECORDER = `(() => {
  window.rtt = { inputs: [], renders: [] };
  performance.setResourceTimingBufferSize(100000); // the default 250 entries fill up within a typed visit's first queries
  addEventListener("input", (e) => { const t = e.composedPath()[0]; if (t?.value !== undefined) rtt.inputs.push([performance.now(), t.value]); }, true);
  const watch = () => {
    const box = document.querySelector("edgembed-search");
    if (box?.shadowRoot?.querySelector("[role=listbox]")) {
      const list = box.shadowRoot.querySelector("[role=listbox]");
      new MutationObserver(() => rtt.renders.push([performance.now(), list.dataset.query, list.dataset.partial === "0",
        list.children.length])).observe(list, { childList: true });
      return;
    }
    const pf = document.querySelector("#search");
    if (pf?.querySelector(".pagefind-ui__search-input")) {
      // Pagefind shows "N results for Q", then each result as a skeleton filled when its fragment arrives: a list
      // counts once every result shown has its link
      new MutationObserver(() => {
        const msg = pf.querySelector(".pagefind-ui__message")?.textContent ?? "";
        const items = [...pf.querySelectorAll(".pagefind-ui__result")];
        const done = items.length > 0 && items.every((r) => r.querySelector(".pagefind-ui__result-link"));
        const m = /for\\s+(.*)$/s.exec(msg.trim());
        if (m && (done || /^No results/i.test(msg.trim()))) rtt.renders.push([performance.now(), m[1].trim(), true, items.length]);
      }).observe(pf, { childList: true, subtree: true, characterData: true });
      return;
    }
    setTimeout(watch, 5);
  };
  watch();
})()`;

const IDLE_MS = 10000; // after a list, wait up to this long for the page's requests to end before the next question

async function visit(browser, v) {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
    ignoreHTTPSErrors: !!job.insecure }); // serve_h2.mjs's self-signed certificate
  const { page, external, errors } = await watchedPage(ctx, timeout, v.profile);
  await page.addInitScript(RECORDER);
  // bytes of every response, the page's and its workers' (Pagefind searches in a worker, out of the page's Resource
  // Timing): [start (ms since the epoch), path, encoded body + headers]
  const wire = [];
  let inFlight = 0; // requests asked for and not yet answered: a question's bytes are counted once the page is idle
  ctx.on("request", () => { inFlight++; });
  ctx.on("requestfailed", () => { inFlight--; });
  ctx.on("requestfinished", (req) => {
    inFlight--;
    const start = req.timing().startTime;
    req.sizes().then((z) => wire.push([start, new URL(req.url()).pathname, z.responseBodySize + z.responseHeadersSize]),
      () => {});
  });
  const since = async (t0) => {
    const origin = await page.evaluate(() => performance.timeOrigin);
    return wire.filter(([s]) => s >= origin + t0 - 0.5);
  };
  const rep = { name: v.name, engine: v.engine, external, errors, queries: [] };
  try {
    await page.goto(v.url, { waitUntil: "load" });
    rep.loadMs = await page.evaluate(() => performance.getEntriesByType("navigation")[0].loadEventStart);
    const input = page.locator(v.engine === "edgembed" ? "edgembed-search input" : ".pagefind-ui__search-input");
    await input.click();
    for (const q of v.queries) {
      await input.fill("");
      if (job.keyMs === 0) await input.fill(q); // pasted: one input event
      else await input.pressSequentially(q, { delay: job.keyMs ?? 80 });
      const r = await page.waitForFunction(({ q, engine }) => {
        const typed = rtt.inputs.filter(([, val]) => val === q).pop();
        if (!typed) return null;
        const t0 = typed[0];
        const mine = rtt.renders.filter(([t, rq]) => t >= t0 && rq === q);
        const first = mine.find(([, , , n]) => n > 0) ?? mine.find(([, , fin]) => fin);
        const fin = mine.find(([, , f]) => f);
        if (!fin) return null;
        const wrong = rtt.renders.filter(([t, rq]) => t >= t0 && rq !== q).length; // lists shown under another query
        return { t0, keywordMs: first[0] - t0, finalMs: fin[0] - t0, finalAt: fin[0], n: fin[3], wrong, engine };
      }, { q, engine: v.engine }, { polling: 20, timeout: 120000 });
      const got = await r.jsonValue();
      await page.waitForTimeout(v.settleMs ?? 300); // late fetches of this query (prefetched fragments) count too
      // ... and so does what the list set off in the background (at most IDLE_MS more): the visitor reads the list
      // before the next question, and no request straddles two questions' windows (counted in neither)
      for (const end = Date.now() + IDLE_MS; inFlight > 0 && Date.now() < end;) await page.waitForTimeout(25);
      got.idleMs = Math.round(await page.evaluate(() => performance.now()) - got.finalAt);
      const after = await since(got.t0);
      got.bytes = after.reduce((a, [, , n]) => a + n, 0);
      if (rep.queries.length === 0) { // everything since navigation
        got.firstBytes = wire.reduce((a, [, , n]) => a + n, 0);
        got.firstWire = wire.map(([, path, n]) => [path, n]);
      }
      // [path, bytes, start, end] in ms after the question: those asked for since (the first question's: everything
      // since navigation) and those still in flight at its last key (a typed question's earlier keys asked for them)
      got.requests = await page.evaluate(([t, from]) => performance.getEntriesByType("resource").filter((e) => e.startTime >= from || e.responseEnd >= t)
        .map((e) => [new URL(e.name).pathname, e.transferSize, Math.round(e.startTime - t), Math.round(e.responseEnd - t)]),
      [got.t0, rep.queries.length === 0 ? 0 : got.t0 - 0.5]);
      got.wire = after.map(([, path, n]) => [path, n]);
      rep.queries.push({ query: q, ...got });
    }
  } catch (e) {
    errors.push(String(e?.message ?? e).split("\n")[0]);
  } finally {
    await ctx.close();
  }
  return rep;
}

const browser = await chromium.launch({ executablePath: job.chromium, args: ARGS });
const out = { visits: [] };
try {
  for (const v of job.visits) out.visits.push(await visit(browser, v));
} finally {
  await browser.close();
}
writeFileSync(outFile, JSON.stringify(out));
