// First-load benchmark driver (benchmarks/bench_first_load.py writes the job): one Chromium, a fresh context (empty
// cache) per page visit, the network throttled through the DevTools protocol (Network.emulateNetworkConditions: a
// latency added to every request, and download/upload rates). Per visit: time from navigation start to the page's
// marks (ready, first result), bytes on the wire up to each (Resource Timing transferSize: headers included, 0 for
// nothing cached in a fresh context), then each later query's time and bytes.
//   node web/scripts/bench_first_load.mjs JOB.json OUT.json
// JOB: {chromium, timeoutMs, visits: [{name, profile: {latencyMs, downKbps, upKbps} | null, url, kind, queries}]}
//   kind "demo": the demo's marks edgembed:model-ready / edgembed:first-result, then window.edgembed.search(q) per query;
//   kind "page": a page that sets window.bench = {ready, first, embed(q)} (the minimal page, transformers.js).
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { ARGS, readJob, watchedPage } from "./chromium.mjs";

const [job, outFile] = readJob("bench_first_load.mjs");
const timeout = job.timeoutMs ?? 900000;

/** Bytes on the wire of everything the page fetched whose response ended by T (ms since navigation start). */
const BYTES_BY = `(t) => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
  .filter((e) => e.responseEnd <= t + 0.5).reduce((s, e) => s + (e.transferSize || 0), 0)`;
const ALL_BYTES = `() => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
  .reduce((s, e) => s + (e.transferSize || 0), 0)`;
const REQUESTS = `() => performance.getEntriesByType("resource").map((e) => [new URL(e.name).pathname, e.transferSize, Math.round(e.startTime), Math.round(e.responseEnd)])`;

async function visit(browser, v) {
  const ctx = await browser.newContext();
  const { page, external, errors } = await watchedPage(ctx, timeout, v.profile);
  const rep = { name: v.name, external, errors };
  try {
    await page.goto(v.url, { waitUntil: "commit" });
    if (v.kind === "demo") {
      await page.waitForFunction(() => window.edgembed !== undefined);
      await page.evaluate(() => window.edgembed.ready);
      const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType("mark").map((m) => [m.name, m.startTime])));
      rep.readyMs = marks["edgembed:model-ready"];
      rep.firstMs = marks["edgembed:first-result"];
      rep.phases = await page.evaluate(() => window.edgembedPhases ?? null);
    } else {
      await page.waitForFunction(() => window.bench !== undefined);
      const r = await page.evaluate(async () => ({ ready: await window.bench.ready, first: await window.bench.first }));
      rep.readyMs = r.ready;
      rep.firstMs = r.first;
      rep.phases = await page.evaluate(async () => (await window.bench.phases) ?? null);
    }
    rep.readyBytes = await page.evaluate(`(${BYTES_BY})(${rep.readyMs})`);
    rep.firstBytes = await page.evaluate(`(${BYTES_BY})(${rep.firstMs})`);
    rep.later = [];
    for (const q of v.queries ?? []) {
      const before = await page.evaluate(`(${ALL_BYTES})()`);
      const ms = await page.evaluate(async ({ q, kind }) => {
        const t0 = performance.now();
        if (kind === "demo") await window.edgembed.search(q);
        else await window.bench.embed(q);
        return performance.now() - t0;
      }, { q, kind: v.kind });
      await page.waitForTimeout(30);
      rep.later.push({ ms, bytes: (await page.evaluate(`(${ALL_BYTES})()`)) - before });
    }
    rep.requests = await page.evaluate(`(${REQUESTS})()`);
  } catch (e) {
    rep.error = String(e?.message ?? e).split("\n")[0];
  } finally {
    await ctx.close();
  }
  return rep;
}

const browser = await chromium.launch({ executablePath: job.chromium, args: ARGS, headless: true, timeout });
const out = { visits: [] };
try {
  for (const v of job.visits) {
    out.visits.push(await visit(browser, v));
    process.stderr.write(`  ${v.name}: ${out.visits.at(-1).error ?? `${Math.round(out.visits.at(-1).firstMs)} ms`}\n`);
  }
} finally {
  await browser.close();
}
writeFileSync(outFile, JSON.stringify(out));
