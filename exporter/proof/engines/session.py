"""A browser engine as a long-lived Node process (web/scripts/engine_host.mjs) speaking JSON lines, and its pages.

The process outlives any one call, so a test can open a page, do something in Python (stop the server, change a
file), and carry on with the same page and context. Calls are sequential; each has a timeout, after which the
engine is stopped (its process group and all) and the call raises a one-line EdgembedError."""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exporter.errors import EdgembedError
from exporter.proof.browser import page_problems
from exporter.proof.engines.availability import HOST, WEB, engine_available, executables


@dataclass
class PageLog:
    """What a page did so far: every request (the driver's view, or WebKit's recording proxy), the requests blocked
    because they would leave 127.0.0.1, failed and HTTP >= 400 requests, console errors, page errors, dialogs."""

    requests: list[str]
    external: list[str]
    failed: list[str]
    http_errors: list[str]
    console_errors: list[str]
    page_errors: list[str]
    dialogs: list[str]
    notes: list[str] = field(default_factory=list)  # how the engine saw it, where that is partial (WebKit's late probe)

    @property
    def problems(self) -> list[str]:
        """Everything that must not happen on a working page."""
        return page_problems(self)


class Engine:
    """One launched browser: ``with Engine("firefox") as eng: page = eng.new_page(); page.goto(url)``."""

    def __init__(self, name: str, timeout: float = 300.0):
        ok, why = engine_available(name)
        if not ok:
            raise EdgembedError(f"cannot run {name}: {why}")
        self.name, self.timeout = name, timeout
        opts = {**executables(name), "timeoutMs": int(timeout * 1000)}
        self._proc = subprocess.Popen(["node", str(HOST), name, json.dumps(opts)], cwd=str(WEB), stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._lock = threading.Lock()
        self._next = 1
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self._finalizer = weakref.finalize(self, _stop, self._proc)
        first = self._reply(0, "launch", timeout)
        self.version: str = first["version"]
        self.launch_ms: float = first["launchMs"]
        self.requests_from: str = first["requestsFrom"]  # "driver", or "proxy" (WebKit)

    def _read_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line.decode("utf-8", "replace").rstrip())

    def _why_gone(self) -> str:
        tail = [ln for ln in self._stderr if ln.strip()]
        return tail[-1] if tail else f"exit code {self._proc.poll()}"

    def _reply(self, cid: int, op: str, timeout: float) -> Any:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise EdgembedError(f"{self.name} did not answer '{op}' within {timeout:.0f} s (stopped it)") from None
        if line is None:
            raise EdgembedError(f"the {self.name} driver exited during '{op}': {self._why_gone()}")
        msg = json.loads(line)
        if msg.get("id") != cid:
            self.kill()
            raise EdgembedError(f"the {self.name} driver answered call {msg.get('id')} to call {cid} ('{op}')")
        if not msg["ok"]:
            raise EdgembedError(f"{self.name}: {op}: {msg['error']}")
        return msg["result"]

    def call(self, op: str, timeout: float | None = None, **fields: Any) -> Any:
        """Send one command (see engine_host.mjs) and wait for its reply."""
        with self._lock:
            if self._proc.poll() is not None:
                raise EdgembedError(f"the {self.name} driver is not running: {self._why_gone()}")
            cid = self._next
            self._next += 1
            data = json.dumps({"id": cid, "op": op, **fields}).encode("ascii") + b"\n"  # ascii: lone surrogates as \\udXXX
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(data)
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                raise EdgembedError(f"the {self.name} driver is not running: {self._why_gone()}") from None
            return self._reply(cid, op, self.timeout if timeout is None else timeout)

    def new_page(self, width: int = 1280, height: int = 900, init_script: str | None = None) -> "Page":
        """A page in a fresh context (empty cache and storage), at WIDTH x HEIGHT CSS px. INIT_SCRIPT: JS that runs in
        every document of the page before its own scripts."""
        return Page(self, self.call("newPage", width=width, height=height, initScript=init_script)["page"])

    def close(self) -> None:
        """Close every page and the browser; the process exits (it is killed if it does not within 30 s)."""
        if self._proc.poll() is None:
            try:
                self.call("close", timeout=30)
            except EdgembedError:
                pass
        self.kill()

    def kill(self) -> None:
        self._finalizer()

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop(proc: subprocess.Popen) -> None:
    """End the driver: SIGTERM lets it close its browsers; then its whole process group goes."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()
    for f in (proc.stdin, proc.stdout, proc.stderr):
        if f is not None:
            f.close()


class Page:
    """A page of an Engine. Every method is one call to the driver."""

    def __init__(self, engine: Engine, pid: int):
        self.engine, self.id = engine, pid

    def goto(self, url: str) -> str:
        """Navigate and wait for the load event; the URL it ended at."""
        return self.engine.call("goto", page=self.id, url=url)["url"]

    def reload(self) -> str:
        return self.engine.call("reload", page=self.id)["url"]

    def evaluate(self, fn: str, *args: Any, timeout: float | None = None) -> Any:
        """FN (a JS function's source, e.g. ``"(a, b) => a + b"``; may be async) called on ARGS (JSON) in the page: its
        value, as JSON. A throw in the page raises EdgembedError with the page's one-line message."""
        return self.engine.call("evaluate", timeout=timeout, page=self.id, fn=fn, args=list(args))

    def expression(self, js: str, timeout: float | None = None) -> Any:
        """The value of the JS expression JS in the page (awaited when it is a promise; `await` may appear in it)."""
        return self.evaluate(f"async () => ({js})", timeout=timeout)

    def set_viewport(self, width: int, height: int) -> dict:
        """Resize the viewport; returns {innerWidth, innerHeight, devicePixelRatio} once innerWidth is WIDTH."""
        return self.engine.call("setViewport", page=self.id, width=width, height=height)

    def screenshot(self, path: str | Path) -> Path:
        """The viewport as a PNG at PATH (its folder is created)."""
        path = Path(path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine.call("screenshot", page=self.id, path=str(path))
        return path

    def log(self) -> PageLog:
        r = self.engine.call("log", page=self.id)
        return PageLog(requests=r["requests"], external=r["external"], failed=r["failed"], http_errors=r["httpErrors"],
                       console_errors=r["consoleErrors"], page_errors=r["pageErrors"], dialogs=r["dialogs"],
                       notes=r.get("notes", []))

    def close(self) -> None:
        self.engine.call("closePage", page=self.id)


def open_engine(name: str, timeout: float = 300.0) -> Engine:
    """Launch ENGINE (chromium, firefox, webkit); a one-line EdgembedError when it cannot run here."""
    return Engine(name, timeout)
