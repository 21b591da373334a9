"""``edgembed serve DIR``: a static file server on 127.0.0.1, serving an export folder as a static host would.

HTTP/1.1 with keep-alive; at most ``max_connections`` at once (past that a 503, never a hang); a request's
line and headers must arrive within 10 s (an idle keep-alive connection too), else the connection is closed;
request line and headers are bounded (414 / 431); GET and HEAD only (405 with ``Allow``), a body on them
drained when small, refused past 64 KiB (413); gzip (and brotli, when the optional ``brotli`` module is there)
for text types and wasm, cached in memory; single ``Range`` requests (206 / 416); ``ETag``, ``Last-Modified``,
304s and ``Cache-Control: no-cache`` (export folders are replaced in place); the MIME types browsers insist on,
``nosniff`` and, with ``--threads``, COOP/COEP. Every refusal is a status with a one-line body, never a traceback.
"""

from __future__ import annotations

import email.utils
import gzip
import html
import http.client
import http.server
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from email.parser import Parser
from pathlib import Path

from exporter.errors import EdgembedError

HOST = "127.0.0.1"
MAX_CONNECTIONS = 64
HEADER_TIMEOUT = 10.0  # seconds for a request line + headers (and for an idle keep-alive connection)
IO_TIMEOUT = 30.0  # seconds any one read or write may stall
MAX_REQUEST_LINE = 8192
MAX_HEADER_BYTES = 32768
MAX_HEADERS = 100
MAX_DRAIN = 64 * 1024  # a body on GET/HEAD up to this is read and dropped; past it, 413
COMPRESS_MAX = 64 * 2**20  # larger files go out as they are
CACHE_BYTES = 256 * 2**20  # compressed bodies kept in memory
METHODS = ("GET", "HEAD")

MIME = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".map": "application/json",
    ".html": "text/html",
    ".css": "text/css",
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".svg": "image/svg+xml",
    ".toml": "text/plain",
    ".onnx": "application/octet-stream",
    ".ort": "application/octet-stream",
    ".edgembed": "application/octet-stream",
    ".f16": "application/octet-stream",
    ".bin": "application/octet-stream",
}
COMPRESSIBLE = ("text/", "application/json", "application/wasm", "image/svg+xml")

try:  # optional (the "serve" extra): brotli when the client takes it
    import brotli as _brotli
except ImportError:
    _brotli = None


def encodings() -> tuple[str, ...]:
    """The content codings this server can send, best first."""
    return ("br", "gzip") if _brotli is not None else ("gzip",)


def choose_encoding(accept: str | None, available: tuple[str, ...]) -> str | None:
    """The coding to send for an Accept-Encoding header (q-values, ``*``), or None for identity."""
    if not accept:
        return None
    q: dict[str, float] = {}
    for part in accept.split(","):
        name, _, params = part.strip().partition(";")
        value = 1.0
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k.strip().lower() == "q":
                try:
                    value = float(v)
                except ValueError:
                    value = 0.0
        if name.strip():
            q[name.strip().lower()] = value
    best, best_q = None, 0.0
    for enc in available:
        v = q.get(enc, q.get("*", 0.0))
        if v > best_q:
            best, best_q = enc, v
    return best


def parse_range(header: str, size: int) -> tuple[int, int] | str | None:
    """A single ``bytes=`` range as inclusive (first, last); "unsatisfiable"; or None to send the whole file
    (no range, a multi-range request, or a header that does not parse, which RFC 9110 says to ignore)."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or last.isdigit()) or (first and not first.isdigit()) or (last and not last.isdigit()):
        return None
    if not first:  # bytes=-n: the last n bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n > 0 and size > 0 else "unsatisfiable"
    a = int(first)
    b = min(int(last), size - 1) if last else size - 1
    if last and int(last) < a:
        return None
    return (a, b) if a < size else "unsatisfiable"


class CompressedCache:
    """Compressed bodies keyed by (path, size, mtime, encoding), least recently used dropped past a byte budget."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget, self.used = budget, 0
        self.items: OrderedDict[tuple, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, path: Path, size: int, mtime_ns: int, encoding: str) -> bytes:
        key = (str(path), size, mtime_ns, encoding)
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        data = path.read_bytes()
        body = _brotli.compress(data, quality=5) if encoding == "br" else gzip.compress(data, compresslevel=6, mtime=0)
        with self.lock:
            if key not in self.items and len(body) <= self.budget:
                self.items[key] = body
                self.used += len(body)
                while self.used > self.budget:
                    self.used -= len(self.items.popitem(last=False)[1])
        return body


class Watchdog:
    """Closes connections whose deadline passed (a request's headers not complete in time): one thread for all."""

    def __init__(self) -> None:
        self.deadlines: dict[socket.socket, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="edgembed-serve-watchdog").start()

    def arm(self, sock: socket.socket, seconds: float) -> None:
        with self.lock:
            self.deadlines[sock] = time.monotonic() + seconds

    def disarm(self, sock: socket.socket) -> None:
        with self.lock:
            self.deadlines.pop(sock, None)

    def _run(self) -> None:
        while not self.stopped.wait(0.1):
            now = time.monotonic()
            with self.lock:
                late = [s for s, t in self.deadlines.items() if t <= now]
                for s in late:
                    del self.deadlines[s]
            for s in late:
                try:
                    s.shutdown(socket.SHUT_RDWR)  # the handler's blocked read returns EOF and it closes
                except OSError:
                    pass


class Refused(Exception):
    """A request answered with a short error (and the connection maybe closed)."""

    def __init__(self, status: int, message: str, close: bool = False, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.close, self.headers = status, message, close, headers or {}


class Handler(http.server.BaseHTTPRequestHandler):
    """GET/HEAD of static files under ``directory``; every other request a short refusal."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY: a small response on a kept-alive connection is not held ~40 ms
    server_version = "edgembed-serve"
    sys_version = ""
    timeout = IO_TIMEOUT
    threads = False
    quiet = False  # True: nothing at all (tests, the browser drivers)
    log_requests = False  # True: every request (`edgembed serve --log`); False: failed ones (status >= 400) only
    directory = "."

    def handle_one_request(self) -> None:
        self.close_connection = True
        self.command = self.request_version = ""
        self.requestline, self.path = "", ""
        sock = self.connection
        self.server.watchdog.arm(sock, HEADER_TIMEOUT)  # type: ignore[attr-defined]
        try:
            try:
                self._read_request()
            finally:
                self.server.watchdog.disarm(sock)  # type: ignore[attr-defined]
            if self.command is None:
                return  # the client closed, or the deadline passed
            self.close_connection = self._wants_close()
            self._read_body()
            if self.command not in METHODS:
                raise Refused(405, f"{self.command} is not allowed: this server answers GET and HEAD",
                              headers={"Allow": ", ".join(METHODS)})
            self._serve(head=self.command == "HEAD")
        except Refused as r:
            self._refuse(r)
        except (ConnectionError, TimeoutError, socket.timeout, BrokenPipeError):
            self.close_connection = True
        except OSError as e:  # a file that vanished or cannot be read mid-request
            self._refuse(Refused(500, f"cannot read the file ({e.strerror or e})", close=True))

    # --- reading --------------------------------------------------------------------------------------------

    def _read_request(self) -> None:
        self.command = None
        try:
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
        except (OSError, ValueError):
            return
        while line in (b"\r\n", b"\n"):  # RFC 9112: ignore empty lines before a request line
            line = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if not line:
            return
        if len(line) > MAX_REQUEST_LINE:
            self.command = ""
            raise Refused(414, f"request line over {MAX_REQUEST_LINE} bytes", close=True)
        self.raw_requestline = line
        self.requestline = line.decode("iso-8859-1").rstrip("\r\n")
        parts = self.requestline.split(" ")
        if len(parts) != 3 or not parts[0].isalpha() or not parts[1]:
            self.command = ""
            raise Refused(400, "malformed request line", close=True)
        method, target, version = parts
        if version not in ("HTTP/1.0", "HTTP/1.1"):
            self.command = ""
            raise Refused(505 if version.startswith("HTTP/") else 400, f"unsupported protocol {version[:20]}", close=True)
        self.command, self.path, self.request_version = method, target, version
        lines, total = [], 0
        while True:
            h = self.rfile.readline(MAX_HEADER_BYTES + 1)
            if not h:
                self.command = None  # the connection ended inside the headers
                return
            total += len(h)
            if total > MAX_HEADER_BYTES:
                raise Refused(431, f"request headers over {MAX_HEADER_BYTES} bytes", close=True)
            if h in (b"\r\n", b"\n"):
                break
            if len(lines) == MAX_HEADERS:
                raise Refused(431, f"more than {MAX_HEADERS} request headers", close=True)
            lines.append(h)
        self.headers = Parser(_class=http.client.HTTPMessage).parsestr(b"".join(lines).decode("iso-8859-1"))

    def _wants_close(self) -> bool:
        conn = (self.headers.get("Connection") or "").lower()
        if "close" in conn:
            return True
        return self.request_version == "HTTP/1.0" and "keep-alive" not in conn

    def _read_body(self) -> None:
        """Drain a small body (so the connection stays in step); refuse a big or chunked one and close."""
        if self.headers.get("Transfer-Encoding"):
            raise Refused(411 if self.command in METHODS else 405, "send a Content-Length (no chunked bodies)", close=True,
                          headers={} if self.command in METHODS else {"Allow": ", ".join(METHODS)})
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return
        if len(set(lengths)) != 1 or not lengths[0].strip().isdigit():
            raise Refused(400, "bad Content-Length", close=True)
        n = int(lengths[0])
        if n > MAX_DRAIN:
            if self.command in METHODS:
                raise Refused(413, f"a body of {n} bytes on {self.command}; at most {MAX_DRAIN} are read", close=True)
            raise Refused(405, f"{self.command} is not allowed: this server answers GET and HEAD", close=True,
                          headers={"Allow": ", ".join(METHODS)})
        if n and (self.headers.get("Expect") or "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.server.watchdog.arm(self.connection, HEADER_TIMEOUT)  # type: ignore[attr-defined]
        try:
            got = len(self.rfile.read(n))
        finally:
            self.server.watchdog.disarm(self.connection)  # type: ignore[attr-defined]
        if got < n:
            raise ConnectionError("the body ended early")

    # --- answering ------------------------------------------------------------------------------------------

    def _resolve(self) -> tuple[Path, str]:
        """The file for the request target (and its URL path); directories are resolved to index.html."""
        target = self.path
        if not target.startswith("/"):
            raise Refused(400, "the request target must be a path", close=True)
        raw_path, _, query = target.partition("?")
        raw_path = raw_path.partition("#")[0]
        url_path = urllib.parse.unquote(raw_path, errors="surrogatepass")
        segs = url_path.split("/")
        if any(s == ".." or "\\" in s or "\0" in s for s in segs):
            raise Refused(404, "not found")
        root = Path(self.directory)
        path = root.joinpath(*[s for s in segs if s not in ("", ".")])
        try:
            real = path.resolve()
        except (OSError, ValueError):
            raise Refused(404, "not found") from None
        if real != root and root not in real.parents:
            raise Refused(404, "not found")  # a link out of the folder
        if real.is_dir():
            if not raw_path.endswith("/"):
                loc = raw_path + "/" + (f"?{query}" if query else "")
                raise Refused(301, f"moved to {loc}", headers={"Location": loc})
            if (real / "index.html").is_file():
                return real / "index.html", url_path
            return real, url_path
        if not real.is_file():
            raise Refused(404, "not found")
        return real, url_path

    def _serve(self, head: bool) -> None:
        path, url_path = self._resolve()
        if path.is_dir():
            return self._listing(path, url_path, head)
        st = path.stat()
        size, mtime_ns = st.st_size, st.st_mtime_ns
        ctype = self.guess_type(path)
        compressible = ctype.startswith(COMPRESSIBLE) and size <= COMPRESS_MAX
        base_tag = f"{size:x}-{mtime_ns:x}"
        last_modified = email.utils.formatdate(st.st_mtime, usegmt=True)
        rng = self.headers.get("Range") if self.command == "GET" else None
        if rng is not None and not self._if_range(f'"{base_tag}"', st.st_mtime):
            rng = None
        span = parse_range(rng, size) if rng is not None else None
        enc = choose_encoding(self.headers.get("Accept-Encoding"), encodings()) if compressible and span is None else None
        etag = f'"{base_tag}-{enc}"' if enc else f'"{base_tag}"'
        headers = {"ETag": etag, "Last-Modified": last_modified, "Accept-Ranges": "bytes"}
        if compressible:
            headers["Vary"] = "Accept-Encoding"
        if self._not_modified(etag, int(st.st_mtime)):
            return self._send(304, headers, None, head=True)
        if span == "unsatisfiable":
            raise Refused(416, f"the range is outside the file's {size} bytes", headers={"Content-Range": f"bytes */{size}", **headers})
        headers["Content-Type"] = ctype
        if enc:
            body = self.server.cache.get(path, size, mtime_ns, enc)  # type: ignore[attr-defined]
            headers["Content-Encoding"] = enc
            return self._send(200, headers, body, head)
        first, last = span if isinstance(span, tuple) else (0, size - 1)
        status = 206 if isinstance(span, tuple) else 200
        if status == 206:
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        headers["Content-Length"] = str(max(0, last - first + 1))
        self._start(status, headers)
        if not head and last >= first:
            with open(path, "rb") as f:
                self.connection.sendfile(f, first, last - first + 1)

    def _if_range(self, etag: str, mtime: float) -> bool:
        cond = self.headers.get("If-Range")
        if cond is None:
            return True
        cond = cond.strip()
        if cond.startswith('"'):
            return cond == etag
        when = _http_date(cond)
        return when is not None and int(mtime) == when

    def _not_modified(self, etag: str, mtime: int) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            return "*" in tags or etag in tags
        since = _http_date(self.headers.get("If-Modified-Since") or "")
        return since is not None and mtime <= since

    def _listing(self, folder: Path, url_path: str, head: bool) -> None:
        names = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
        items = "".join(f'<li><a href="{urllib.parse.quote(n)}">{html.escape(n)}</a></li>' for n in names)
        title = html.escape(url_path)
        body = f"<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1><ul>{items}</ul>\n".encode()
        self._send(200, {"Content-Type": "text/html; charset=utf-8"}, body, head)

    def _send(self, status: int, headers: dict, body: bytes | None, head: bool) -> None:
        if body is not None:
            headers = {**headers, "Content-Length": str(len(body))}
        self._start(status, headers)
        if body and not head:
            self.wfile.write(body)

    def _start(self, status: int, headers: dict) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _refuse(self, r: Refused) -> None:
        if r.close:
            self.close_connection = True
        body = f"{r.status} {http.HTTPStatus(r.status).phrase}: {r.message}\n".encode("utf-8", "replace")
        try:
            self._send(r.status, {"Content-Type": "text/plain; charset=utf-8", **r.headers}, body,
                       head=self.command == "HEAD")
            if self.close_connection:
                self._linger()
        except OSError:
            self.close_connection = True

    def _linger(self) -> None:
        """Before closing on a client that may still be sending: end our side, then read and drop what comes
        (bounded) so the close is a FIN the client sees after the answer, not a reset that may discard it."""
        sock = self.connection
        self.wfile.flush()
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(1.0)
        deadline, dropped = time.monotonic() + 2.0, 0
        while dropped < 16 * 2**20 and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            dropped += len(chunk)

    def end_headers(self) -> None:
        if self.threads:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def guess_type(self, path: Path) -> str:
        import mimetypes

        ctype = MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if (ctype.startswith("text/") or ctype in ("application/json", "image/svg+xml")) and "charset" not in ctype:
            ctype += "; charset=utf-8"
        return ctype

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """One line per request with --log; otherwise only the failed ones (status >= 400)."""
        status = code.value if isinstance(code, http.HTTPStatus) else code
        failed = str(status).isdigit() and int(status) >= 400
        if self.log_requests or failed:
            self.log_message('"%s" %s %s', self.requestline, str(status), str(size))

    def log_message(self, format: str, *args) -> None:
        if not self.quiet:
            super().log_message(format, *args)


def _http_date(text: str) -> int | None:
    try:
        d = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return int(d.timestamp()) if d is not None and d.tzinfo is not None else None


class Server(http.server.ThreadingHTTPServer):
    """One thread per connection, at most ``max_connections``; past that a 503 from a small refusal pool."""

    daemon_threads = True
    block_on_close = False  # shutdown never waits on a keep-alive connection
    request_queue_size = 128
    max_connections = MAX_CONNECTIONS

    def server_activate(self) -> None:
        super().server_activate()
        self.watchdog = Watchdog()
        self.cache = CompressedCache()
        self.active = 0
        self.active_lock = threading.Lock()
        self.refusals = ThreadPoolExecutor(max_workers=4, thread_name_prefix="edgembed-serve-503")
        self.pending_refusals = 0
        self.open_sockets: set[socket.socket] = set()  # closed by server_close: a stopped server keeps no connection

    def process_request(self, request, client_address) -> None:
        with self.active_lock:
            full = self.active >= self.max_connections
            if not full:
                self.active += 1
                self.open_sockets.add(request)
            elif self.pending_refusals < 256:
                self.pending_refusals += 1
            else:  # a flood: close without an answer rather than queue without bound
                self.shutdown_request(request)
                return
        if full:
            self.refusals.submit(self._refuse_busy, request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.active_lock:
                self.active -= 1
                self.open_sockets.discard(request)

    def _refuse_busy(self, sock: socket.socket) -> None:
        """503 to a connection over the limit: read its request head (briefly), answer, close cleanly."""
        try:
            sock.settimeout(1.0)
            seen = b""
            try:
                while b"\r\n\r\n" not in seen and len(seen) < MAX_HEADER_BYTES:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    seen += chunk
            except OSError:
                pass
            body = b"503 Service Unavailable: too many connections, try again\n"
            sock.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\n"
                         b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(0.5)
            while sock.recv(4096):
                pass
        except OSError:
            pass
        finally:
            sock.close()
            with self.active_lock:
                self.pending_refusals -= 1

    def handle_error(self, request, client_address) -> None:
        """One line, never a traceback (the handler already answers what it can)."""
        err = sys.exc_info()[1]
        if not getattr(self, "quiet", True) and not isinstance(err, (ConnectionError, TimeoutError)):
            print(f"edgembed serve: {client_address[0]}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}",
                  file=sys.stderr)

    def server_close(self) -> None:
        """Stop listening and end every open connection (keep-alive ones too): clients see the server gone."""
        super().server_close()
        if hasattr(self, "watchdog"):
            self.watchdog.stopped.set()
            self.refusals.shutdown(wait=False, cancel_futures=True)
            with self.active_lock:
                socks = list(self.open_sockets)
            for sock in socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def make_server(folder: str | Path, port: int = 0, threads: bool = False, quiet: bool = True,
                max_connections: int = MAX_CONNECTIONS, log_requests: bool = False) -> Server:
    """A server for FOLDER bound to 127.0.0.1 (port 0: a free one); call serve_forever() or use serve_in_thread.
    QUIET: no log at all; else failed requests and errors on stderr, and every request too with LOG_REQUESTS."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EdgembedError(f"cannot serve {folder}: not a folder")
    if not 0 <= port <= 65535:
        raise EdgembedError(f"--port must be between 0 and 65535, got {port}")
    handler = type("EdgembedHandler", (Handler,), {"threads": threads, "quiet": quiet, "log_requests": log_requests,
                                                    "directory": folder.resolve()})
    try:
        srv = Server((HOST, port), handler)
    except OSError as e:
        raise EdgembedError(f"cannot listen on {HOST}:{port}: {e.strerror or e}") from None
    srv.max_connections = max_connections
    srv.quiet = quiet  # type: ignore[attr-defined]
    return srv


def serve_in_thread(folder: str | Path, port: int = 0, threads: bool = False, **kw) -> tuple[Server, str]:
    """Start a quiet server in a daemon thread; returns it and its base URL (call .shutdown() when done)."""
    srv = make_server(folder, port, threads, **kw)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return srv, f"http://{HOST}:{srv.server_address[1]}/"


def add_parser(subparsers) -> None:
    s = subparsers.add_parser("serve", help="serve an export folder (web demo) on 127.0.0.1")
    s.add_argument("folder", metavar="DIR", help="export folder (from 'edgembed export')")
    s.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    s.add_argument("--threads", action="store_true",
                   help="send COOP/COEP headers so onnxruntime-web can use wasm threads")
    s.add_argument("--log", action="store_true",
                   help="print every request on stderr (default: the startup line, failed requests and errors only)")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run(args) -> int:
    folder = Path(args.folder)
    srv = make_server(folder, args.port, args.threads, quiet=False, log_requests=args.log)
    url = f"http://{HOST}:{srv.server_address[1]}/"
    demo = "" if (folder / "index.html").is_file() else " (no index.html: exported with --no-demo?)"
    # SIGTERM stops as promptly as Ctrl-C; SIGINT too when it was inherited ignored (a background job of a script)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        print(f"serving {folder} at {url}{demo}{' with COOP/COEP (threads)' if args.threads else ''}; Ctrl-C stops", flush=True)
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr, flush=True)
    finally:
        srv.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
