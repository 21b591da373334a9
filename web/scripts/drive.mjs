// Drive the demo page in headless Chromium (playwright-core, Debian's /usr/bin/chromium; nothing is downloaded).
//   node web/scripts/drive.mjs JOB.json OUT.json
// JOB: {chromium, timeoutMs, pages: [{name, url, backend, texts?, query?, sentences?, switchTo?, screenshot?}]}
// OUT: {pages: [{name, embeddings, runtime, requests, external, failed, consoleErrors, pageErrors, dialogs, bytesFetched, ...}]}
// Each page gets a fresh browser context (empty cache). Requests to any host but 127.0.0.1 are recorded and aborted.
import { chromium } from "playwright-core";
import { readJob, recordedVisit, runPages } from "./chromium.mjs";

const [job, outFile] = readJob("drive.mjs");
const timeout = job.timeoutMs ?? 60000;

const snapshot = (page) => page.evaluate(() => ({
  imgs: document.querySelectorAll("img, script:not([src]):not([type=importmap])").length,
  text: document.body.innerText,
  results: [...document.querySelectorAll("#results .hit")].map((li) => ({
    index: Number(li.dataset.index),
    title: li.querySelector(".hit-title").textContent,
    score: Number(li.querySelector(".score-num").textContent),
    weak: li.classList.contains("weak"),
    tag: li.querySelector(".weak-tag")?.textContent ?? null,
    opacity: Number(getComputedStyle(li).opacity),
  })),
  weakNote: document.getElementById("weak-note")?.hidden === false ? document.getElementById("weak-note").textContent : null,
  cells: document.querySelectorAll("#matrix .cell").length,
  panel: Object.fromEntries([...document.querySelectorAll(".panel dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])),
  status: document.getElementById("status").textContent,
}));

function runPage(browser, spec) {
  const context = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 };
  return recordedVisit(browser, context, { name: spec.name, backend: spec.backend }, timeout, async (page, rep) => {
    await page.goto(spec.url, { waitUntil: "load" });
    await page.waitForFunction(() => window.edgembed !== undefined);
    await page.evaluate(() => window.edgembed.ready);
    const env = await page.evaluate(() => ({ crossOriginIsolated: globalThis.crossOriginIsolated === true,
      threads: document.getElementById("p-threads")?.textContent ?? null }));
    Object.assign(rep, env);
    if (spec.texts) {
      const r = await page.evaluate(async ({ texts, backend }) => {
        const t0 = performance.now();
        const out = await window.edgembed.embed(texts, { backend });
        return { ms: performance.now() - t0, vectors: out.map((v) => Array.from(v)) };
      }, { texts: spec.texts, backend: spec.backend });
      rep.embeddings = r.vectors;
      rep.embedMs = r.ms;
      rep.runtime = await page.evaluate((b) => window.edgembed.runtime?.(b) ?? null, spec.backend);
    }
    if (spec.query !== undefined) rep.searchTop = await page.evaluate((q) => window.edgembed.search(q), spec.query);
    if (spec.sentences) await page.evaluate((s) => window.edgembed.compare(s), spec.sentences);
    if (spec.query !== undefined || spec.sentences) {
      await page.waitForTimeout(300); // let any (wrongly) injected element try to load
      rep.dom = await snapshot(page);
    }
    if (spec.switchTo) { // click the backend switch like a user, wait for the page to redo search + grid
      await page.click(`input[name=backend][value=${spec.switchTo}]`);
      await page.waitForFunction((b) => document.getElementById("status").textContent === `ready · ${b}`, spec.switchTo);
      rep.domAfterSwitch = await snapshot(page);
    }
    rep.bytesFetched = await page.evaluate(() => window.edgembed.bytesFetched());
    if (spec.screenshot) await page.screenshot({ path: spec.screenshot, fullPage: true });
  });
}

await runPages(chromium, job, outFile, runPage, timeout);
