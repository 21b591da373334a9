"""Screenshots of the search box for docs/search.md: edgembed's own docs (README.md, docs/*.md) indexed as a site,
searched in Chromium on a desktop (1280 px) and a phone (390 px, 3x).   python3 benchmarks/search_screens.py"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from search_browser import run_pages, write_host_page  # noqa: E402

QUERY = "which quantization keeps quality at 2 MB"


def main() -> int:
    from exporter.search.build import build_index

    work = Path(tempfile.mkdtemp(prefix="edgembed-screens-"))
    try:
        site = work / "site"
        (site / "docs").mkdir(parents=True)
        shutil.copyfile(ROOT / "README.md", site / "README.md")
        for p in (ROOT / "docs").glob("*.md"):
            shutil.copyfile(p, site / "docs" / p.name)
        build_index(site, site / "_edgembed", progress=False)
        url = write_host_page(site, title="edgembed docs")
        pages = run_pages(site, [
            {"name": "desktop", "url": url, "engine": "edgembed", "ui": {"query": QUERY, "screenshot": str(ROOT / "docs" / "search-desktop.png")}},
            {"name": "phone", "url": url, "engine": "edgembed", "ui": {"query": QUERY, "mobile": True, "screenshot": str(ROOT / "docs" / "search-phone.png")}},
        ])
        for p in pages:
            print(p["name"], p.get("error") or "ok", [o["title"] for o in p.get("ui", {}).get("options", [])][:4])
        from search_box_screens import shrink

        shrink([ROOT / "docs" / "search-desktop.png", ROOT / "docs" / "search-phone.png"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
