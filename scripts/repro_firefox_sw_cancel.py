"""Firefox logs "Failed to load ''. A ServiceWorker intercepted the request and encountered an unexpected error." for
a request its service worker answered when the page cancels it while the body is still being copied (docs/web.md,
"No service-worker errors"): a minimal page and worker, no edgembed code. The worker answers `/data` with a Response
it builds (a streamed body, or a buffered 1 MiB one); the page aborts one fetch while reading it, then reloads with
fetches under way. Prints how many times each step logged the line, in the engine named (default firefox):

    PYTHONPATH=$PWD python3 scripts/repro_firefox_sw_cancel.py firefox   # also: chromium, webkit
"""

from __future__ import annotations

import functools
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from exporter.proof.engines import open_engine

WORKER = """
self.addEventListener("install", (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (e) => {
  if (!new URL(e.request.url).pathname.startsWith("/data")) return;
  if (e.request.url.includes("buffered")) return e.respondWith(new Response(new Uint8Array(1 << 20)));
  let n = 0; // else a body that streams 1 KiB every 50 ms
  const body = new ReadableStream({ async pull(c) {
    await new Promise((r) => setTimeout(r, 50)); c.enqueue(new Uint8Array(1024)); if (++n === 200) c.close(); } });
  e.respondWith(new Response(body));
});
"""
PAGE = """<!doctype html><meta charset="utf-8"><title>repro</title><body>repro<script>
window.ready = navigator.serviceWorker.register("sw.js").then(() => navigator.serviceWorker.ready).then(() =>
  navigator.serviceWorker.controller || new Promise((r) => navigator.serviceWorker.oncontrollerchange = r)).then(() => true);
window.go = (n, q) => { for (let i = 0; i < n; i++) fetch("data?" + q + i).then((r) => r.arrayBuffer()).catch(() => {}); };
window.goAbort = async () => { const c = new AbortController(); const r = await fetch("data?abort", { signal: c.signal });
  setTimeout(() => c.abort(), 300); try { await r.arrayBuffer(); } catch {} };
</script></body>"""
MESSAGE = "A ServiceWorker intercepted the request and encountered an unexpected error"


def main(engine: str) -> None:
    site = Path(tempfile.mkdtemp())
    (site / "sw.js").write_text(WORKER)
    (site / "index.html").write_text(PAGE)
    handler = functools.partial(type("H", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None}), directory=str(site))
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.handle_error = lambda *a: None  # the browser hangs up on the bodies it cancels: not news here
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    eng = open_engine(engine, timeout=120)
    p = eng.new_page()
    seen = 0

    def logged() -> int:
        nonlocal seen
        log = p.log()
        now = sum(MESSAGE in m for m in log.page_errors + log.console_errors)
        new, seen = now - seen, now
        return new

    def reload() -> None:
        p.reload()
        p.evaluate("async () => await window.ready", timeout=30)
        time.sleep(1)

    try:
        p.goto(f"http://127.0.0.1:{srv.server_address[1]}/index.html")
        reload()  # now controlled from the start
        print(f"{engine}: a visit and a reload: {logged()}")
        p.evaluate("() => window.goAbort()")
        time.sleep(1.5)
        print(f"{engine}: one fetch aborted by the page while reading its (streamed) body: {logged()}")
        p.evaluate("() => window.go(4, 'stream')")
        time.sleep(0.5)
        reload()
        print(f"{engine}: a reload with 4 streamed bodies under way: {logged()}")
        p.evaluate("() => window.go(40, 'buffered')")
        reload()
        print(f"{engine}: a reload right after 40 fetches of buffered 1 MiB bodies: {logged()}")
    finally:
        p.close()
        eng.close()
        srv.shutdown()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "firefox")
