"""Run an export's edge worker (``edge/worker.mjs``) in workerd (miniflare), Deno or Bun on 127.0.0.1.

For the tests and ``benchmarks/bench_edge.py``: the binaries are the pinned npm packages in web/node_modules.
Each server runs in its own process group, stopped (group and all) by ``Server.stop``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from exporter.targets.edge import web_dir

RUNTIMES = ("workerd", "deno", "bun")


def binary(name: str) -> Path | None:
    """node (PATH) or a pinned npm binary (web/node_modules/.bin), or None when missing."""
    if name == "node":
        found = shutil.which("node")
        return Path(found) if found else None
    path = web_dir() / "node_modules" / ".bin" / name
    return path if path.exists() else None


def missing(runtime: str) -> str | None:
    """Why RUNTIME cannot run here (a skip reason), or None."""
    need = {"workerd": ["node", "miniflare"], "deno": ["deno"], "bun": ["bun"], "node": ["node"]}[runtime]
    for n in need:
        if n == "miniflare":
            if not (web_dir() / "node_modules" / "miniflare" / "package.json").is_file():
                return "web/node_modules/miniflare missing (cd web && npm ci)"
        elif binary(n) is None:
            return f"{n} not found (node on PATH; deno, bun: cd web && npm ci)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command(runtime: str, edge: Path, port: int) -> list[str]:
    scripts = web_dir() / "scripts"
    if runtime == "workerd":
        return [str(binary("node")), str(scripts / "edge_miniflare.mjs"), str(edge), str(port)]
    if runtime == "deno":  # the worker as is: no permission flags, no config
        return [str(binary("deno")), "serve", "--host", "127.0.0.1", "--port", str(port), str(edge / "worker.mjs")]
    if runtime == "bun":
        return [str(binary("bun")), str(scripts / "edge_bun.mjs"), str(edge), str(port)]
    raise ValueError(f"unknown runtime {runtime}")


@dataclass
class Server:
    runtime: str
    url: str
    proc: subprocess.Popen
    log: Path
    started: float = field(default_factory=time.perf_counter)

    def stop(self) -> None:
        """Stop the server's process group (the runtime and anything it started, e.g. workerd); delete its log."""
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        try:  # a child may outlive the group leader (workerd under miniflare)
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.log.unlink(missing_ok=True)

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""


def start(runtime: str, edge: Path, timeout: float = 90, probe: dict | None = None) -> Server:
    """Start the worker of EDGE (an export's edge/ folder) and return once it answers.

    PROBE: a JSON body to POST to /embed as the readiness check (its first answer marks a cold start);
    default ``GET /``."""
    edge = Path(edge).resolve()
    port = free_port()
    log = Path(tempfile.mkstemp(prefix=f"edgembed-{runtime}-", suffix=".log")[1])
    env = {**os.environ, "NO_COLOR": "1", "DENO_NO_UPDATE_CHECK": "1", "DENO_NO_PROMPT": "1"}
    with open(log, "wb") as f:
        proc = subprocess.Popen(command(runtime, edge, port), stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                cwd=edge, env=env, start_new_session=True)
    server = Server(runtime, f"http://127.0.0.1:{port}", proc, log)
    try:
        wait_ready(server, timeout, probe)
    except BaseException:
        server.stop()
        raise
    return server


def wait_ready(server: Server, timeout: float, probe: dict | None = None) -> float:
    """Poll until the server answers 200 (GET / or POST /embed PROBE); seconds since the process started."""
    deadline = server.started + timeout
    while True:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.runtime} exited with {server.proc.returncode}: {server.log_tail()}")
        try:
            if probe is None:
                status, _, _ = request(server.url + "/", timeout=5)
            else:
                status, _, _ = request(server.url + "/embed", "POST", json.dumps(probe).encode(), timeout=30)
            if status == 200:
                return time.perf_counter() - server.started
            raise RuntimeError(f"{server.runtime} answered {status} while starting: {server.log_tail()}")
        except OSError:  # not listening yet (URLError, ConnectionError and timeouts are OSErrors)
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{server.runtime} did not answer within {timeout} s: {server.log_tail()}") from None
            time.sleep(0.01)


def request(url: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60) -> tuple[int, dict, bytes]:
    """(status, lower-cased headers, body) of one HTTP request; 4xx/5xx are answers, not exceptions."""
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with _OPENER.open(req, timeout=timeout) as res:
            return res.status, {k.lower(): v for k, v in res.headers.items()}, res.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only: never a proxy
