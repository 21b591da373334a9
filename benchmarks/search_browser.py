"""Site search in Chromium: a host page for the edgembed index (or Pagefind's), the driver run, bytes on the wire.

Bytes are counted as a static host sends them: text types (HTML, JS, JSON, CSS) gzipped (level 6, the usual
default of nginx/Apache/CDNs for dynamic compression), binaries (.bin, .edgembed, .pf_*, .pagefind) as they are;
the test server itself sends everything uncompressed."""

from __future__ import annotations

import gzip
import html
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from exporter.proof.browser import WEB, _drive, chromium_path

DRIVER = WEB / "scripts" / "search_page.mjs"
TEXT = (".html", ".htm", ".mjs", ".js", ".json", ".css", ".svg", ".txt", ".md")

EDGEMBED_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1"><title>{title}</title>
<style>body{{margin:0;padding:24px 16px;font-family:system-ui,sans-serif;background:#f8fafc}}
h1{{font-size:1.3rem;margin:0 0 12px}}main{{max-width:42rem;margin:0 auto}}</style></head>
<body><main><h1>{title}</h1><div id=search></div></main>
<script type=module>
import {{ loadSearch }} from "/_edgembed/js/search.mjs";
import {{ EdgembedSearchUI }} from "/_edgembed/js/search_ui.mjs";
window.searchReady = loadSearch("/_edgembed/", {{ preload: new URLSearchParams(location.search).get("preload") !== "0" }});
new EdgembedSearchUI({{ element: document.getElementById("search"), search: window.searchReady, placeholder: "Search the docs" }});
</script></body></html>"""

PAGEFIND_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8><title>pagefind</title></head><body>
<script type=module>
const pf = await import("/pagefind/pagefind.js");
await pf.options({{}});
window.pagefindReady = Promise.resolve(pf);
</script></body></html>"""


ELEMENT_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1"><title>element</title>
<script type="module" src="/_edgembed/js/search_ui.mjs"></script></head><body>
<edgembed-search index="/_edgembed/" placeholder="Search the docs"></edgembed-search>
<script type=module>await customElements.whenDefined("edgembed-search"); window.searchReady = document.querySelector("edgembed-search").ui.search;</script>
</body></html>"""


def write_host_page(site: Path, name: str = "_search.html", title: str = "Search", engine: str = "edgembed") -> str:
    """A page at SITE/NAME: the search box over the index ("edgembed"), the two-line <edgembed-search> snippet of
    docs/search.md ("element"), or Pagefind's JS API ("pagefind")."""
    page = {"edgembed": EDGEMBED_PAGE.format(title=html.escape(title)), "element": ELEMENT_PAGE,
            "pagefind": PAGEFIND_PAGE.format()}[engine]
    (site / name).write_text(page, encoding="utf-8")
    return "/" + name


@lru_cache(maxsize=None)
def _wire(path: str, mtime: float) -> int:
    data = Path(path).read_bytes()
    return len(gzip.compress(data, 6, mtime=0)) if path.endswith(TEXT) else len(data)


def wire_bytes(site: Path, urls: list[str], skip: tuple[str, ...] = ()) -> int:
    """Bytes a static host would send for URLS (paths under SITE), each URL once."""
    total = 0
    for u in dict.fromkeys(urls):
        rel = urlparse(u).path.lstrip("/")
        if rel in skip:
            continue
        p = site / rel
        if p.is_file():
            total += _wire(str(p), p.stat().st_mtime)
    return total


def keepalive_server(site: Path):
    """`edgembed serve`'s server (HTTP/1.1 keep-alive, gzip for text as a static host sends it) in a thread."""
    from exporter.targets.serve import serve_in_thread

    return serve_in_thread(site)


def run_pages(site: Path, pages: list[dict], timeout: float = 600) -> list[dict]:
    """Serve SITE on 127.0.0.1 (HTTP/1.1, keep-alive) and drive PAGES (search_page.mjs specs with a path as url)."""
    srv, base = keepalive_server(site)
    try:
        job = {"chromium": chromium_path(), "timeoutMs": 60000,
               "pages": [{**p, "url": base + p["url"].lstrip("/")} for p in pages]}
        return _drive(job, timeout, driver=DRIVER)["pages"]
    finally:
        srv.shutdown()
        srv.server_close()
