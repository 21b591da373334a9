// Browser benchmark driver (benchmarks/bench_browser.py writes the job): one Chromium, a fresh context
// (empty cache, no service worker) per cold start; every request of the context is counted (the service worker's too). Per page: cold start (navigation start -> first embedding resolved, from
// the page's own clock), bytes of every response body (all, and those done by the first embedding), then timed passes (ms) over the given lines, and
// how the page ran (wasm threads, flat workers).
//   node web/scripts/bench_browser.mjs JOB.json OUT.json
// JOB: {chromium, timeoutMs, lines: [...], sample: [...], reps, coldReps, pages: [{name, url, backend}]}
// Requests to any host but 127.0.0.1 are recorded and aborted.
import { writeFileSync } from "node:fs";
import { chromium } from "playwright-core";
import { ARGS, blockExternal, isLocal, readJob } from "./chromium.mjs";

const [job, outFile] = readJob("bench_browser.mjs");
const timeout = job.timeoutMs ?? 300000;

/** A fresh context (empty cache) on SPEC's page: navigation -> ready -> first embedding; bytes of every response. */
async function coldStart(browser, spec, res) {
  const ctx = await browser.newContext();
  const rep = { external: res.external, errors: res.errors, files: {}, table: null, worker: null };
  const sizes = []; // [url, body bytes, by the service worker] of every request that reached the network
  await blockExternal(ctx, rep.external);
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  // The context's requests: the page's, its Web Workers' and its service worker's (the demo as exported registers
  // edgembed-sw.js, whose offline fill fetches the table too). A page request the service worker answered is not
  // counted: the worker's own request, if it went to the network, is (from its cache: nothing crossed the network).
  ctx.on("requestfinished", (r) => {
    const sw = r.serviceWorker() !== null;
    sizes.push(Promise.all([r.sizes(), r.response()])
      .then(([s, res]) => [r.url(), !sw && res?.fromServiceWorker() ? null : s.responseBodySize, sw])
      .catch(() => [r.url(), 0, sw]));
  });
  page.on("requestfailed", (r) => { if (isLocal(r.url())) rep.errors.push(`failed ${r.url()} ${r.failure()?.errorText}`); });
  page.on("response", (r) => { if (r.status() >= 400) rep.errors.push(`${r.status()} ${r.url()}`); });
  page.on("pageerror", (e) => rep.errors.push(String(e?.message ?? e)));
  rep.bytes = async () => {
    const done = (await Promise.all(sizes)).filter(([, n]) => n !== null);
    for (const [url, n] of done) rep.files[new URL(url).pathname] = n;
    // the table's requests (row shards, model.edgembed), each counted, whoever made it
    const table = done.filter(([url]) => { const p = new URL(url).pathname; return p.endsWith("/model.edgembed") || (p.includes("/rows/") && !p.endsWith("/index.bin")); });
    rep.table = { requests: table.length, distinct: new Set(table.map(([url]) => new URL(url).pathname)).size,
      bytes: table.reduce((n, [, b]) => n + b, 0), byWorker: table.filter(([, , sw]) => sw).length };
    rep.worker = { requests: done.filter(([, , sw]) => sw).length, bytes: done.reduce((n, [, b, sw]) => n + (sw ? b : 0), 0) };
    return done.reduce((s, [, n]) => s + n, 0);
  };
  await page.goto(spec.url, { waitUntil: "commit" });
  await page.waitForFunction(() => window.edgembed !== undefined);
  rep.coldMs = await page.evaluate(async ({ text, backend }) => {
    await window.edgembed.ready;
    await window.edgembed.embed([text], { backend });
    return performance.now(); // ms since this navigation started
  }, { text: job.lines[0], backend: spec.backend });
  const first = sizes.slice(); // the responses done by the first embedding (the demo's background fill() comes after)
  await page.waitForTimeout(200); // let the last responses report their sizes
  rep.coldBytes = await rep.bytes();
  rep.firstBytes = (await Promise.all(first)).reduce((s, [, n]) => s + (n ?? 0), 0);
  return { ctx, page, rep };
}

async function timedPass(page, spec) {
  return page.evaluate(async ({ lines, backend }) => {
    const t0 = performance.now();
    const out = await window.edgembed.embed(lines, { backend });
    if (out.length !== lines.length) throw new Error(`got ${out.length} vectors for ${lines.length} lines`);
    return performance.now() - t0;
  }, { lines: job.lines, backend: spec.backend });
}

// Cold starts: COLDREPS rounds, each visiting every page in a fresh context; the last round's pages stay
// open. Throughput: REPS rounds, interleaving the backends so background load hits them alike.
async function runAll(browser) {
  const results = job.pages.map((spec) => ({ name: spec.name, url: spec.url, coldMs: [], runs: [], errors: [], external: [] }));
  const open = [];
  const coldReps = Math.max(1, job.coldReps ?? 1);
  for (let c = 0; c < coldReps; c++) {
    for (const [i, spec] of job.pages.entries()) {
      const res = results[i];
      if (res.error) continue;
      try {
        const { ctx, page, rep } = await coldStart(browser, spec, res);
        res.coldMs.push(rep.coldMs);
        Object.assign(res, { coldBytes: rep.coldBytes, firstBytes: rep.firstBytes, files: rep.files });
        if (c === coldReps - 1) open[i] = { ctx, page, rep };
        else await ctx.close();
      } catch (e) {
        res.error = String(e?.message ?? e).split("\n")[0];
      }
    }
  }
  for (let r = 0; r < (job.reps ?? 1); r++) {
    for (const [i, spec] of job.pages.entries()) {
      if (!open[i] || results[i].error) continue;
      try { results[i].runs.push(await timedPass(open[i].page, spec)); } catch (e) { results[i].error = String(e?.message ?? e).split("\n")[0]; }
    }
  }
  for (const [i, spec] of job.pages.entries()) {
    if (!open[i]) continue;
    const { ctx, page, rep } = open[i];
    try {
      if (!results[i].error) {
        results[i].sample = await page.evaluate(async ({ texts, backend }) =>
          (await window.edgembed.embed(texts, { backend })).map((v) => Array.from(v)), { texts: job.sample, backend: spec.backend });
        results[i].totalBytes = await rep.bytes();
        results[i].table = rep.table; // every request for the table since the cold start, the service worker's too
        results[i].worker = rep.worker;
        // how the page ran: wasm threads, flat workers and the batches its pool took (demo page), or numThreads (transformers.js page)
        results[i].runtime = await page.evaluate(async (backend) => (window.edgembed.runtime
          ? window.edgembed.runtime(backend) : { numThreads: window.edgembed.numThreads?.() ?? null }), spec.backend);
      }
    } catch (e) {
      results[i].error = String(e?.message ?? e).split("\n")[0];
    } finally {
      await ctx.close();
    }
  }
  return results;
}

const browser = await chromium.launch({ executablePath: job.chromium, args: ARGS, headless: true, timeout });
const out = { version: browser.version(), pages: [] };
try {
  out.pages = await runAll(browser);
} finally {
  await browser.close();
}
writeFileSync(outFile, JSON.stringify(out));
