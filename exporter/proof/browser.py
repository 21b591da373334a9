"""Run an export's web demo in headless Chromium (node + playwright-core) and read back embeddings and checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from exporter.targets.assets import CHECKOUT as WEB  # the driver and playwright-core: a source checkout's web/ only
from exporter.errors import EdgembedError
from exporter.targets.web import check_vendor, npm_install_hint

DRIVER = WEB / "scripts" / "drive.mjs"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    """$EDGEMBED_CHROMIUM, Debian's chromium, or one on PATH; never a downloaded browser."""
    env = os.environ.get("EDGEMBED_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for c in CHROMIUM_CANDIDATES:
        if Path(c).is_file():
            return c
    return shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_version() -> str:
    """"Chromium VERSION" from ``chromium --version`` (the browser_run pages report the launched browser's own)."""
    path = chromium_path()
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout if path else ""
    except (OSError, subprocess.SubprocessError):
        out = ""
    words = out.split()
    version = next((w for w in words if w[:1].isdigit()), None)
    return f"Chromium {version}" if version else "Chromium (version unknown)"


def browser_available() -> tuple[bool, str]:
    """(True, "") when chromium, node, playwright-core and the demo's npm packages are all here; else (False, why)."""
    if chromium_path() is None:
        return False, "no chromium (apt-get install chromium, or set EDGEMBED_CHROMIUM)"
    if shutil.which("node") is None:
        return False, "no node on PATH"
    if not DRIVER.is_file():
        return False, f"the Chromium driver comes with a source checkout of edgembed ({DRIVER} is missing)"
    if not (WEB / "node_modules" / "playwright-core" / "package.json").is_file():
        return False, f"playwright-core is not installed: run `{npm_install_hint()}`"
    try:
        check_vendor()
    except EdgembedError as e:
        return False, str(e)
    return True, ""


@dataclass
class PageSpec:
    """One page visit: FOLDER's demo with BACKEND; optionally embed TEXTS, run a search / similarity grid, screenshot."""

    folder: Path
    backend: str = "flat"
    texts: Sequence[str] | None = None
    query: str | None = None
    sentences: Sequence[str] | None = None
    screenshot: Path | None = None
    switch_to: str | None = None  # then click this backend in the page's switch
    threads: bool = False
    name: str = ""
    workers: int | None = None  # the flat backend's Web Workers (?workers=N); None: the page's default
    offline: bool = False  # let the page register its service worker (tests/test_offline.py covers it; off: ?offline=0)


def page_problems(log) -> list[str]:
    """What must not happen on a working page, from a page's log (PageReport here, the engine matrix's PageLog):
    console errors, page errors, dialogs, requests that left 127.0.0.1, failed requests, HTTP errors."""
    return ([f"console error: {m}" for m in log.console_errors] + [f"page error: {m}" for m in log.page_errors]
            + [f"dialog: {m}" for m in log.dialogs] + [f"request left 127.0.0.1: {u}" for u in log.external]
            + [f"failed request: {u}" for u in log.failed] + [f"HTTP {u}" for u in log.http_errors])


@dataclass
class PageReport:
    name: str
    backend: str
    embeddings: np.ndarray | None
    requests: list[str]
    external: list[str]
    failed: list[str]
    http_errors: list[str]
    console_errors: list[str]
    page_errors: list[str]
    dialogs: list[str]
    bytes_fetched: int
    cross_origin_isolated: bool
    error: str | None
    dom: dict = field(default_factory=dict)
    dom_after_switch: dict = field(default_factory=dict)
    search_top: list[int] = field(default_factory=list)
    embed_ms: float | None = None
    runtime: dict = field(default_factory=dict)  # window.edgembed.runtime(): numThreads, workers, pooledBatches
    browser: str = ""  # the engine that ran the page, "Chromium VERSION" (playwright's browser.version())

    @property
    def problems(self) -> list[str]:
        """Everything that must not happen: load errors, console errors, dialogs, off-origin or failed requests."""
        return ([f"error: {self.error}"] if self.error else []) + page_problems(self)


def browser_run(pages: Sequence[PageSpec], timeout: float = 300.0) -> list[PageReport]:
    """Serve each distinct folder on a free 127.0.0.1 port and visit the pages in one Chromium launch."""
    from exporter.targets.serve import serve_in_thread

    ok, why = browser_available()
    if not ok:
        raise EdgembedError(f"cannot run the browser: {why}")
    servers: dict[tuple[str, bool], tuple[object, str]] = {}
    try:
        specs = []
        for i, p in enumerate(pages):
            folder = Path(p.folder)
            if not (folder / "index.html").is_file():
                raise EdgembedError(f"{folder} has no web demo (index.html): export it without --no-demo")
            key = (str(folder.resolve()), p.threads)
            if key not in servers:
                servers[key] = serve_in_thread(folder, threads=p.threads)
            spec = {"name": p.name or f"{folder.name}:{p.backend}:{i}", "backend": p.backend,
                    "url": f"{servers[key][1]}index.html?backend={p.backend}" + ("" if p.offline else "&offline=0")
                           + (f"&workers={p.workers}" if p.workers is not None else "")}
            if p.texts is not None:
                spec["texts"] = list(p.texts)
            if p.query is not None:
                spec["query"] = p.query
            if p.sentences is not None:
                spec["sentences"] = list(p.sentences)
            if p.switch_to is not None:
                spec["switchTo"] = p.switch_to
            if p.screenshot is not None:
                Path(p.screenshot).parent.mkdir(parents=True, exist_ok=True)
                spec["screenshot"] = str(Path(p.screenshot).resolve())
            specs.append(spec)
        raw = _drive({"chromium": chromium_path(), "timeoutMs": int(timeout * 1000 / 2), "pages": specs}, timeout)
    finally:
        for srv, _ in servers.values():
            srv.shutdown()  # type: ignore[attr-defined]
            srv.server_close()  # type: ignore[attr-defined]
    return [_report(r, raw.get("browser", "")) for r in raw["pages"]]


def _drive(job: dict, timeout: float, driver: Path = DRIVER) -> dict:
    """Run a Node driver script (drive.mjs unless DRIVER) on JOB; its JSON output."""
    with tempfile.TemporaryDirectory(prefix="edgembed-browser-") as tmp:
        job_file, out_file = Path(tmp) / "job.json", Path(tmp) / "out.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")  # texts go through a file, never the command line
        try:
            proc = subprocess.run(["node", str(driver), str(job_file), str(out_file)], cwd=str(WEB),
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EdgembedError(f"the browser run took longer than {timeout:.0f} s") from None
        if proc.returncode != 0 or not out_file.is_file():
            tail = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
            raise EdgembedError(f"the browser driver failed (exit {proc.returncode}): {tail[-1] if tail else 'no output'}")
        return json.loads(out_file.read_text(encoding="utf-8"))


def _report(r: dict, engine: str = "") -> PageReport:
    emb = r.get("embeddings")
    return PageReport(
        name=r["name"], backend=r["backend"],
        embeddings=np.asarray(emb, dtype=np.float32) if emb is not None else None,
        requests=r.get("requests", []), external=r.get("external", []), failed=r.get("failed", []),
        http_errors=r.get("httpErrors", []), console_errors=r.get("consoleErrors", []),
        page_errors=r.get("pageErrors", []), dialogs=r.get("dialogs", []),
        bytes_fetched=int(r.get("bytesFetched") or 0), cross_origin_isolated=bool(r.get("crossOriginIsolated")),
        error=r.get("error"), dom=r.get("dom") or {}, dom_after_switch=r.get("domAfterSwitch") or {}, search_top=r.get("searchTop") or [], embed_ms=r.get("embedMs"),
        runtime=r.get("runtime") or {}, browser=engine,
    )


def browser_embed(export_dir: str | Path, texts: Sequence[str], backends: Sequence[str] = ("flat", "onnx"),
                  threads: bool = False, timeout: float = 300.0) -> dict[str, np.ndarray]:
    """Embeddings of TEXTS computed in Chromium by each browser backend; a one-line error on any page problem."""
    return browser_embed_engine(export_dir, texts, backends, threads, timeout)[0]


def browser_embed_engine(export_dir: str | Path, texts: Sequence[str], backends: Sequence[str] = ("flat", "onnx"),
                         threads: bool = False, timeout: float = 300.0) -> tuple[dict[str, np.ndarray], str]:
    """``browser_embed``, plus the browser that computed them ("Chromium VERSION"; "" when there were no texts)."""
    for b in backends:
        if b not in ("flat", "onnx"):
            raise EdgembedError(f"unknown browser backend '{b}': choose flat or onnx")
    texts = list(texts)
    if not texts:
        from exporter.formats.manifest import read_manifest

        man = read_manifest(Path(export_dir)) or {}
        return {b: np.zeros((0, int(man.get("dims", 0))), dtype=np.float32) for b in backends}, ""
    reports = browser_run([PageSpec(Path(export_dir), b, texts=texts, threads=threads) for b in backends], timeout)
    out = {}
    for rep in reports:
        if rep.problems:
            raise EdgembedError(f"browser backend {rep.backend}: {rep.problems[0]}")
        assert rep.embeddings is not None
        out[rep.backend] = rep.embeddings.reshape(len(texts), -1)
    return out, reports[0].browser if reports else ""


__all__ = ["browser_available", "browser_embed", "browser_embed_engine", "browser_run", "PageSpec", "PageReport", "chromium_path", "npm_install_hint"]
