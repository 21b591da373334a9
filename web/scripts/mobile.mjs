// The demo page on a phone: Playwright mobile emulation (isMobile, hasTouch) in Debian's chromium, nothing downloaded.
//   node web/scripts/mobile.mjs JOB.json OUT.json
// JOB: {chromium, timeoutMs (loading), actionTimeoutMs (each tap, fill, wait after loading), pages: [{name, url, width, height, dpr, query, sentences, screenshot?}]}
// Each page: type QUERY in the search box (Enter), put SENTENCES in the textarea and tap Compare, then measure the
// layout (page width, what sticks out past the edges, touch targets, text that does not wrap) and open the on-screen
// keyboard (focus a field, shrink the viewport to 300 px high) over the search input and the textarea.
import { chromium } from "playwright-core";
import { readJob, recordedVisit, runPages } from "./chromium.mjs";

const [job, outFile] = readJob("mobile.mjs");
const timeout = job.timeoutMs ?? 60000;
const actionTimeout = job.actionTimeoutMs ?? 30000;
const KEYBOARD_HEIGHT = 300; // what is left of a phone's viewport with the on-screen keyboard open

/** In the page: the layout facts at viewport width VW. */
function measure(vw) {
  const de = document.documentElement;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? `#${e.id}` : "") + [...e.classList].map((c) => `.${c}`).join("");
  const path = (e) => { const p = []; for (let a = e; a && a !== document.body; a = a.parentElement) p.unshift(name(a)); return p.join(" > "); };
  // Every element's visible box: its own box cut by each ancestor that clips or scrolls horizontally. Such an
  // ancestor is measured itself, so a child may only reach past the edge inside a box that stays within it.
  const outside = [];
  for (const e of document.body.querySelectorAll("*")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    let left = r.left + scrollX, right = r.right + scrollX;
    for (let a = e.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      if (getComputedStyle(a).overflowX === "visible") continue;
      const ar = a.getBoundingClientRect();
      left = Math.max(left, ar.left + scrollX);
      right = Math.min(right, ar.right + scrollX);
    }
    if (right > left && (right > vw + 0.5 || left < -0.5)) outside.push({ el: path(e), left: Math.round(left), right: Math.round(right) });
  }
  const box = (e) => { const r = e.getBoundingClientRect(); return { el: path(e), width: r.width, height: r.height }; };
  const targets = [...document.querySelectorAll("button, [role=button], input[type=button], input[type=submit], select, #backend-switch label")]
    .filter((e) => e.getClientRects().length > 0).map(box);
  // Text that must wrap: nothing of it may be pushed sideways, even inside a clipping box.
  const unwrapped = [...document.querySelectorAll(".hit-title, .hit-text, .hint, .meta, h1, dd, #sim-time, #status")]
    .filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => ({ el: path(e), scrollWidth: e.scrollWidth, clientWidth: e.clientWidth }));
  const wrapStyle = [...document.querySelectorAll(".hit-title, .hit-text")].map((e) => getComputedStyle(e).overflowWrap);
  const m = document.getElementById("matrix");
  const mr = m.getBoundingClientRect();
  return {
    scrollWidth: de.scrollWidth, bodyScrollWidth: document.body.scrollWidth, clientWidth: de.clientWidth,
    innerWidth: innerWidth, scale: visualViewport.scale, outside, targets, unwrapped, wrapStyle,
    hits: document.querySelectorAll("#results .hit").length,
    hitTexts: [...document.querySelectorAll("#results .hit-text")].map((e) => e.textContent),
    query: document.getElementById("query").value,
    cells: document.querySelectorAll("#matrix .cell").length,
    matrix: { left: mr.left + scrollX, right: mr.right + scrollX, scrollWidth: m.scrollWidth, clientWidth: m.clientWidth,
      overflowX: getComputedStyle(m).overflowX },
  };
}

/** Tap SELECTOR (placed at 70% of the tall viewport when the page can scroll that far), then "open the keyboard". */
async function keyboard(page, selector, width, height) {
  await page.setViewportSize({ width, height });
  await page.evaluate(({ sel, h }) => {
    document.activeElement?.blur();
    const e = document.querySelector(sel);
    window.scrollTo(0, Math.max(0, e.getBoundingClientRect().top + scrollY - 0.7 * h));
  }, { sel: selector, h: height });
  await page.tap(selector);
  await page.setViewportSize({ width, height: KEYBOARD_HEIGHT });
  const inView = (sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    const vv = visualViewport;
    return r.top >= vv.offsetTop - 0.5 && r.bottom <= vv.offsetTop + vv.height + 0.5;
  };
  await page.waitForFunction(inView, selector, { timeout: 2000 }).catch(() => {}); // measured either way below
  await page.waitForTimeout(100);
  return page.evaluate((sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return { selector: sel, focused: document.activeElement === document.querySelector(sel), top: r.top, bottom: r.bottom,
      viewTop: visualViewport.offsetTop, viewHeight: visualViewport.height, scrollWidth: document.documentElement.scrollWidth };
  }, selector);
}

function runPage(browser, spec) {
  const context = { viewport: { width: spec.width, height: spec.height }, deviceScaleFactor: spec.dpr, isMobile: true, hasTouch: true };
  return recordedVisit(browser, context, { name: spec.name, backend: "flat", width: spec.width }, timeout, async (page, rep) => {
    await page.goto(spec.url, { waitUntil: "load" });
    await page.waitForFunction(() => window.edgembed !== undefined);
    await page.evaluate(() => window.edgembed.ready);
    page.setDefaultTimeout(actionTimeout); // a tap that cannot happen (page too wide, target covered) fails fast
    rep.loaded = { scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth) }; // as first shown
    // like a user: type the query, press Enter; fill the sentences, tap Compare
    await page.tap("#query");
    await page.fill("#query", spec.query);
    await page.press("#query", "Enter");
    await page.evaluate((q) => window.edgembed.search(q), spec.query); // resolves once this query's results are shown
    await page.fill("#sentences", spec.sentences.join("\n"));
    await page.tap("#compare");
    await page.waitForFunction((n) => document.querySelectorAll("#matrix .cell").length === n * n
      && document.getElementById("sim-time").textContent.startsWith(`${n} sentences`), spec.sentences.length);
    await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
    rep.layout = await page.evaluate(measure, spec.width);
    if (spec.screenshot) await page.screenshot({ path: spec.screenshot });
    rep.keyboard = [];
    for (const sel of ["#query", "#sentences"]) rep.keyboard.push(await keyboard(page, sel, spec.width, spec.height));
    await page.setViewportSize({ width: spec.width, height: spec.height });
  });
}

await runPages(chromium, job, outFile, runPage, timeout);
