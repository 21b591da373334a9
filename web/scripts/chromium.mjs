// Shared by the Chromium drivers: Debian's chromium flags (nothing is downloaded), the job file, the loopback check.
import { readFileSync, writeFileSync } from "node:fs";

export const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** argv -> [job, outFile]; exits 2 with a usage line when an argument is missing. */
export function readJob(script) {
  const [jobFile, outFile] = process.argv.slice(2);
  if (!jobFile || !outFile) {
    console.error(`usage: node ${script} JOB.json OUT.json`);
    process.exit(2);
  }
  return [JSON.parse(readFileSync(jobFile, "utf8")), outFile];
}

/** True for URLs that stay on this machine (127.0.0.1, data:, blob:, about:). */
export function isLocal(url) {
  if (url.startsWith("data:") || url.startsWith("blob:") || url.startsWith("about:")) return true;
  try { return new URL(url).hostname === "127.0.0.1"; } catch { return false; }
}

/** Abort every request of CTX that would leave this machine, recording its URL in EXTERNAL. */
export function blockExternal(ctx, external) {
  return ctx.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    external.push(url);
    return route.abort("blockedbyclient");
  });
}

/** Throttle PAGE's network through the DevTools protocol to PROFILE ({latencyMs, downKbps, upKbps}); none: as is. */
export async function throttle(ctx, page, profile) {
  if (!profile) return;
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: profile.latencyMs,
    downloadThroughput: (profile.downKbps * 1000) / 8, uploadThroughput: (profile.upKbps * 1000) / 8 });
}

/**
 * A new page of CTX that leaves nothing off this machine and records its errors (uncaught exceptions and HTTP
 * answers ≥ 400), throttled to PROFILE: {page, external, errors}.
 */
export async function watchedPage(ctx, timeout, profile) {
  const external = [], errors = [];
  await blockExternal(ctx, external);
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  page.on("pageerror", (e) => errors.push(String(e?.message ?? e)));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
  await throttle(ctx, page, profile);
  return { page, external, errors };
}

/**
 * Launch Chromium (playwright-core's `chromium`), visit each page of JOB with RUNPAGE(browser, spec), write
 * {browser: "Chromium VERSION", pages}.
 */
export async function runPages(chromium, job, outFile, runPage, timeout) {
  const browser = await chromium.launch({ executablePath: job.chromium, args: ARGS, headless: true, timeout });
  const out = { browser: `Chromium ${browser.version()}`, pages: [] };
  try {
    for (const spec of job.pages) out.pages.push(await runPage(browser, spec));
  } finally {
    await browser.close();
  }
  writeFileSync(outFile, JSON.stringify(out));
}

/**
 * A new page in CTX that records into REP (requests, external, failed, httpErrors, consoleErrors, pageErrors,
 * dialogs): requests leaving this machine are aborted, dialogs dismissed.
 */
export async function openRecordedPage(ctx, rep, timeout) {
  await blockExternal(ctx, rep.external);
  const page = await ctx.newPage();
  page.setDefaultTimeout(timeout);
  page.on("request", (r) => rep.requests.push(r.url()));
  page.on("requestfailed", (r) => { if (isLocal(r.url())) rep.failed.push(`${r.url()} ${r.failure()?.errorText}`); });
  page.on("response", (r) => { if (r.status() >= 400) rep.httpErrors.push(`${r.status()} ${r.url()}`); });
  page.on("console", (m) => { if (m.type() === "error") rep.consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => rep.pageErrors.push(String(e?.message ?? e)));
  page.on("dialog", async (d) => { rep.dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss().catch(() => {}); });
  return page;
}

/**
 * One visit: a new context with CONTEXT_OPTIONS, a recorded page (openRecordedPage), WORK(page, rep), the context
 * closed. Returns REP: FIELDS plus the recorded lists, and `error` (the first line) when WORK threw.
 */
export async function recordedVisit(browser, contextOptions, fields, timeout, work) {
  const ctx = await browser.newContext(contextOptions);
  const rep = { ...fields, requests: [], external: [], failed: [], httpErrors: [], consoleErrors: [], pageErrors: [], dialogs: [] };
  const page = await openRecordedPage(ctx, rep, timeout);
  try {
    await work(page, rep);
  } catch (e) {
    rep.error = String(e?.message ?? e).split("\n")[0];
  } finally {
    await ctx.close();
  }
  return rep;
}
