// The search box inside real theme pages, in headless Chromium (playwright-core, Debian's /usr/bin/chromium).
//   node web/scripts/search_box.mjs JOB.json OUT.json
// JOB: {chromium, timeoutMs, pages: [{name, url, slot (CSS selector the box is put first into), css? (page CSS added
//        after the theme's), queries: [..], mode?, mobile?, scale? (phone pixel ratio, default 2), screenshot?}]}
// OUT: {pages: [{name, before, results: [{query, options, status}], layout, styles, keys, escape, outside, enter, ...}]}
// The box is <edgembed-search index="/_edgembed/">; everything inside it is read through its (open) shadow root.
import { chromium } from "playwright-core";
import { readJob, recordedVisit, runPages } from "./chromium.mjs";

const [job, outFile] = readJob("search_box.mjs");
const timeout = job.timeoutMs ?? 120000;
const PROPS = ["color", "background-color", "font-family", "font-size", "font-weight", "font-style", "line-height",
  "letter-spacing", "word-spacing", "text-transform", "text-indent", "text-align", "text-decoration-line",
  "text-shadow", "list-style-type", "margin-top", "margin-right", "margin-bottom", "margin-left", "padding-top",
  "padding-right", "padding-bottom", "padding-left", "border-top-width", "border-left-width", "border-top-color",
  "box-shadow", "white-space", "visibility", "opacity"];
const PARTS = { input: "input", panel: ".panel", head: ".head", option: "li[role=option]", link: "li[role=option] > a",
  title: ".title", excerpt: ".excerpt", mark: "mark", sub: ".sub a", weak: ".badge" };

async function results(page, query) {
  const input = page.locator("edgembed-search input[role=combobox]");
  await input.fill("");
  await input.pressSequentially(query, { delay: 10 });
  await page.waitForFunction((q) => {
    const r = document.querySelector("edgembed-search").shadowRoot;
    const list = r.querySelector("[role=listbox]");
    return list?.dataset.query === q && list.dataset.partial === "0" && !r.querySelector("[role=status]").textContent.includes("searching");
  }, query);
  return page.evaluate(() => {
    const r = document.querySelector("edgembed-search").shadowRoot;
    return {
      status: r.querySelector("[role=status]").textContent,
      options: [...r.querySelectorAll("[role=option]")].map((o) => ({
        id: o.id, title: o.querySelector(".title")?.firstChild?.textContent ?? "", href: o.querySelector("a")?.getAttribute("href"),
        heading: o.querySelector(".heading")?.textContent ?? "", excerpt: o.querySelector(".excerpt")?.textContent ?? "",
        score: Number(o.dataset.score), weak: o.classList.contains("weak"), part: o.getAttribute("part"),
        badge: o.querySelector(".badge")?.textContent ?? "", marks: o.querySelectorAll("mark").length,
        subs: [...o.querySelectorAll(".sub a")].map((a) => [a.textContent, a.getAttribute("href")]) })),
    };
  });
}

function state(page) {
  return page.evaluate(() => {
    const r = document.querySelector("edgembed-search").shadowRoot;
    const input = r.querySelector("input");
    return { hidden: r.querySelector(".panel").hidden, expanded: input.getAttribute("aria-expanded"), value: input.value,
      active: input.getAttribute("aria-activedescendant"),
      selected: [...r.querySelectorAll("[role=option][aria-selected=true]")].map((o) => o.id) };
  });
}

function runPage(browser, spec) {
  const context = spec.mobile
    ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: spec.scale ?? 2, isMobile: true, hasTouch: true }
    : { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };
  return recordedVisit(browser, context, { name: spec.name }, timeout, async (page, rep) => {
    await page.goto(spec.url, { waitUntil: "load" });
    await page.evaluate(({ slot, css, mode }) => {
      if (css) {
        const st = document.createElement("style");
        st.textContent = css;
        document.head.append(st);
      }
      const box = document.createElement("edgembed-search");
      box.setAttribute("index", "/_edgembed/");
      box.setAttribute("placeholder", "Search the docs");
      box.setAttribute("mode", mode);
      (document.querySelector(slot) ?? document.body).prepend(box);
    }, { slot: spec.slot, css: spec.css ?? "", mode: spec.mode ?? "hybrid" });
    await page.addScriptTag({ type: "module", content: 'import "/_edgembed/js/search_ui.mjs";' });
    await page.waitForFunction(() => document.querySelector("edgembed-search")?.ui !== undefined);
    await page.evaluate(() => document.querySelector("edgembed-search").ui.search);
    await page.evaluate(() => window.scrollTo({ top: document.querySelector("edgembed-search").getBoundingClientRect().top + window.scrollY - 8,
      behavior: "instant" }));
    rep.before = await page.evaluate(() => {
      const host = document.querySelector("edgembed-search"), cs = getComputedStyle(host);
      return { docHeight: document.documentElement.scrollHeight, docWidth: document.documentElement.scrollWidth,
        hostHeight: host.getBoundingClientRect().height, hostPadding: cs.paddingTop };
    });
    rep.results = [];
    for (const q of spec.queries) rep.results.push(await results(page, q));
    // the first query's panel: where it is, what it covers, and its own styles
    await results(page, spec.queries[0]);
    rep.layout = await page.evaluate(() => {
      const host = document.querySelector("edgembed-search"), r = host.shadowRoot;
      const p = r.querySelector(".panel").getBoundingClientRect(), i = r.querySelector("input").getBoundingClientRect();
      const cx = p.left + p.width / 2, cy = p.top + Math.min(p.height / 2, 60);
      const onTop = document.elementFromPoint(cx, cy);
      return { docHeight: document.documentElement.scrollHeight, docWidth: document.documentElement.scrollWidth, hostHeight: host.getBoundingClientRect().height,
        viewport: [Math.min(document.documentElement.clientWidth, window.visualViewport.width), window.innerHeight],
        panel: { left: p.left, top: p.top, width: p.width, height: p.height, bottom: p.bottom },
        input: { left: i.left, top: i.top, width: i.width, bottom: i.bottom },
        position: getComputedStyle(r.querySelector(".panel")).position,
        popover: r.querySelector(".panel").matches(":popover-open"),
        onTop: onTop === host && r.querySelector(".panel").contains(r.elementFromPoint(cx, cy)) };
    });
    rep.styles = await page.evaluate(({ parts, props }) => {
      const r = document.querySelector("edgembed-search").shadowRoot;
      const out = {};
      for (const [name, sel] of Object.entries(parts)) {
        const e = r.querySelector(sel);
        if (!e) continue;
        const cs = getComputedStyle(e);
        out[name] = Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
      }
      return out;
    }, { parts: PARTS, props: PROPS });
    if (spec.screenshot) await page.screenshot({ path: spec.screenshot, fullPage: false });
    const input = page.locator("edgembed-search input[role=combobox]");
    rep.keys = [];
    for (const k of ["ArrowDown", "ArrowDown", "ArrowUp"]) {
      await input.press(k);
      rep.keys.push(await state(page));
    }
    await input.press("Escape");
    rep.escape = [await state(page)];
    await input.press("Escape");
    rep.escape.push(await state(page));
    await results(page, spec.queries[0]);
    await page.mouse.click(2, 2); // outside the box
    rep.outside = [await state(page)];
    await input.focus();
    rep.outside.push(await state(page)); // focus brings the results back
    await input.press("ArrowDown");
    const want = await page.evaluate(() => document.querySelector("edgembed-search").shadowRoot
      .querySelector("[role=option][aria-selected=true] a").href);
    await Promise.all([page.waitForURL((u) => u.href === want), input.press("Enter")]);
    rep.enter = { want, got: page.url() };
  });
}

await runPages(chromium, job, outFile, runPage, timeout);
