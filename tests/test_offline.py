"""Offline after the first visit, and the self-test, in every engine (Chromium, Firefox, WebKit) through the demo:

- the page's self-test (selftest.json: ids and vectors from Python at export time) passes on the device, and a
  selftest.json whose vector was altered is reported as a failure, not passed over;
- the export's service worker (edgembed-sw.js) caches the files the flat backend needs; with the server gone, a
  reload still searches (every row shard is there), with no page error;
- a new export at the same URL replaces the cache: after the reload the page runs the new export (its dims and its
  vectors) and only the new export's cache is left;
- a flipped byte in an artifact is a one-line error naming it (the page's load() checks the manifest's sha256).
The cells go to the engine matrix (test-artifacts/engine-matrix.json, the README's table)."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import exporter
from exporter.pipeline import export
from exporter.proof.engines import ENGINES, demo, engine_available, open_engine
from exporter.proof.engines.matrix import record
from exporter.targets.serve import make_server
from tests.conftest import ARTIFACTS

MATRIX = ARTIFACTS / "engine-matrix.json"
QUERY = "how do I catch an exception?"
OFFLINE_STATE = "async () => await window.edgembed.offline()"
CACHES = """async () => { const names = await caches.keys(); return names.filter((n) => n.startsWith("edgembed-offline:")); }"""


@pytest.fixture(scope="module")
def sites(distilled_dir, tmp_path_factory) -> dict[str, Path]:
    """Two exports of the default model (int8@64 and int4@32: small tables, so caching them is quick) with the demo."""
    root = tmp_path_factory.mktemp("offline")
    return {"a": root / "a", "b": root / "b",
            "a_man": export(distilled_dir, root / "a", dims=64, quant="int8", demo=True),
            "b_man": export(distilled_dir, root / "b", dims=32, quant="int4", demo=True)}


class Site:
    """A folder served on one port, whose server can be stopped and started again (with other contents)."""

    def __init__(self, folder: Path):
        self.folder, self.srv, self.port = folder, None, 0

    def start(self) -> str:
        self.srv = make_server(self.folder, port=self.port)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()

    def replace(self, src: Path) -> None:
        shutil.rmtree(self.folder)
        shutil.copytree(src, self.folder)


@pytest.fixture(params=ENGINES)
def engine(request):
    ok, why = engine_available(request.param)
    if not ok:
        pytest.skip(f"{request.param}: {why}")
    eng = open_engine(request.param, timeout=600)
    yield eng
    eng.close()


def _wait_offline(page, seconds: float = 240) -> dict:
    state = page.evaluate(OFFLINE_STATE, timeout=seconds)
    return state


def test_offline_reload_and_a_new_export(engine, sites, tmp_path):
    site = Site(tmp_path / "site")
    shutil.copytree(sites["a"], site.folder)
    base = site.start()
    p = engine.new_page(width=1100, height=900)
    try:
        demo.open_demo(p, base + "index.html?fill=0")
        check = p.evaluate("async () => await window.edgembed.selfTest()", timeout=120)
        assert check and check["ok"] and check["idMismatches"] == 0 and check["maxDiff"] <= 1e-5, check
        record(MATRIX, engine.name, "self_test", f"ok: {check['idTexts']} id lists, max |diff| {check['maxDiff']:.1e}")
        t0 = time.perf_counter()
        state = _wait_offline(p)
        if state["state"] == "unsupported":
            record(MATRIX, engine.name, "offline", "no service workers in this engine build")
            pytest.skip(f"{engine.name}: no service workers here")
        assert state["state"] == "ready", state
        cached = time.perf_counter() - t0
        online_top = p.evaluate("async (q) => window.edgembed.search(q)", QUERY)

        site.stop()  # the server is gone: the same page reloads from the service worker's cache
        p.reload()
        p.evaluate(demo.READY, 120000, timeout=180)
        offline_top = p.evaluate("async (q) => window.edgembed.search(q)", QUERY)
        assert offline_top == online_top and len(offline_top) == 6
        got, _ = demo.embed(p, ["A man is playing a guitar.", "静的埋め込み 👩‍💻", "ununderstandable zyzzyva"])
        ref = exporter.load(sites["a"], backend="flat").encode(["A man is playing a guitar.", "静的埋め込み 👩‍💻",
                                                                 "ununderstandable zyzzyva"])
        assert np.abs(got - ref).max() <= 1e-5
        log = p.log()
        assert log.page_errors == [] and not [m for m in log.console_errors if "edgembed" in m.lower()], log
        names = p.evaluate(CACHES)
        version_a = hashlib.sha256((sites["a"] / "manifest.json").read_bytes()).hexdigest()
        assert len(names) == 1 and names[0].endswith(version_a), names

        site.replace(sites["b"])  # a new export at the same URL
        site.start()
        p.reload()
        p.evaluate(demo.READY, 120000, timeout=180)
        panel = demo.dom(p)["panel"]
        assert panel["dims"] == "32" and panel["quant"] == "int4", panel
        texts = ["a new export", "ununderstandable zyzzyva"]
        assert np.abs(demo.embed(p, texts)[0] - exporter.load(sites["b"], backend="flat").encode(texts)).max() <= 1e-5
        state = _wait_offline(p)
        assert state["state"] == "ready", state
        version_b = hashlib.sha256((sites["b"] / "manifest.json").read_bytes()).hexdigest()
        names = p.evaluate(CACHES)
        assert len(names) == 1 and names[0].endswith(version_b), f"the old export's cache is gone: {names}"
        record(MATRIX, engine.name, "offline", f"reload with the server gone: search works ({cached:.1f} s to cache)")
        print(f"{engine.name}: offline ready after {cached:.1f} s; reload offline searched; the new export replaced the cache")
    finally:
        p.close()
        if site.srv is not None:
            site.stop()


def test_a_corrupt_artifact_is_a_one_line_error_in_the_page(engine, sites, tmp_path):
    """A flipped byte in tokenizer.bin, or a selftest.json whose reference vector was altered: load() names the file
    (sha256 against the manifest), and with the manifest's hash of selftest.json updated too, selfTest reports it."""
    folder = tmp_path / "bad"
    shutil.copytree(sites["a"], folder)
    pack = folder / "tokenizer.bin"
    raw = bytearray(pack.read_bytes())
    raw[len(raw) // 2] ^= 1
    pack.write_bytes(bytes(raw))
    site = Site(folder)
    base = site.start()
    p = engine.new_page()
    try:
        p.goto(base + "index.html?offline=0")
        msg = p.evaluate("""async () => { try { await window.edgembed.ready; return null; } catch (e) { return e.message; } }""",
                         timeout=120)
        assert msg is not None and msg.startswith("tokenizer.bin: sha256 ") and "\n" not in msg, msg
        assert "corrupt, or from another export" in msg
        spec = json.loads((sites["a"] / "selftest.json").read_text(encoding="utf-8"))
        import base64

        vec = bytearray(base64.b64decode(spec["vectors"]["float32_base64"]))
        vec[2] ^= 0x10  # the first vector's first value, changed in its mantissa
        spec["vectors"]["float32_base64"] = base64.b64encode(bytes(vec)).decode()
        shutil.copy(sites["a"] / "tokenizer.bin", pack)
        (folder / "selftest.json").write_text(json.dumps(spec), encoding="utf-8")
        man = json.loads((folder / "manifest.json").read_text())
        man["sha256"]["selftest.json"] = hashlib.sha256((folder / "selftest.json").read_bytes()).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(man))
        p.goto(base + "index.html?offline=0&fill=0")
        p.evaluate(demo.READY, 120000, timeout=180)
        check = p.evaluate("async () => await window.edgembed.selfTest()", timeout=120)
        assert check["ok"] is False and check["maxDiff"] > 1e-5, check
        assert "FAILED" in demo.dom(p)["panel"]["self-test"]
    finally:
        p.close()
        site.stop()
