"""``edgembed serve``: 127.0.0.1 only, the MIME types browsers insist on, COOP/COEP with --threads, clean errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from exporter.errors import EdgembedError
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
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert proc.returncode == 0
