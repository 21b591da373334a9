// Lazy rows' crossover (benchmarks/bench_rows_crossover.py writes the job): in a fresh Chromium context per trial
// (empty cache), optionally throttled, the time to fetch and check N row shards (the runtime's LazyRows, its default
// concurrency) against one request for the whole table (model.edgembed, checked against the manifest's sha256).
//   node web/scripts/rows_crossover.mjs JOB.json OUT.json
// JOB: {chromium, base, runtime (URL of edgembed.bundle.mjs), trials: [{profile, shards: N | "whole"}]}
// OUT: {trials: [{profile, shards, ms, requests, bytes}]}
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { ARGS, blockExternal, readJob, throttle } from "./chromium.mjs";

const [job, outFile] = readJob("rows_crossover.mjs");
const browser = await chromium.launch({ executablePath: job.chromium, args: ARGS, headless: true, timeout: 600000 });
const out = { trials: [] };
try {
  for (const t of job.trials) {
    const ctx = await browser.newContext();
    await blockExternal(ctx, []);
    const page = await ctx.newPage();
    page.setDefaultTimeout(600000);
    await page.goto(`${job.base}manifest.json`);
    await throttle(ctx, page, t.profile);
    const r = await page.evaluate(async ({ runtime, base, shards }) => {
      const { load } = await import(runtime);
      const m = await load(base, { backend: "flat", rows: "lazy", workers: 1, wholeShare: 2 }); // never whole on its own
      const rows = m.impl.lazy, ix = rows.index;
      const t0 = performance.now();
      if (shards === "whole") await rows.takeWhole();
      else { // N shards spread evenly over the table: one id from each
        const ids = Int32Array.from({ length: shards }, (_, i) => Math.floor((i * ix.shards) / shards) * ix.shardRows);
        await rows.ensure([ids]);
      }
      const ms = performance.now() - t0;
      return { ms, requests: rows.requests, bytes: rows.bytesFetched, total: ix.shards };
    }, { runtime: job.runtime, base: job.base, shards: t.shards });
    out.trials.push({ profile: t.name, shards: t.shards, ...r });
    await ctx.close();
  }
} finally {
  await browser.close();
}
writeFileSync(outFile, JSON.stringify(out));
