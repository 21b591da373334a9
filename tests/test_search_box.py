"""The search box inside real generators' default themes (Sphinx alabaster, Sphinx furo, MkDocs, Jekyll minima; one page
each with its theme CSS, tests/data/themes.tar.xz) under hostile page CSS, in Chromium: no page rule reaches inside its
shadow root (its computed styles equal those on a bare page), the results overlay the page (its height does not
change), the keyboard works, weak matches are marked by the measured rule; in Firefox and WebKit, the same four themes:
the box's computed styles equal a bare page's, overlay, weak marks, keys; plus the excerpt/title helpers in Node."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, WEB, node_marks

pytest.importorskip("selectolax")
pytestmark = node_marks()
sys.path.insert(0, str(ROOT / "benchmarks"))

THEMES = ROOT / "tests" / "data" / "themes.tar.xz"
# theme -> (page, where a site would put the box)
PAGES = {
    "sphinx-alabaster": ("quickstart.html", "div.body"),
    "sphinx-furo": ("getting-started.html", "article"),
    "mkdocs": ("user-guide/writing-your-docs/index.html", "div[role=main]"),
    "jekyll-minima": ("features.html", "main.page-content .wrapper"),
}
HOSTILE = """* { color: red !important; padding: 40px !important; margin: 3px !important; font: italic 30px/3 serif !important;
  letter-spacing: 4px !important; text-transform: uppercase !important; text-align: right !important;
  text-indent: 2em !important; background-color: #0f0 !important; box-shadow: 0 0 9px blue !important }
li { margin-left: 5em !important; list-style: square !important; display: list-item !important }
a, a:visited { color: #f0f !important; text-decoration: underline wavy !important; border-bottom: 3px solid !important }
ul { padding-left: 9em !important; margin: 2em !important } mark { background: black !important; color: white !important }
input { border: 5px dashed red !important; height: 10px !important; font-size: 8px !important }
[hidden] { display: block !important } div { position: static !important; opacity: .9 !important }"""
BARE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1"><title>bare</title></head><body><main></main></body></html>"""
QUERY = "debug mode development server"  # one strong page (Flask's quickstart), weaker others
WEAK_QUERY = "templates"


@pytest.fixture(scope="module")
def theme_site(tmp_path_factory) -> Path:
    """The four theme pages as one site, indexed with the default model, plus a bare page."""
    from exporter.search.build import build_index

    site = tmp_path_factory.mktemp("themes") / "site"
    site.mkdir()
    with tarfile.open(THEMES) as tar:
        tar.extractall(site, filter="data")
    (site / "_bare.html").write_text(BARE, encoding="utf-8")
    build_index(site, site / "_edgembed", progress=False)
    return site


def drive(site: Path, pages: list[dict]) -> list[dict]:
    from exporter.proof.browser import _drive, chromium_path
    from search_browser import keepalive_server

    srv, base = keepalive_server(site)
    try:
        job = {"chromium": chromium_path(), "timeoutMs": 60000,
               "pages": [{**p, "url": base + p["url"].lstrip("/")} for p in pages]}
        return _drive(job, 600, driver=WEB / "scripts" / "search_box.mjs")["pages"]
    finally:
        srv.shutdown()
        srv.server_close()


def specs(mobile: bool) -> list[dict]:
    out = [{"name": "bare", "url": "/_bare.html", "slot": "main", "queries": [QUERY, WEAK_QUERY], "mobile": mobile}]
    for theme, (page, slot) in PAGES.items():
        out.append({"name": theme, "url": f"/{theme}/{page}", "slot": slot, "css": HOSTILE,
                    "queries": [QUERY, WEAK_QUERY], "mobile": mobile})
    return out


@pytest.mark.browser
@pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])
def test_box_in_real_themes_under_hostile_css(theme_site, mobile):
    from exporter.proof.browser import browser_available
    from exporter.search.query import SiteIndex

    ok, why = browser_available()
    if not ok:
        pytest.skip(why)
    pages = drive(theme_site, specs(mobile))
    ix = SiteIndex(theme_site / "_edgembed")
    bare = pages[0]
    for p in pages:
        assert not p.get("error") and not p["pageErrors"], p
        assert not [u for u in p["external"] if not u.endswith((".png", ".svg", ".jpg"))], p["external"]  # theme images only
        # the box's own styles: every part's computed style equals the bare page's, property by property
        assert set(p["styles"]) == set(bare["styles"]) and len(p["styles"]) >= 9, (p["name"], sorted(p["styles"]))
        diff = [(part, k, v, bare["styles"][part][k]) for part, st in p["styles"].items() for k, v in st.items()
                if v != bare["styles"][part][k]]
        assert not diff, (p["name"], diff[:8])
        # overlay: the page keeps its height, the panel is positioned and on top, the host is the input's height
        lay = p["layout"]
        assert lay["docHeight"] == p["before"]["docHeight"] and lay["hostHeight"] == p["before"]["hostHeight"] == 44, (p["name"], lay, p["before"])
        assert lay["docWidth"] == p["before"]["docWidth"] and lay["onTop"], (p["name"], lay, p["before"])
        assert lay["panel"]["top"] >= lay["input"]["bottom"] and lay["panel"]["bottom"] <= lay["viewport"][1] + 1, (p["name"], lay)
        assert lay["position"] == "fixed" and lay["popover"], (p["name"], lay)  # in the top layer
        if mobile:  # full-width panel on a phone
            assert lay["panel"]["left"] == 0 and lay["panel"]["width"] == lay["viewport"][0], (p["name"], lay)
        else:
            assert lay["panel"]["width"] >= min(576, lay["viewport"][0] - 16), (p["name"], lay)
        # the results are the index's hybrid ranking; weak ones are those under 0.65 x the first score
        for res, q in zip(p["results"], (QUERY, WEAK_QUERY)):
            want = ix.search(q, 8, "hybrid")
            assert [o["href"] for o in res["options"]] == [h["anchor_url"] for h in want], (p["name"], q)
            top = want[0]["score"]
            assert [o["weak"] for o in res["options"]] == [h["score"] < 0.65 * top for h in want], (p["name"], q)
            assert all((o["badge"] == "weak match") == o["weak"] and ("weak" in o["part"].split()) == o["weak"] for o in res["options"])
            assert all(o["title"] and not o["title"].startswith(("/", "http")) for o in res["options"])
        assert not any(o["weak"] for o in p["results"][0]["options"][:1])
        assert any(o["weak"] for r in p["results"] for o in r["options"]), p["name"]  # the weak query shows some
        assert p["results"][0]["options"][0]["marks"] > 0
        # keyboard: down, down, up; Esc closes (text kept), a second Esc clears; a click outside closes, focus reopens
        ids = [o["id"] for o in p["results"][0]["options"]]
        assert [k["active"] for k in p["keys"]] == [ids[0], ids[1], ids[0]] and p["keys"][1]["selected"] == [ids[1]]
        assert p["escape"][0]["hidden"] and p["escape"][0]["expanded"] == "false" and p["escape"][0]["value"] == QUERY
        assert p["escape"][1]["value"] == ""
        assert p["outside"][0]["hidden"] and not p["outside"][1]["hidden"] and p["outside"][1]["expanded"] == "true"
        assert p["enter"]["got"] == p["enter"]["want"]  # Enter follows the selected result
    print({p["name"]: (p["layout"]["panel"]["width"], p["results"][1]["status"]) for p in pages})


UI_JS = """
import { readFileSync } from "node:fs";
const job = JSON.parse(readFileSync(0, "utf8"));
const { stripMarkdown } = await import(job.module);
const M = "\\uE000", O = "\\uE001";
process.stdout.write(JSON.stringify({
  md: job.md.map(([t, md]) => stripMarkdown(t.replaceAll("<m>", M).replaceAll("</m>", O), md).replaceAll(M, "<m>").replaceAll(O, "</m>")) }));
"""


def test_excerpt_markdown():
    md = [["Use **<m>pip</m> install** with `--user`, see [the guide](https://x.org/a_(b)).", False],
          ["## Install <m>pip</m> > note * item | a | b | --- done", True],
          ["call __init__ with *args and **kwargs, 2 * 3 = 6", False],
          ["a *real* emphasis and ¶", False], ["bytes, cisi](eval-cisi.png) [one](a) and [two", True]]
    r = subprocess.run(["node", "--input-type=module", "-e", UI_JS], capture_output=True, text=True, cwd=WEB, timeout=60,
                       input=json.dumps({"module": (WEB / "runtime" / "search_ui.mjs").as_uri(), "md": md}))
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout)
    assert got["md"] == ["Use <m>pip</m> install with --user, see the guide.", " Install <m>pip</m> note item a b done",
                         "call __init__ with *args and **kwargs, 2 * 3 = 6", "a real emphasis and ",
                         "bytes, cisi one and two"]


# a page on http://box.test/ serving the runtime's modules, the box in #box; the test's script follows (job: chromium, runtime)
BOX_PAGE_JS = r"""
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";
const job = JSON.parse(readFileSync(0, "utf8"));
const browser = await chromium.launch({ executablePath: job.chromium, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  await page.route("http://box.test/**", (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === "/") return route.fulfill({ contentType: "text/html", body: "<!doctype html><div id=box></div>" });
    return route.fulfill({ contentType: "text/javascript", body: readFileSync(job.runtime + path) });
  });
  await page.goto("http://box.test/");
"""

STALE_JS = BOX_PAGE_JS + r"""
  const out = await page.evaluate(async (delays) => {
    const { EdgembedSearchUI } = await import("/search_ui.mjs");
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const calls = [];
    // a made-up index: each query's hits are titled by the query and the mode; DELAYS[query][mode] ms each
    const search = { meta: {}, prefetch() {}, async search(q, { mode }) {
      calls.push([q, mode]);
      await sleep(delays[q][mode]);
      return [{ url: `/${q}.html`, title: `${q} ${mode}`, heading: "", excerpt: q, score: 1, sub_results: [] }];
    } };
    const ui = new EdgembedSearchUI({ element: document.getElementById("box"), search, mode: "hybrid", debounceMs: 0 });
    const r = ui.shadow, list = r.querySelector("[role=listbox]"), input = r.querySelector("input");
    const seen = [];
    new MutationObserver(() => seen.push([list.dataset.query, list.dataset.partial,
      [...list.querySelectorAll(".title")].map((t) => t.textContent)])).observe(list, { childList: true });
    input.focus();
    input.value = "older";
    const older = ui.run("older");
    await sleep(20);
    input.value = "newer";
    await ui.run("newer");
    const afterNewer = [list.dataset.query, [...list.querySelectorAll(".title")].map((t) => t.textContent)];
    await older;
    await sleep(50);
    return { afterNewer, final: [list.dataset.query, [...list.querySelectorAll(".title")].map((t) => t.textContent)],
      status: r.querySelector("[role=status]").textContent, seen, calls };
  }, job.delays);
  process.stdout.write(JSON.stringify(out));
} finally { await browser.close(); }
"""


@pytest.mark.browser
def test_slow_older_search_never_shows_under_a_newer_query():
    """A search still running when a newer one is typed (its keyword and hybrid results both slower than the newer
    query's) never shows its results: the list only ever holds results labelled with the query they answer, and
    ends with the newer query's hybrid results."""
    from exporter.proof.browser import chromium_path

    delays = {"older": {"keyword": 300, "hybrid": 600}, "newer": {"keyword": 10, "hybrid": 60}}
    r = subprocess.run(["node", "--input-type=module", "-e", STALE_JS], capture_output=True, text=True, cwd=WEB,
                       timeout=120, input=json.dumps({"chromium": chromium_path(), "runtime": str(WEB / "runtime"),
                                                      "delays": delays}))
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    assert got["afterNewer"] == ["newer", ["newer hybrid"]] and got["final"] == ["newer", ["newer hybrid"]], got
    assert all(all(t.startswith(q + " ") for t in titles) for q, _, titles in got["seen"]), got["seen"]
    assert not any(titles and titles[0].startswith("older") for _, _, titles in got["seen"]), got["seen"]
    assert got["status"] == "1 result", got
    assert ["older", "hybrid"] in got["calls"] and ["older", "keyword"] in got["calls"]  # the older one did run


PASTE_JS = BOX_PAGE_JS + r"""
  const out = await page.evaluate(async (debounceMs) => {
    const { EdgembedSearchUI } = await import("/search_ui.mjs");
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    const calls = [];
    let t0 = 0;
    const search = { meta: {}, prefetch() {}, async search(q, { mode }) {
      calls.push([q, mode, performance.now() - t0]);
      return [{ url: `/${q}.html`, title: `${q} ${mode}`, heading: "", excerpt: q, score: 1, sub_results: [] }];
    } };
    const ui = new EdgembedSearchUI({ element: document.getElementById("box"), search, mode: "hybrid", debounceMs });
    const input = ui.shadow.querySelector("input");
    input.focus();
    const put = (v) => { input.value = v; t0 = performance.now(); input.dispatchEvent(new Event("input", { bubbles: true })); };
    put("wing flutter drag"); // pasted: the whole question in one input event
    await sleep(debounceMs / 2);
    const pasted = calls.splice(0);
    put("wing flutter drags"); // one key more: debounced
    await sleep(debounceMs / 2);
    const early = calls.splice(0);
    await sleep(debounceMs);
    return { pasted, early, typed: calls.splice(0) };
  }, job.debounceMs);
  process.stdout.write(JSON.stringify(out));
} finally { await browser.close(); }
"""


@pytest.mark.browser
def test_a_pasted_question_runs_without_the_debounce():
    """A paste (the text grew by more than one key) is a whole question: the box searches it at once, not after the
    debounce; a key still waits for it."""
    from exporter.proof.browser import chromium_path

    r = subprocess.run(["node", "--input-type=module", "-e", PASTE_JS], capture_output=True, text=True, cwd=WEB,
                       timeout=120, input=json.dumps({"chromium": chromium_path(), "runtime": str(WEB / "runtime"),
                                                      "debounceMs": 800}))
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    print(got)
    assert {m for q, m, _ in got["pasted"] if q == "wing flutter drag"} == {"hybrid", "keyword"}, got
    assert all(t < 400 for _, _, t in got["pasted"]), got
    assert got["early"] == [], got  # the key's search waits for the debounce
    assert {m for q, m, t in got["typed"] if q == "wing flutter drags" and t >= 800} == {"hybrid", "keyword"}, got


SMOKE_JS = """async ({ css, slot, query, parts, props }) => {
  if (css) { const st = document.createElement("style"); st.textContent = css; document.head.append(st); }
  await import("/_edgembed/js/search_ui.mjs");
  const box = document.createElement("edgembed-search");
  box.setAttribute("index", "/_edgembed/");
  box.setAttribute("mode", "keyword");
  (document.querySelector(slot) ?? document.body).prepend(box);
  const ui = box.ui, r = box.shadowRoot, input = r.querySelector("input");
  await ui.search;
  window.scrollTo(0, box.getBoundingClientRect().top + window.scrollY - 8);
  const h0 = document.documentElement.scrollHeight, w0 = document.documentElement.scrollWidth;
  input.focus();
  input.value = query;
  await ui.run(query);
  ui.open();
  const key = (k) => { input.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true }));
    return input.getAttribute("aria-activedescendant"); };
  const styles = {};
  for (const [name, sel] of Object.entries(parts)) {
    const e = r.querySelector(sel);
    if (e) { const cs = getComputedStyle(e); styles[name] = Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)])); }
  }
  const panel = r.querySelector(".panel"), p = panel.getBoundingClientRect(), i = input.getBoundingClientRect();
  const out = { styles, heights: [h0, document.documentElement.scrollHeight], widths: [w0, document.documentElement.scrollWidth],
    hostHeight: box.getBoundingClientRect().height, position: getComputedStyle(panel).position, below: p.top >= i.bottom,
    options: [...r.querySelectorAll("[role=option]")].map((o) => [o.querySelector("a").getAttribute("href"), o.classList.contains("weak")]),
    ids: [...r.querySelectorAll("[role=option]")].map((o) => o.id), keys: [key("ArrowDown"), key("ArrowDown"), key("ArrowUp")] };
  key("Escape");
  out.closed = [panel.hidden, input.getAttribute("aria-expanded"), input.value];
  return out;
}"""
SMOKE_PARTS = {"input": "input", "panel": ".panel", "option": "li[role=option]", "link": "li[role=option] > a",
               "title": ".title", "excerpt": ".excerpt", "mark": "mark"}
SMOKE_PROPS = ["color", "font-family", "font-size", "font-style", "line-height", "letter-spacing", "text-transform",
               "text-indent", "margin-left", "padding-left", "padding-top", "list-style-type", "text-decoration-line"]


@pytest.mark.browser
@pytest.mark.parametrize("engine", ["firefox", "webkit"])
def test_box_smoke_in_other_engines(theme_site, engine):
    """Firefox and WebKit: the box in each theme (Sphinx alabaster and furo, MkDocs, Jekyll minima) under hostile CSS
    keeps its own styles (equal to a bare page's in the same engine: no theme rule reaches inside it), overlays without
    moving the page, marks weak keyword matches, moves with the arrow keys."""
    from exporter.proof.engines import engine_available, open_engine
    from exporter.search.query import SiteIndex
    from search_browser import keepalive_server

    ok, why = engine_available(engine)
    if not ok:
        pytest.skip(why)
    srv, base = keepalive_server(theme_site)
    try:
        with open_engine(engine, timeout=300) as eng:
            got = {}
            visits = [("bare", "_bare.html", "main", "")] + [(theme, f"{theme}/{page}", slot, HOSTILE)
                                                              for theme, (page, slot) in PAGES.items()]
            for name, url, slot, css in visits:
                page = eng.new_page(1280, 800)
                page.goto(base + url)
                got[name] = page.evaluate(SMOKE_JS, {"css": css, "slot": slot, "query": QUERY, "parts": SMOKE_PARTS,
                                                     "props": SMOKE_PROPS}, timeout=240)
                page.close()
    finally:
        srv.shutdown()
        srv.server_close()
    want = SiteIndex(theme_site / "_edgembed").search(QUERY, 8, "keyword")
    bare = got["bare"]
    assert len(got) == 1 + len(PAGES)
    for name, g in got.items():
        assert g["styles"] == bare["styles"] and len(g["styles"]) == len(SMOKE_PARTS), (engine, name)
        assert g["heights"][0] == g["heights"][1] and g["widths"][0] == g["widths"][1] and g["hostHeight"] == 44, (engine, name, g)
        assert g["position"] == "fixed" and g["below"], (engine, name, g)
        top = want[0]["score"]
        assert g["options"] == [[h["anchor_url"], h["score"] < 0.5 * top] for h in want], (engine, name)
        assert g["keys"] == [g["ids"][0], g["ids"][1], g["ids"][0]] and g["closed"] == [True, "false", QUERY]
    print(engine, {n: len(g["options"]) for n, g in got.items()})
