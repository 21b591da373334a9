"""Screenshots of the search box inside three generators' default themes (Sphinx alabaster, MkDocs, Jekyll minima; the
pages of tests/data/themes.tar.xz), desktop (1280 px) and phone (390 px), for docs/search.md:

    python3 benchmarks/search_box_screens.py                    -> docs/search-<theme>-{desktop,phone}.png (Chromium)
    python3 benchmarks/search_box_screens.py firefox webkit     -> docs/search-<theme>-<engine>-{desktop,phone}.png

Chromium's phone is an emulated phone (390 x 844, touch); Firefox ESR and WebKitGTK have no phone emulation here, so
their "phone" is a 390 x 844 viewport at a pixel ratio of 1.

The site is the four theme pages indexed with the default model; the query finds one page well and others weakly."""

from __future__ import annotations

import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.test_search_box import BARE, PAGES, QUERY, THEMES, drive  # noqa: E402

VIEWS = {"desktop": (1280, 800), "phone": (390, 844)}
# The box as a site would put it (the theme's CSS only), the query run and its results shown.
SHOW_JS = """async ({ slot, query }) => {
  await import("/_edgembed/js/search_ui.mjs");
  const box = document.createElement("edgembed-search");
  box.setAttribute("index", "/_edgembed/");
  box.setAttribute("placeholder", "Search the docs");
  (document.querySelector(slot) ?? document.body).prepend(box);
  await box.ui.search;
  window.scrollTo({ top: box.getBoundingClientRect().top + window.scrollY - 8, behavior: "instant" });
  // a theme's fixed header (MkDocs' navbar on a phone) would cover the box: scroll it out from under
  const at = box.getBoundingClientRect();
  let over = document.elementFromPoint(at.left + 4, at.top + 4);
  while (over && over !== box && !["fixed", "sticky"].includes(getComputedStyle(over).position)) over = over.parentElement;
  if (over && over !== box) window.scrollBy({ top: at.top - over.getBoundingClientRect().bottom - 8, behavior: "instant" });
  const input = box.shadowRoot.querySelector("input");
  input.focus();
  input.value = query;
  await box.ui.run(query);
  box.ui.open();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return box.shadowRoot.querySelectorAll("[role=option]").length;
}"""

SHOWN = ("sphinx-alabaster", "mkdocs", "jekyll-minima")


def shrink(shots: list[Path]) -> None:
    """256 colours (a third of the bytes, no visible loss on flat UI colours) when Pillow is installed."""
    try:
        from PIL import Image
    except ImportError:
        print("Pillow is not installed: screenshots kept as the browser wrote them")
        return
    for shot in shots:
        Image.open(shot).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(shot, optimize=True)
        print(shot.name, shot.stat().st_size, "bytes")


def other_engine(engine: str, base: str) -> list[Path]:
    """ENGINE's screenshots of the SHOWN themes at both widths."""
    from exporter.proof.engines import engine_available, open_engine

    ok, why = engine_available(engine)
    if not ok:
        print(f"{engine}: {why}")
        return []
    shots = []
    with open_engine(engine, timeout=300) as eng:
        for theme in SHOWN:
            page_path, slot = PAGES[theme]
            for view, (w, h) in VIEWS.items():
                page = eng.new_page(w, h)
                try:
                    page.goto(f"{base}{theme}/{page_path}")
                    shown = page.evaluate(SHOW_JS, {"slot": slot, "query": QUERY}, timeout=240)
                    shots.append(page.screenshot(ROOT / "docs" / f"search-{theme}-{engine}-{view}.png"))
                    print(engine, theme, view, f"{shown} results shown")
                finally:
                    page.close()
    return shots


def main(engines: list[str]) -> int:
    from exporter.search.build import build_index
    from search_browser import keepalive_server

    work = Path(tempfile.mkdtemp(prefix="edgembed-box-screens-"))
    try:
        site = work / "site"
        site.mkdir()
        with tarfile.open(THEMES) as tar:
            tar.extractall(site, filter="data")
        (site / "_bare.html").write_text(BARE, encoding="utf-8")
        build_index(site, site / "_edgembed", progress=False)
        if engines:
            srv, base = keepalive_server(site)
            try:
                shrink([shot for engine in engines for shot in other_engine(engine, base)])
            finally:
                srv.shutdown()
                srv.server_close()
            return 0
        specs = []
        for theme in SHOWN:
            page, slot = PAGES[theme]
            for view in ("desktop", "phone"):
                specs.append({"name": f"{theme}-{view}", "url": f"/{theme}/{page}", "slot": slot, "queries": [QUERY],
                              "mobile": view == "phone", "scale": 1,
                              "screenshot": str(ROOT / "docs" / f"search-{theme}-{view}.png")})
        for p in drive(site, specs):
            print(p["name"], p.get("error") or "ok", p["results"][0]["status"] if p.get("results") else "")
        shrink([Path(spec["screenshot"]) for spec in specs])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
