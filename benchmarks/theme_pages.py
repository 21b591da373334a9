"""Pack one real page of each generator's default theme, with the theme's CSS, for the search-box tests and screenshots
(tests/data/themes.tar.xz; tests/test_search_box.py, benchmarks/search_box_screens.py).

    python3 benchmarks/theme_pages.py [BUILT_SITES_DIR]   (default /tmp/edgembed-sites, as benchmarks/sites/build_sites.sh
                                                           of branch `sites` leaves it)

Scripts and remote links are removed (the tests run offline and must not depend on a theme's JS); the local style
sheets a page links are kept byte for byte, links to ones not packed (icon fonts) are dropped."""

from __future__ import annotations

import io
import re
import sys
import tarfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "themes.tar.xz"
# theme -> (built folder, page in it); sources and licences in tests/data/themes.md
PAGES = {
    "sphinx-alabaster": ("build-flask", "quickstart.html"),
    "sphinx-furo": ("build-pytest", "getting-started.html"),
    "mkdocs": ("build-mkdocs", "user-guide/writing-your-docs/index.html"),
    "jekyll-minima": ("build-typer", "features.html"),
}
SKIP_CSS = ("fontawesome", "brands.min", "solid.min", "v4-font-face")
LINK = re.compile(r"<link\b[^>]*>", re.I)


def pack(built: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for theme, (folder, page) in PAGES.items():
        site = built / folder
        html = (site / page).read_text(encoding="utf-8")
        html = re.sub(r"<script\b.*?</script\s*>", "", html, flags=re.I | re.S)

        def link(m: re.Match) -> str:
            tag = m.group(0)
            href = re.search(r'href="([^"]+)"', tag)
            if "stylesheet" not in tag or not href:
                return "" if href and re.match(r"(https?:)?//", href.group(1)) else tag
            url = href.group(1).split("?")[0]
            if re.match(r"(https?:)?//", url) or any(s in url for s in SKIP_CSS):
                return ""
            src = site / url.lstrip("/") if url.startswith("/") else (site / page).parent / url
            if not src.is_file():
                return ""
            rel = src.resolve().relative_to(site.resolve()).as_posix()
            files[f"{theme}/{rel}"] = src.read_bytes()
            depth = len(PurePosixPath(page).parts) - 1
            return tag.replace(href.group(0), f'href="{"../" * depth}{rel}"')

        files[f"{theme}/{page}"] = LINK.sub(link, html).encode("utf-8")
    return files


def main() -> int:
    built = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/edgembed-sites")
    files = pack(built)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz", preset=9) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(files[name]), 1767225600, 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    OUT.write_bytes(buf.getvalue())
    print(f"{OUT}: {len(files)} files, {OUT.stat().st_size} bytes")
    for n in sorted(files):
        print(f"  {n} {len(files[n])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
