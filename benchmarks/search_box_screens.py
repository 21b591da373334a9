"""Screenshots of the search box inside three generators' default themes (Sphinx alabaster, MkDocs, Jekyll minima; the
pages of tests/data/themes.tar.xz), desktop (1280 px) and phone (390 px), for docs/search.md:

    python3 benchmarks/search_box_screens.py     -> docs/search-<theme>-{desktop,phone}.png

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

SHOWN = ("sphinx-alabaster", "mkdocs", "jekyll-minima")


def shrink(shots: list[Path]) -> None:
    """256 colours (a third of the bytes, no visible loss on flat UI colours) when Pillow is installed."""
    try:
        from PIL import Image
    except ImportError:
        print("Pillow is not installed: screenshots kept as Chromium wrote them")
        return
    for shot in shots:
        Image.open(shot).convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(shot, optimize=True)
        print(shot.name, shot.stat().st_size, "bytes")


def main() -> int:
    from exporter.search.build import build_index

    work = Path(tempfile.mkdtemp(prefix="edgembed-box-screens-"))
    try:
        site = work / "site"
        site.mkdir()
        with tarfile.open(THEMES) as tar:
            tar.extractall(site, filter="data")
        (site / "_bare.html").write_text(BARE, encoding="utf-8")
        build_index(site, site / "_edgembed", progress=False)
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
    sys.exit(main())
