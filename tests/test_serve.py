"""``edgembed serve``: 127.0.0.1 only, the MIME types browsers insist on, COOP/COEP with --threads, clean errors;
HTTP/1.1 keep-alive, bounded connections, slow clients timed out, bounded request heads, GET/HEAD only, gzip and
brotli where a static host compresses, Range, ETag / Last-Modified / 304."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from exporter.errors import EdgembedError
from exporter.targets import serve
from exporter.targets.serve import make_server, serve_in_thread

FILES = {"index.html": b"<!doctype html><p>hi</p>", "demo/app.mjs": b"export const x = 1;\n", "demo/vendor/m.wasm": b"\0asm\1\0\0\0",
         "manifest.json": b"{}", "model.edgembed": b"EDGEMBED", "onnx/model.onnx": b"\x08\x08", "demo/demo.css": b"body{}"}
TYPES = {"index.html": "text/html", "demo/app.mjs": "text/javascript", "demo/vendor/m.wasm": "application/wasm",
         "manifest.json": "application/json", "model.edgembed": "application/octet-stream",
         "onnx/model.onnx": "application/octet-stream", "demo/demo.css": "text/css"}


@pytest.fixture
def site(tmp_path):
    for rel, data in FILES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    return tmp_path


def get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, r.headers, r.read()


@pytest.mark.parametrize("threads", [False, True])
def test_mime_types_and_isolation_headers(site, threads):
    srv, base = serve_in_thread(site, threads=threads)
    try:
        assert srv.server_address[0] == "127.0.0.1" and base.startswith("http://127.0.0.1:")
        for rel, want in TYPES.items():
            status, headers, body = get(base + rel)
            assert status == 200 and body == FILES[rel]
            assert headers.get_content_type() == want, rel
            assert (headers.get("Cross-Origin-Opener-Policy") == "same-origin") is threads
            assert (headers.get("Cross-Origin-Embedder-Policy") == "require-corp") is threads
        with pytest.raises(urllib.error.HTTPError) as e:
            get(base + "../../../etc/passwd")
        assert e.value.code == 404
    finally:
        srv.shutdown()
        srv.server_close()


def test_errors_are_one_line(tmp_path):
    with pytest.raises(EdgembedError, match="not a folder"):
        make_server(tmp_path / "missing")
    with pytest.raises(EdgembedError, match="between 0 and 65535"):
        make_server(tmp_path, port=70000)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        with pytest.raises(EdgembedError, match=r"cannot listen on 127\.0\.0\.1:\d+"):
            make_server(tmp_path, port=busy.getsockname()[1])
    finally:
        busy.close()


def test_cli_serve(site, tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    bad = subprocess.run([sys.executable, "-m", "exporter", "serve", str(tmp_path / "nope")], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("edgembed: error: ") and bad.stderr.count("\n") == 1
    proc = subprocess.Popen([sys.executable, "-m", "exporter", "serve", str(site), "--port", "0", "--threads"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert "with COOP/COEP" in line, line
        url = line.split(" at ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        status, headers, body = get(url + "demo/app.mjs")
        assert status == 200 and headers.get_content_type() == "text/javascript"
        assert headers.get("Cross-Origin-Embedder-Policy") == "require-corp"
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1].strip("/")))) as idle:  # a keep-alive client
            idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            idle.recv(65536)
            proc.send_signal(signal.SIGINT)  # must not wait for the idle connection
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0, stderr[-2000:]
    assert "Traceback" not in stderr


def _serve_session(site, *flags: str) -> tuple[str, str]:
    """`edgembed serve SITE --port 0 FLAGS`: a page load's worth of requests (every file, twice: a 200 then a 304),
    one missing file, then Ctrl-C; returns (stdout, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "exporter", "serve", str(site), "--port", "0", *flags],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = proc.stdout.readline()
        url = first.split(" at ", 1)[1].split(";", 1)[0]
        for rel in FILES:
            status, headers, _ = get(url + rel)
            assert status == 200
            req = urllib.request.Request(url + rel, headers={"If-None-Match": headers["ETag"]})
            with pytest.raises(urllib.error.HTTPError) as e:  # urllib raises on 304
                urllib.request.urlopen(req, timeout=10)
            assert e.value.code == 304
        with pytest.raises(urllib.error.HTTPError) as e:
            get(url + "no-such-file.bin")
        assert e.value.code == 404
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        out, err = first + proc.stdout.read(), proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0, err[-2000:]
    return out, err


def test_serve_is_quiet_by_default(site):
    """Default: one startup line naming the URL; on stderr only the failed request (the 404) and 'stopped'."""
    out, err = _serve_session(site)
    assert out.count("\n") == 1 and re.search(r"at http://127\.0\.0\.1:\d+/", out), out
    lines = err.splitlines()
    assert len(lines) == 2 and '"GET /no-such-file.bin HTTP/1.1" 404' in lines[0] and lines[1] == "stopped", err


def test_serve_log_prints_every_request(site):
    """--log: one line per request (each file's 200 and 304, the 404), then 'stopped'."""
    out, err = _serve_session(site, "--log")
    assert out.count("\n") == 1, out
    lines = err.splitlines()
    assert len(lines) == 2 * len(FILES) + 2 and lines[-1] == "stopped", err
    for rel in FILES:
        assert sum(f'"GET /{rel} HTTP/1.1" 200' in ln for ln in lines) == 1, rel
        assert sum(f'"GET /{rel} HTTP/1.1" 304' in ln for ln in lines) == 1, rel
    assert '"GET /no-such-file.bin HTTP/1.1" 404' in lines[-2]


BIG = bytes(range(256)) * 64  # 16 KiB, compressible
SITE = {"a.mjs": b"export const a = 1;\n" * 400, "d.json": b'{"k": [1, 2, 3]}' * 300, "i.html": b"<p>hi</p>" * 300,
        "s.css": b"body{color:red}" * 300, "w.wasm": b"\0asm\1\0\0\0" + bytes(4000), "t.txt": b"text " * 500,
        "g.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>" * 100, "m.js.map": b'{"version":3}' * 300,
        "model.edgembed": BIG, "model.onnx": BIG, "chartable.bin": BIG, "x.f16": BIG, "o.ort": BIG, "ten.txt": b"0123456789"}


@pytest.fixture
def server(tmp_path):
    for rel, data in SITE.items():
        (tmp_path / rel).write_bytes(data)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_bytes(b"<p>sub</p>")
    srv, base = serve_in_thread(tmp_path, max_connections=6)
    srv.folder = tmp_path
    srv.port = srv.server_address[1]
    yield srv
    srv.shutdown()
    srv.server_close()


def request(srv, path: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None, conn=None):
    """(response, body) over CONN (a keep-alive http.client connection) or a new one."""
    c = conn or http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    if conn is None:
        c.close()
    return r, data


def raw(srv, data: bytes, timeout: float = 10) -> bytes:
    """Send raw bytes on a fresh connection; everything the server sends back until it closes."""
    with socket.create_connection(("127.0.0.1", srv.port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                return out
            out += chunk
    return out


def wait_until(cond, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not cond():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_keep_alive_http11(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    r, _ = request(server, "/ten.txt", conn=conn)
    sock = conn.sock
    for path in ["/a.mjs", "/model.edgembed", "/sub/", "/nope", "/ten.txt"]:
        r, body = request(server, path, conn=conn)
        assert r.version == 11 and r.getheader("Connection") is None
    assert conn.sock is sock and r.status == 200 and body == SITE["ten.txt"]  # one connection throughout
    conn.close()
    # HTTP/1.0 without keep-alive: answered, then closed
    out = raw(server, b"GET /ten.txt HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200 ") and out.endswith(b"0123456789")


def test_concurrent_clients_and_a_clean_503_past_the_limit(server):
    results = []

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for _ in range(20):
            r, body = request(server, "/a.mjs", conn=conn)
            results.append((r.status, body == SITE["a.mjs"]))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [(200, True)] * 100
    wait_until(lambda: server.active == 0)
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(6)]  # the limit, held
    try:
        wait_until(lambda: server.active == 6)
        out = raw(server, b"GET /ten.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 503 ") and b"Connection: close" in out and b"Retry-After: 1" in out
        assert b"too many connections" in out
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + 10
    while (r := request(server, "/ten.txt")[0]).status == 503 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.status == 200


def test_slow_clients_are_closed(server, monkeypatch):
    monkeypatch.setattr(serve, "HEADER_TIMEOUT", 0.5)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /ten.txt HTTP/1.1\r\n")
        t0 = time.monotonic()
        closed = False
        for _ in range(40):  # a header byte every 0.1 s: never complete
            try:
                s.sendall(b"X")
            except OSError:
                closed = True
                break
            time.sleep(0.1)
            s.settimeout(0.01)
            try:
                if s.recv(100) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except OSError:
                closed = True
                break
        assert closed and time.monotonic() - t0 < 4
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:  # an idle keep-alive connection too
        s.sendall(b"GET /ten.txt HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.1)
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        s.settimeout(5)
        assert s.recv(100) == b""


@pytest.mark.parametrize("data,status", [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n", 431),
    (b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"z" * 100000, 413),
    (b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400),
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\n\r\n", 505),
    (b"GET http://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"POST /ten.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n" + b"p" * 200000, 405),
], ids=["414-line", "431-bytes", "431-count", "413-get-body", "411-chunked", "400-length", "400-line", "505", "400-absolute", "405-big-post"])
def test_refusals_are_clean_and_close(server, data, status):
    out = raw(server, data)
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 %d " % status), out[:200]
    assert b"Connection: close" in head and b"text/plain" in head
    assert body.startswith(b"%d " % status) and body.count(b"\n") == 1 and len(body) < 200


def test_other_methods_405_and_small_bodies_drained(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND"]:
        r, body = request(server, "/ten.txt", method, body=b"x" * 1000, conn=conn)
        assert r.status == 405 and r.getheader("Allow") == "GET, HEAD" and body.startswith(b"405 ")
    r, body = request(server, "/ten.txt", "GET", body=b"a body on GET", conn=conn)  # drained, connection kept
    assert r.status == 200 and body == SITE["ten.txt"]
    r, body = request(server, "/ten.txt", "HEAD", conn=conn)
    assert r.status == 200 and body == b"" and r.getheader("Content-Length") == "10"
    conn.close()


def test_no_traceback_for_hostile_requests(site, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "exporter", "serve", str(site), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", proc.stdout.readline()).group(1))
        fake = type("S", (), {"port": port})
        c = b"Connection: close\r\n"
        for data in [b"\x00\xff\xfe garbage\r\n\r\n", b"GET /%ff%fe%00 HTTP/1.1\r\n" + c + b"\r\n",
                     b"GET /../../etc/passwd HTTP/1.1\r\n" + c + b"\r\n", b"GET / HTTP/1.1\r\nRange: bytes=zz\r\n" + c + b"\r\n",
                     b"GET / HTTP/1.1\r\nIf-Modified-Since: yesterday\r\n" + c + b"\r\n",
                     b"GET /index.html HTTP/1.1\r\nAccept-Encoding: gzip;q=x, br;;\r\n" + c + b"\r\n",
                     b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab", b"GET / HTTP/1.1\r\nHost"]:
            out = raw(fake, data, timeout=15) if not data.endswith(b"ab") and not data.endswith(b"Host") else _send_and_close(port, data)
            assert out == b"" or out.startswith(b"HTTP/1.1 "), out[:100]
        assert raw(fake, b"GET /index.html HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 200 ")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        stderr = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
    assert "Traceback" not in stderr and proc.returncode == 0, stderr[-2000:]


def _send_and_close(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # a client that gives up mid-request
        s.sendall(data)
    return b""


@pytest.mark.parametrize("name", ["a.mjs", "d.json", "i.html", "s.css", "w.wasm", "t.txt", "g.svg", "m.js.map"])
def test_gzip_and_brotli_for_text_and_wasm(server, name):
    r, body = request(server, "/" + name, headers={"Accept-Encoding": "gzip"})
    assert r.status == 200 and r.getheader("Content-Encoding") == "gzip" and r.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(body) == SITE[name] and int(r.getheader("Content-Length")) == len(body) < len(SITE[name])
    r, body = request(server, "/" + name)
    assert r.getheader("Content-Encoding") is None and body == SITE[name] and r.getheader("Vary") == "Accept-Encoding"
    r, body = request(server, "/" + name, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert r.getheader("Content-Encoding") is None and body == SITE[name]
    brotli = pytest.importorskip("brotli")
    r, body = request(server, "/" + name, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert r.getheader("Content-Encoding") == "br" and brotli.decompress(body) == SITE[name]
    r, body = request(server, "/" + name, headers={"Accept-Encoding": "br;q=0.5, gzip"})
    assert r.getheader("Content-Encoding") == "gzip"


@pytest.mark.parametrize("name", ["model.edgembed", "model.onnx", "chartable.bin", "x.f16", "o.ort"])
def test_binary_files_are_never_compressed(server, name):
    r, body = request(server, "/" + name, headers={"Accept-Encoding": "gzip, br"})
    assert r.getheader("Content-Type") == "application/octet-stream" and r.getheader("Content-Encoding") is None
    assert body == BIG and r.getheader("Accept-Ranges") == "bytes" and r.getheader("Vary") is None


def test_compressed_bodies_cached_and_refreshed(server):
    path = server.folder / "t.txt"
    first = request(server, "/t.txt", headers={"Accept-Encoding": "gzip"})[1]
    assert request(server, "/t.txt", headers={"Accept-Encoding": "gzip"})[1] is not None
    assert len(server.cache.items) == 1 and next(iter(server.cache.items.values())) == first
    path.write_bytes(b"changed " * 100)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    r, body = request(server, "/t.txt", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(body) == b"changed " * 100 and len(server.cache.items) == 2


@pytest.mark.parametrize("rng,status,content_range,body", [
    ("bytes=2-5", 206, "bytes 2-5/10", b"2345"), ("bytes=3-", 206, "bytes 3-9/10", b"3456789"),
    ("bytes=-4", 206, "bytes 6-9/10", b"6789"), ("bytes=0-999", 206, "bytes 0-9/10", b"0123456789"),
    ("bytes=10-", 416, "bytes */10", None), ("bytes=-0", 416, "bytes */10", None),
    ("bytes=0-1,4-5", 200, None, b"0123456789"), ("bytes=5-2", 200, None, b"0123456789"), ("items=0-1", 200, None, b"0123456789"),
])
def test_range(server, rng, status, content_range, body):
    r, got = request(server, "/ten.txt", headers={"Range": rng, "Accept-Encoding": "gzip"})
    assert r.status == status and r.getheader("Content-Range") == content_range and r.getheader("Accept-Ranges") == "bytes"
    if status == 206:
        assert got == body and r.getheader("Content-Encoding") is None  # ranges are served uncompressed
    elif status == 200:  # the range ignored: the whole file, compressed as usual
        assert gzip.decompress(got) == body and r.getheader("Content-Encoding") == "gzip"
    r, got = request(server, "/a.mjs", headers={"Range": "bytes=0-5", "Accept-Encoding": "gzip"})
    assert r.status == 206 and got == SITE["a.mjs"][:6] and r.getheader("Content-Encoding") is None


def test_etag_last_modified_and_304(server):
    r, _ = request(server, "/a.mjs")
    etag, modified = r.getheader("ETag"), r.getheader("Last-Modified")
    assert etag.startswith('"') and modified.endswith("GMT") and r.getheader("Cache-Control") == "no-cache"
    r, body = request(server, "/a.mjs", headers={"If-None-Match": etag})
    assert r.status == 304 and body == b"" and r.getheader("ETag") == etag
    r, body = request(server, "/a.mjs", headers={"If-None-Match": f'"other", W/{etag}'})
    assert r.status == 304
    r, _ = request(server, "/a.mjs", headers={"If-Modified-Since": modified})
    assert r.status == 304
    rg, _ = request(server, "/a.mjs", headers={"Accept-Encoding": "gzip"})
    assert rg.getheader("ETag") not in (None, etag)  # each representation its own tag
    assert request(server, "/a.mjs", headers={"Accept-Encoding": "gzip", "If-None-Match": rg.getheader("ETag")})[0].status == 304
    r, body = request(server, "/ten.txt", headers={"Range": "bytes=0-1", "If-Range": '"stale"'})
    assert r.status == 200 and body == SITE["ten.txt"]
    (server.folder / "a.mjs").write_bytes(b"export const a = 2;\n")
    r, body = request(server, "/a.mjs", headers={"If-None-Match": etag})
    assert r.status == 200 and body == b"export const a = 2;\n" and r.getheader("ETag") != etag


def test_directories_and_paths(server):
    r, _ = request(server, "/sub")
    assert r.status == 301 and r.getheader("Location") == "/sub/"
    assert request(server, "/sub/")[1] == b"<p>sub</p>"
    r, body = request(server, "/")
    assert r.status == 200 and b"ten.txt" in body  # a listing where there is no index.html
    for bad in ["/../ten.txt", "/%2e%2e/ten.txt", "/sub/..%2f..%2fetc", "/nope.txt", "/ten.txt/x"]:
        assert request(server, bad)[0].status in (404, 400), bad
    os.symlink("/etc", server.folder / "out")
    assert request(server, "/out/hostname")[0].status == 404
