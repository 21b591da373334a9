"""``edgembed serve DIR``: a static file server on 127.0.0.1 with the MIME types (and headers) the demo needs."""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

from exporter.errors import EdgembedError

MIME = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".html": "text/html",
    ".css": "text/css",
    ".onnx": "application/octet-stream",
    ".ort": "application/octet-stream",
    ".edgembed": "application/octet-stream",
    ".f16": "application/octet-stream",
}
HOST = "127.0.0.1"


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with explicit MIME types; optional cross-origin isolation (COOP/COEP) for wasm threads."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME}
    threads = False
    quiet = False

    def end_headers(self) -> None:
        if self.threads:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def guess_type(self, path) -> str:
        ctype = super().guess_type(path)
        if ctype.startswith("text/") and "charset" not in ctype:
            ctype += "; charset=utf-8"
        return ctype

    def log_message(self, format: str, *args) -> None:
        if not self.quiet:
            super().log_message(format, *args)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def make_server(folder: str | Path, port: int = 0, threads: bool = False, quiet: bool = True) -> Server:
    """A server for FOLDER bound to 127.0.0.1 (port 0: a free one); call serve_forever() or use serve_in_thread."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EdgembedError(f"cannot serve {folder}: not a folder")
    if not 0 <= port <= 65535:
        raise EdgembedError(f"--port must be between 0 and 65535, got {port}")
    handler = type("EdgembedHandler", (Handler,), {"threads": threads, "quiet": quiet})
    try:
        return Server((HOST, port), functools.partial(handler, directory=str(folder.resolve())))
    except OSError as e:
        raise EdgembedError(f"cannot listen on {HOST}:{port}: {e.strerror or e}") from None


def serve_in_thread(folder: str | Path, port: int = 0, threads: bool = False) -> tuple[Server, str]:
    """Start a quiet server in a daemon thread; returns it and its base URL (call .shutdown() when done)."""
    srv = make_server(folder, port, threads)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://{HOST}:{srv.server_address[1]}/"


def add_parser(subparsers) -> None:
    s = subparsers.add_parser("serve", help="serve an export folder (web demo) on 127.0.0.1")
    s.add_argument("folder", metavar="DIR", help="export folder (from 'edgembed export')")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    s.add_argument("--threads", action="store_true",
                   help="send COOP/COEP headers so onnxruntime-web can use wasm threads")


def run(args) -> int:
    folder = Path(args.folder)
    srv = make_server(folder, args.port, args.threads, quiet=False)
    url = f"http://{HOST}:{srv.server_address[1]}/"
    demo = "" if (folder / "index.html").is_file() else " (no index.html: exported with --no-demo?)"
    print(f"serving {folder} at {url}{demo}{' with COOP/COEP (threads)' if args.threads else ''}; Ctrl-C stops", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        srv.server_close()
    return 0
