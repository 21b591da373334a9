// A big batch on the demo page, as a user's corpus would go (benchmarks and tests/test_big_batch.py): one query first
// (lazy rows: a few shards), then LINES in batches of BATCH texts, timed from the page's clock. Optional CDP
// throttling (mobile: {latencyMs, downKbps, upKbps}). The caller logs the server's requests.
//   node web/scripts/big_batch.mjs JOB.json OUT.json
// JOB: {chromium, url, lines: [...], batch, backend, throttle?, controlled?, waitFill?, offlineAfter?, offlineQuery?}   OUT: {firstMs, before (rows stats), passMs, secondPassMs, vectors (first 3), rows, runtime}
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { ARGS, blockExternal, readJob, throttle } from "./chromium.mjs";

const [job, outFile] = readJob("big_batch.mjs");
const browser = await chromium.launch({ executablePath: job.chromium, args: ARGS, headless: true, timeout: 600000 });
try {
  const ctx = await browser.newContext();
  const external = [], errors = [];
  await blockExternal(ctx, external);
  const page = await ctx.newPage();
  page.setDefaultTimeout(600000);
  if (process.env.BIG_BATCH_DEBUG) page.on("console", (m) => console.error("page:", m.text()));
  page.on("pageerror", (e) => errors.push(String(e?.message ?? e)));
  await throttle(ctx, page, job.throttle);
  if (job.controlled) { // a first visit registers edgembed-sw.js, which takes the page: the run's visit is controlled
    await page.goto(job.url, { waitUntil: "commit" });
    await page.waitForFunction(() => navigator.serviceWorker?.controller);
    await fetch(new URL("controlled-visit", job.url)).catch(() => {}); // a mark in the server's log (a 404)
  }
  const run = async (url = job.url) => {
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction(() => window.edgembed !== undefined);
  return page.evaluate(async ({ lines, batch, backend }) => {
    navigator.serviceWorker?.addEventListener("message", (e) => (window.swMessages ??= []).push(e.data));
    await window.edgembed.ready;
    const t0 = performance.now();
    await window.edgembed.embed([lines[0]], { backend });
    const firstMs = performance.now() - t0;
    const before = await window.edgembed.rows(); // what the page's first query (and its own start) fetched
    const pass = async () => {
      const t = performance.now(), vecs = [];
      for (let i = 0; i < lines.length; i += batch) vecs.push(...(await window.edgembed.embed(lines.slice(i, i + batch), { backend })));
      return [performance.now() - t, vecs];
    };
    const [passMs, vecs] = await pass();
    const [secondPassMs] = await pass();
    return { firstMs, before, passMs, secondPassMs, vectors: vecs.slice(0, 3).map((v) => Array.from(v)),
      rows: await window.edgembed.rows(), runtime: await window.edgembed.runtime(backend) };
  }, { lines: job.lines, batch: job.batch ?? 64, backend: job.backend ?? "flat" });
  };
  const out = await run();
  if (job.controlled) console.error("big_batch: first run done");
  if (job.controlled || job.waitFill) { // once the worker stored every shard: a visit whose batch takes the table from it
    out.controlled = await page.evaluate(() => Boolean(navigator.serviceWorker?.controller));
    out.cachedShards = await page.evaluate(async (shards) => {
      for (const t0 = Date.now(); ;) {
        let n = 0;
        for (const name of await caches.keys()) n += (await (await caches.open(name)).keys()).filter((r) => /\/rows\/\d+\.bin$/.test(r.url)).length;
        const ready = (await Promise.all((await caches.keys()).map(async (name) => (await caches.open(name)).match("manifest.json")))).some(Boolean);
        if ((n >= shards && ready) || Date.now() - t0 > 120000) return ready ? n : -n; // -n: not complete after 2 minutes
        await new Promise((r) => setTimeout(r, 200));
      }
    }, out.rows?.shards ?? (await page.evaluate(async () => // ?rows=whole: no lazy rows; the index says how many
      new DataView(await (await fetch("rows/index.bin")).arrayBuffer()).getUint32(36, true))));
    console.error(`big_batch: ${out.cachedShards} shards in the worker's cache`, JSON.stringify(await page.evaluate(() => window.swMessages)));
    if (job.controlled) out.again = await run();
    if (job.offlineAfter) { // the server goes (it drops every request from now on): the same visit from the worker's cache
      await fetch(new URL("go-offline", job.url)).catch(() => {});
      out.offline = await run(job.offlineQuery ? `${job.url.split("?")[0]}?${job.offlineQuery}` : job.url);
    }
  }
  writeFileSync(outFile, JSON.stringify({ ...out, external, errors }));
} finally {
  await browser.close();
}
