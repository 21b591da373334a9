// A big batch on the demo page, as a user's corpus would go (benchmarks and tests/test_big_batch.py): one query first
// (lazy rows: a few shards), then LINES in batches of BATCH texts, timed from the page's clock. Optional CDP
// throttling (mobile: {latencyMs, downKbps, upKbps}). The caller logs the server's requests.
//   node web/scripts/big_batch.mjs JOB.json OUT.json
// JOB: {chromium, url, lines: [...], batch, backend, throttle?}   OUT: {firstMs, before (rows stats), passMs, secondPassMs, vectors (first 3), rows, runtime}
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
  page.on("pageerror", (e) => errors.push(String(e?.message ?? e)));
  await throttle(ctx, page, job.throttle);
  await page.goto(job.url, { waitUntil: "commit" });
  await page.waitForFunction(() => window.edgembed !== undefined);
  const out = await page.evaluate(async ({ lines, batch, backend }) => {
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
  writeFileSync(outFile, JSON.stringify({ ...out, external, errors }));
} finally {
  await browser.close();
}
