"""The browser-engine matrix: Chromium (V8), Firefox (Gecko/SpiderMonkey) and WebKit (WebKitGTK: the engine of every
iOS browser), each launched once for the whole module through exporter.proof.engines, on the same exports:

- the exact tokenizer over every Unicode scalar value plus hostile mixes (tests/fuzz_texts.py): token ids (the
  runtime's Embedder.tokenize, in the page) equal Python `tokenizers`, and the demo's window.edgembed.embed equals
  the Python flat backend (<= 1e-5);
- embed() against the Python flat backend (<= 1e-5) for fp32, int8, int4 and pq16@64 exports: flat on the main
  thread, flat through the worker pool (?workers=2, a batch >= 64 texts; bit-identical to the main thread), onnx;
- a cross-origin-isolated page: one shared table and wasm threads, or the fallbacks where the engine lacks them;
- every runtime fallback forced in the page before the runtime loads, in Chromium and Firefox (no SharedArrayBuffer,
  no module workers, a pool that cannot start, a worker that fails to load, a threaded onnx session that fails to
  allocate); WebKit's real ones (no SharedArrayBuffer on an isolated page) are observed on the isolated page;
- the demo: ready, search and similarity, no console or page error, no request beyond 127.0.0.1, no sideways
  scroll at 360, 390 and 414 px, screenshots in test-artifacts/demo-<engine>.png (and -390.png).
The numbers go to test-artifacts/engine-matrix.json and .md (exporter.proof.engines.matrix), where the offline and
self-test suites add their columns. The fuzz seed is printed (EDGEMBED_FUZZ_SEED replays one).
Run: python3 -m pytest tests/test_engines.py -q -rs -s"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import exporter
from exporter.errors import EdgembedError
from exporter.pipeline import export
from exporter.proof.engines import ENGINES, demo, engine_available, open_engine
from exporter.proof.engines.matrix import load_matrix, markdown, record
from exporter.targets.serve import make_server, serve_in_thread
from tests.conftest import ARTIFACTS, DATA, WEB
from tests.fuzz_texts import every_code_point, hostile_mixes
from tests.test_tokenizer_exact import _model, _variant

SEED = int(os.environ.get("EDGEMBED_FUZZ_SEED") or random.SystemRandom().randrange(1 << 31))
MATRIX = ARTIFACTS / "engine-matrix.json"
TOL = 1e-5
# The runtime never asks the JS engine about Unicode (chartable.bin holds what Python's tokenizers does), so what an
# engine could change is how it runs the tokenizer's code paths. Chromium runs all nine variants in
# tests/test_tokenizer_exact.py; here it runs the exported one, for a uniform table. Firefox and WebKit run the
# three variants whose code paths differ: "uncased" (the exported BERT tokenizer: normalization tables, accent
# stripping, the canonical reordering of kept marks), "cased" (no normalization: raw code points, surrogate pairs,
# other character classes) and "added_tokens" (added-token matching normalized and raw with lstrip/rstrip/
# single_word, clean_text off so control characters stay, left truncation). The other six only change which table
# entries the same code reads.
FUZZ_VARIANTS = {"chromium": ["uncased"], "firefox": ["uncased", "cased", "added_tokens"],
                 "webkit": ["uncased", "cased", "added_tokens"]}
QUANTS = {"fp32": {"quant": "fp32"}, "int8": {"quant": "int8"}, "int4": {"quant": "int4", "dims": 128},
          "pq16": {"quant": "pq16", "dims": 64}}
# engine -> why onnxruntime-web cannot run there (then the onnx column must fail with that reason, not pass silently)
ONNX_UNSUPPORTED: dict[str, str] = {}
QUERY = "how do I catch an exception?"
SENTENCES = ["A man is playing a guitar.", "Someone strums an acoustic guitar on stage.", "The cat is sleeping on the sofa.",
             "A kitten naps on the couch.", "How do I sort a list in Python?", "<img src=x onerror=alert(1)>"]
PHONES = (360, 390, 414)

# Init scripts that take a feature away before the runtime loads, as an engine without it would.
NO_SAB = "delete globalThis.SharedArrayBuffer;"
NO_MODULE_WORKERS = ("{ const W = window.Worker; window.Worker = function Worker(url, o) {"  # `type` never read: classic
                     " return new W(url, o && o.name ? { name: o.name } : undefined); }; window.Worker.prototype = W.prototype; }")
REFUSES_MODULE_WORKERS = ("{ const W = window.Worker; window.Worker = function Worker(url, o) {"  # Firefox < 114
                          " if (o && o.type === 'module') throw new TypeError('Module scripts are not supported on DedicatedWorker yet');"
                          " return new W(url, o); }; window.Worker.prototype = W.prototype; }")
IGNORES_MODULE_TYPE = ("{ const W = window.Worker; window.Worker = function Worker(url, o) { void (o && o.type);"  # reads it, runs classic
                       " return new W(url, o && o.name ? { name: o.name } : undefined); }; window.Worker.prototype = W.prototype; }")
THREADS_OOM = ("{ const W = window.Worker; window.Worker = function Worker(url, o) {"  # iOS: threaded wasm cannot allocate
               " if (o && o.name === 'em-pthread') throw new RangeError('Out of memory'); return new W(url, o); };"
               " window.Worker.prototype = W.prototype; }")
FALLBACKS = {  # case -> (init script, isolated page, {backend: the fallback it takes}, words of the fallback's reason)
    "no_shared_array_buffer": (NO_SAB, True, {"flat": "sharedArrayBuffer", "onnx": "wasmThreads"}, "no SharedArrayBuffer"),
    "no_module_workers": (NO_MODULE_WORKERS, False, {"flat": "moduleWorkers"}, "no module Web Workers"),
    "module_workers_refused": (REFUSES_MODULE_WORKERS, False, {"flat": "moduleWorkers"}, "Module scripts are not supported"),
    "worker_script_fails": (IGNORES_MODULE_TYPE, False, {"flat": "moduleWorkers"}, "a worker failed"),
    "threaded_session_fails": (THREADS_OOM, True, {"onnx": "wasmThreads"}, "RangeError: Out of memory"),
}


def _vendor_ok() -> tuple[bool, str]:
    from exporter.targets.web import check_vendor

    try:
        check_vendor()
    except EdgembedError as e:
        return False, str(e)
    return True, ""


VENDOR_OK, VENDOR_WHY = _vendor_ok()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not VENDOR_OK, reason=f"npm packages missing: {VENDOR_WHY}")]


FALLBACK_ENGINES = ("chromium", "firefox")  # forced here; WebKit's real ones: test_cross_origin_isolated_page


def pytest_generate_tests(metafunc):
    """Each test that takes `engine` runs once per engine (for the fuzz, the quants and the fallbacks: per pair)."""
    if "engine" not in metafunc.fixturenames:
        return
    for arg, pairs in (("variant", [(e, v) for e in ENGINES for v in FUZZ_VARIANTS[e]]),
                       ("quant", [(e, q) for e in ENGINES for q in QUANTS]),
                       ("case", [(e, c) for e in FALLBACK_ENGINES for c in FALLBACKS])):
        if arg in metafunc.fixturenames:
            metafunc.parametrize(["engine", arg], pairs, indirect=["engine"], ids=[f"{e}-{x}" for e, x in pairs])
            return
    metafunc.parametrize("engine", ENGINES, indirect=True)


# ---------------------------------------------------------------- fixtures: exports, servers, engines


def _pool_texts(texts: list[str]) -> list[str]:
    """A batch for the worker pool (>= 64 texts): the hostile set 10 times, then real Cranfield and CISI lines."""
    real = [json.loads(line)["text"] for f in ("cranfield", "cisi")
            for line in (DATA / f / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:150]]
    return texts * 10 + real


@pytest.fixture(scope="module")
def exports(distilled_dir, tmp_path_factory) -> dict[str, Path]:
    """The default model exported with its demo in each quant of QUANTS, side by side in one folder."""
    root = tmp_path_factory.mktemp("engines")
    out = {}
    for name, kw in QUANTS.items():
        out[name] = root / name
        export(distilled_dir, out[name], demo=True, **kw)
    return out


@pytest.fixture(scope="module")
def servers(exports):
    """The exports' folder on 127.0.0.1 (one origin: base + "int8/"), plainly and cross-origin isolated (COOP/COEP)."""
    root = exports["int8"].parent
    running = {"plain": serve_in_thread(root), "isolated": serve_in_thread(root, threads=True)}
    yield {name: url for name, (_, url) in running.items()}
    for srv, _ in running.values():
        srv.shutdown()
        srv.server_close()


class _Engines:
    """One launch per engine for the whole module (relaunched only if its driver died), and the time each engine's
    tests took; pages a group of tests share (one per engine and key)."""

    def __init__(self):
        self.open: dict = {}
        self.skip: dict[str, str] = {}
        self.seconds: dict[str, float] = {}
        self.pages: dict = {}

    def get(self, name: str):
        if name in self.skip:
            pytest.skip(self.skip[name])
        eng = self.open.get(name)
        if eng is None or eng._proc.poll() is not None:
            ok, why = engine_available(name)
            if not ok:
                self.skip[name] = f"{name}: {why}"
                pytest.skip(self.skip[name])
            t0 = time.perf_counter()
            eng = self.open[name] = open_engine(name, timeout=600)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            record(MATRIX, name, version=eng.version, launch_ms=eng.launch_ms, requests_from=eng.requests_from)
            print(f"\n{name}: {eng.version}, launched in {eng.launch_ms / 1000:.1f} s, requests seen by the {eng.requests_from}")
        return eng

    def page(self, eng, key: str, url: str):
        """ENG's page KEY, opened on the demo at URL by the first test that asks for it."""
        if (eng.name, key) not in self.pages:
            p = eng.new_page()
            demo.open_demo(p, url)
            self.pages[(eng.name, key)] = p
        return self.pages[(eng.name, key)]

    def close(self) -> None:
        for name, eng in self.open.items():
            eng.close()
            record(MATRIX, name, seconds=round(self.seconds[name], 1))
            print(f"\n{name}: {self.seconds[name]:.1f} s in its tests (launch included)")


@pytest.fixture(scope="module")
def engines():
    e = _Engines()
    yield e
    e.close()


@pytest.fixture
def engine(request, engines):
    """The launched engine REQUEST.param (skipped with the reason when it cannot run here); times the test."""
    eng = engines.get(request.param)
    t0 = time.perf_counter()
    yield eng
    engines.seconds[eng.name] += time.perf_counter() - t0


@pytest.fixture(scope="module")
def fuzz() -> list[str]:
    print(f"\nfuzz seed {SEED}")
    return every_code_point(SEED) + hostile_mixes(SEED)


@pytest.fixture(scope="module")
def variant_cache(fuzz, tmp_path_factory):
    """Each tokenizer variant's export (fp32 random table, demo, its own server) and Python's ids and flat vectors of
    the fuzz set, computed once, when a test first asks for the variant."""
    from tokenizers import Tokenizer

    root, done, servers = tmp_path_factory.mktemp("variants"), {}, []

    def get(v: str):
        if v not in done:
            folder = root / v / "export"
            export(_model(root / v / "model", _variant(v)), folder, quant="fp32", demo=True)
            py_texts = [t.encode("utf-16", "surrogatepass").decode("utf-16", "replace") for t in fuzz]  # lone surrogate: U+FFFD
            tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
            ids = [e.ids for e in tok.encode_batch(py_texts, add_special_tokens=False)]
            srv, url = serve_in_thread(folder)
            servers.append(srv)
            done[v] = (ids, exporter.load(folder, backend="flat").encode(py_texts), url)
        return done[v]

    yield get
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.fixture
def variant_data(request, variant, variant_cache):
    """(Python ids, Python vectors, the export's URL) of VARIANT, ready before the engine's timer starts (and not
    computed for an engine that cannot run here)."""
    name = request.node.callspec.params["engine"]
    ok, why = engine_available(name)
    if not ok:
        pytest.skip(f"{name}: {why}")
    return variant_cache(variant)


def _ref(folder: Path, texts: list[str]) -> np.ndarray:
    return exporter.load(folder, backend="flat").encode(texts)


def _no_problems(p, what: str) -> None:
    log = p.log()
    assert log.problems == [], f"{what}: {log.problems[:5]}"
    assert log.requests and all(u.startswith("http://127.0.0.1:") or u.startswith("data:") for u in log.requests), what


# ---------------------------------------------------------------- the harness itself


SITE = """<!doctype html><html><head><meta charset="utf-8"><title>harness</title></head><body><p id="p">ready</p>
<script>console.error("early console error"); setTimeout(() => { throw new Error("thrown at load"); }, 0);
fetch("http://192.0.2.1/beacon").catch(() => {}); window.loads = (window.loads || 0) + 1;</script></body></html>"""


def _wait_for(p, check, what: str, seconds: float = 20.0):
    """Poll the page's log until CHECK(log) holds (driver events and WebKit's beacons arrive asynchronously)."""
    t0 = time.perf_counter()
    while True:
        log = p.log()
        if check(log):
            return log
        if time.perf_counter() - t0 > seconds:
            raise AssertionError(f"{what} after {seconds:.0f} s: {log}")
        time.sleep(0.1)


def test_engine_session_outlives_the_server(engine, tmp_path):
    """One page of a long-lived session: errors at load are seen (WebKit: through the probe), a request that would
    leave 127.0.0.1 is blocked and reported, the viewport resizes, and when Python stops the server the same page
    keeps working (and sees the network fail) until a server is back on the port and the page reloads."""
    import threading

    (tmp_path / "index.html").write_text(SITE, encoding="utf-8")
    (tmp_path / "plain.txt").write_text("a document that is not HTML\n", encoding="utf-8")
    srv = make_server(tmp_path)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{port}/index.html"
    p = engine.new_page(width=800, height=600)
    try:
        assert p.goto(url) == url
        log = _wait_for(p, lambda lg: lg.page_errors and lg.external, "no page error or blocked request seen")
        assert "early console error" in " ".join(log.console_errors), log
        assert any("thrown at load" in m for m in log.page_errors), log
        assert set(log.external) == {"http://192.0.2.1/beacon"} and url in log.requests and log.notes == []
        assert p.set_viewport(360, 700)["innerWidth"] == 360
        srv.shutdown()
        srv.server_close()
        assert p.expression("document.getElementById('p').textContent") == "ready"  # same page, no server
        err = p.evaluate("async (u) => { try { await fetch(u, { cache: 'no-store' }); return null; } catch (e) { return e.name; } }", url)
        assert err == "TypeError", "the page sees the network fail"
        _wait_for(p, lambda lg: any(f.startswith(url) for f in lg.failed), "the failed request is not in the log")
        with pytest.raises(EdgembedError, match="in the page: RangeError: boom"):
            p.evaluate("() => { throw new RangeError('boom'); }")
        srv = make_server(tmp_path, port=port)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        p.reload()
        assert p.evaluate("() => [window.loads, innerWidth]") == [1, 360]  # a new document, same page and viewport
        shot = p.screenshot(tmp_path / "shot.png")
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        p.goto(f"http://127.0.0.1:{port}/plain.txt")  # no HTML, so no probe tag: WebKit's harness says what it missed
        notes = p.log().notes
        if engine.requests_from == "proxy":
            assert notes and "errors before it are not seen" in notes[-1], notes
        else:
            assert notes == []
    finally:
        p.close()
        srv.shutdown()
        srv.server_close()


def test_engine_availability_is_a_clean_reason(monkeypatch):
    assert engine_available("safari") == (False, "unknown engine 'safari': choose chromium, firefox, webkit")
    monkeypatch.setenv("EDGEMBED_FIREFOX", "/nonexistent/firefox")
    ok, why = engine_available("firefox")
    assert not ok and why == ("no firefox executable ($EDGEMBED_FIREFOX=/nonexistent/firefox is not a file): "
                              "apt-get install firefox-esr, or set EDGEMBED_FIREFOX")
    with pytest.raises(EdgembedError, match=r"^cannot run firefox: no firefox executable"):
        open_engine("firefox")


# ---------------------------------------------------------------- exact tokenizer, every code point


@pytest.mark.slow
def test_exact_tokenizer_on_every_code_point(variant_data, engine, variant, fuzz):
    py_ids, py_vecs, url = variant_data
    p = engine.new_page()
    try:
        demo.open_demo(p, demo.demo_url(url, "flat", workers=1))
        t0 = time.perf_counter()
        ids, vecs, info = demo.ids_and_vectors(p, fuzz)
        seconds = time.perf_counter() - t0
        _no_problems(p, f"{engine.name} {variant}")
    finally:
        p.close()
    assert info["tokenizer"] == "exact"
    bad = [i for i, (a, b) in enumerate(zip(ids, py_ids)) if a != b]
    shown = "\n".join(f"  {fuzz[i]!r}: js {ids[i][:12]} python {py_ids[i][:12]}" for i in bad[:8])
    assert len(ids) == len(fuzz) and not bad, f"{engine.name} {variant} (seed {SEED}): {len(bad)} texts tokenize differently:\n{shown}"
    diff = np.abs(vecs - py_vecs).max(axis=1)
    far = np.flatnonzero(diff > TOL)
    assert not len(far), f"{engine.name} {variant} (seed {SEED}): {len(far)} texts embed differently, e.g. {fuzz[far[0]]!r}"
    record(MATRIX, engine.name, tokenizer={variant: {"texts": len(fuzz), "id_mismatches": len(bad), "max_diff": float(diff.max()),
                                                    "seed": SEED, "seconds": round(seconds, 1)}})
    print(f"{engine.name} {variant}: {len(fuzz)} texts, 0 id mismatches, max |diff| {diff.max():.1e}, "
          f"{seconds:.1f} s for ids + vectors in the page (transfer included), seed {SEED}")


# ---------------------------------------------------------------- embed() per quant and backend


def test_embed_matches_python(engine, engines, quant, exports, servers, texts):
    """In one page per engine (the int8 demo; every export on its origin): flat on the main thread (a small batch),
    flat through 2 workers (a big batch; bit-identical to a workers: 1 model's), onnx, each equal to Python's flat."""
    folder, big = exports[quant], _pool_texts(texts)
    p = engines.page(engine, "quants", demo.demo_url(servers["plain"] + "int8/", "flat", workers=2))
    main, pooled, single, onnx = demo.runtime_embed(p, [({"backend": "flat", "workers": 2}, texts), ({"backend": "flat", "workers": 2}, big),
                                                        ({"backend": "flat", "workers": 1}, big), ({"backend": "onnx"}, texts)],
                                                    base=f"../{quant}/")
    _no_problems(p, f"{engine.name} {quant}")
    for r in (main, pooled, single):
        assert "error" not in r, r
    assert main["info"]["quant"] == QUANTS[quant]["quant"] and main["info"]["workers"] == 2
    assert main["pooledBatches"] == 0 and pooled["pooledBatches"] == 1, "the big batch, and only it, took the pool"
    assert single["info"]["workers"] == 1 and single["pooledBatches"] == 0
    assert np.array_equal(pooled["vectors"], single["vectors"]), "the worker pool gives the main thread's vectors, bit for bit"
    diffs: dict[str, float | str] = {"flat": float(np.abs(main["vectors"] - _ref(folder, texts)).max()),
                                     "workers": float(np.abs(pooled["vectors"] - _ref(folder, big)).max())}
    if engine.name in ONNX_UNSUPPORTED:
        assert "error" in onnx and ONNX_UNSUPPORTED[engine.name] in onnx["error"], onnx
        diffs["onnx"] = f"fails: {ONNX_UNSUPPORTED[engine.name]}"
    else:
        assert "error" not in onnx, f"onnx in {engine.name}: {onnx['error']}"
        assert onnx["info"]["backend"] == "onnx"
        diffs["onnx"] = float(np.abs(onnx["vectors"] - _ref(folder, texts)).max())
    record(MATRIX, engine.name, quants={quant: diffs})
    print(f"{engine.name} {quant}: " + ", ".join(f"{k} {v:.1e}" if isinstance(v, float) else f"{k} {v}" for k, v in diffs.items())
          + f" ({len(texts)} / {len(big)} / {len(texts)} texts)")
    assert all(v <= TOL for v in diffs.values() if isinstance(v, float)), diffs


# ---------------------------------------------------------------- cross-origin isolation and the fallbacks


def test_cross_origin_isolated_page(engine, exports, servers, texts):
    """On a COOP/COEP page the pool shares one table and onnx runs wasm threads, where the engine can; where it
    cannot (WebKitGTK: no SharedArrayBuffer even when isolated) the runtime takes and reports the fallbacks."""
    big = _pool_texts(texts)
    p = engine.new_page()
    try:
        state = demo.open_demo(p, demo.demo_url(servers["isolated"] + "int8/", "flat", workers=2))
        pooled, w_info = demo.embed(p, big, "flat")
        onnx, o_info = demo.embed(p, texts, "onnx")
        panel = demo.dom(p)["panel"]
        _no_problems(p, f"{engine.name} isolated")
    finally:
        p.close()
    assert state["crossOriginIsolated"] is True
    flat_rt, onnx_rt = w_info["runtime"], o_info["runtime"]
    f = flat_rt["features"]
    assert f == onnx_rt["features"] and f["crossOriginIsolated"] is True and f["moduleWorkers"] is True
    kinds = {fb["feature"] for fb in flat_rt["fallbacks"]}
    if f["sharedArrayBuffer"]:
        assert flat_rt["sharedMemory"] is True and not kinds
        assert onnx_rt["numThreads"] > 1 and onnx_rt["fallbacks"] == []
    else:  # the table is copied into each worker, onnx runs one thread, and both say why
        assert flat_rt["sharedMemory"] is False and kinds == {"sharedArrayBuffer"}
        assert onnx_rt["numThreads"] == 1 and [fb["feature"] for fb in onnx_rt["fallbacks"]] == ["wasmThreads"]
        assert "no SharedArrayBuffer, although the page is cross-origin isolated" in panel["fallbacks"]
    if engine.name == "webkit":
        assert not f["sharedArrayBuffer"], "WebKitGTK now exposes SharedArrayBuffer on isolated pages: update the matrix"
    diff = max(float(np.abs(pooled - _ref(exports["int8"], big)).max()), float(np.abs(onnx - _ref(exports["int8"], texts)).max()))
    assert diff <= TOL
    taken = [f"{fb['used']} ({fb['reason']})" for fb in flat_rt["fallbacks"] + onnx_rt["fallbacks"]]
    record(MATRIX, engine.name, isolated={"features": f, "wasm_threads": onnx_rt["numThreads"], "shared_table": flat_rt["sharedMemory"],
                                          "fallbacks": taken, "max_diff": diff})
    print(f"{engine.name} isolated: features {f}, onnx threads {onnx_rt['numThreads']}, fallbacks {taken or 'none'}, max |diff| {diff:.1e}")


def test_fallback(engine, case, exports, servers, texts):
    """Each feature taken away in the page before the runtime loads: the runtime detects it (or its start-up
    failure), takes the fallback, says so in info.fallbacks and the Runtime panel, and still equals Python."""
    init, isolated, expect, why = FALLBACKS[case]
    big = _pool_texts(texts)
    p = engine.new_page(init_script=init)
    try:
        demo.open_demo(p, demo.demo_url(servers["isolated" if isolated else "plain"] + "int8/", "flat", workers=2))
        got = {b: demo.embed(p, big if b == "flat" else texts, b) for b in expect}
        panel = demo.dom(p)["panel"]
        log = p.log()
    finally:
        p.close()
    assert log.console_errors == [] and log.page_errors == [] and log.external == [], log.problems
    for b, (vecs, info) in got.items():
        rt = info["runtime"]
        mine = [fb for fb in rt["fallbacks"] if fb["feature"] == expect[b]]
        assert len(mine) == 1 and why in mine[0]["reason"], rt["fallbacks"]
        if expect[b] == "moduleWorkers":
            assert rt["pooledBatches"] == 0, "the batch was embedded on the calling thread"
        if expect[b] == "sharedArrayBuffer":
            assert rt["pooledBatches"] == 1 and rt["sharedMemory"] is False, "the pool ran, each worker with its own table"
        if b == "onnx":
            assert rt["numThreads"] == 1
        ref = _ref(exports["int8"], big if b == "flat" else texts)
        assert float(np.abs(vecs - ref).max()) <= TOL, b
    if case in ("no_module_workers", "no_shared_array_buffer"):  # known when the panel is drawn: it shows it
        assert why in panel["fallbacks"], panel
    taken = sorted({f"{fb['used']} ({fb['reason']})" for _, info in got.values() for fb in info["runtime"]["fallbacks"]})
    record(MATRIX, engine.name, fallbacks={case: taken})
    print(f"{engine.name} {case}: {taken}")


def test_node_runtime_reports_why_it_has_no_pool(exports):
    """Outside a page the flat backend has no worker pool: asked for workers, it says so in info.fallbacks."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    script = """
import { fromArtifacts } from "./runtime/index.mjs";
import { readFileSync } from "node:fs";
const d = process.argv[1], m = JSON.parse(readFileSync(d + "/manifest.json", "utf8"));
const model = await fromArtifacts({ tokenizerJson: readFileSync(d + "/tokenizer.json", "utf8"), manifest: m,
  chartable: readFileSync(d + "/chartable.bin"), flat: readFileSync(d + "/model.edgembed"), workers: 4 });
console.log(JSON.stringify(model.info));
"""
    proc = subprocess.run(["node", "--input-type=module", "-e", script, str(exports["int8"])], cwd=WEB, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads(proc.stdout)
    assert info["workers"] == 1 and info["features"]["moduleWorkers"] is False
    assert info["fallbacks"] == [{"feature": "moduleWorkers", "wanted": "4 module Web Workers", "used": "the calling thread",
                                  "reason": "no Web Worker pool outside a page (Node.js, React Native)"}]


def test_features_and_fallbacks_are_typed(tmp_path):
    """index.d.ts tells the truth about info.features and info.fallbacks: correct use compiles, a wrong one does not."""
    tsc = WEB / "node_modules" / "typescript" / "bin" / "tsc"
    if shutil.which("node") is None or not tsc.is_file():
        pytest.skip("node or web/node_modules/typescript missing (cd web && npm ci)")
    dts = (WEB / "runtime" / "index.d.ts").resolve()
    good = f"""import type {{ EmbedderInfo, Fallback, RuntimeFeatures }} from "{dts.with_suffix('').with_suffix('')}";
export function describe(info: EmbedderInfo): string {{
  const f: RuntimeFeatures = info.features;
  const first: Fallback | undefined = info.fallbacks[0];
  const kind: "sharedArrayBuffer" | "moduleWorkers" | "wasmThreads" | undefined = first?.feature;
  return `${{f.sharedArrayBuffer}} ${{f.moduleWorkers}} ${{f.wasmThreads}} ${{f.crossOriginIsolated}} ${{kind}} ${{first?.used}} ${{first?.reason}} ${{first?.wanted}}`;
}}
"""
    bad = good.replace("first?.used", "first?.path").replace("f.wasmThreads", "f.webgpu")
    (tmp_path / "good.ts").write_text(good, encoding="utf-8")
    (tmp_path / "bad.ts").write_text(bad, encoding="utf-8")
    proc = subprocess.run(["node", str(tsc), "--strict", "--noEmit", "--target", "es2022", "--module", "esnext",  # one run, both files
                           "--moduleResolution", "bundler", str(tmp_path / "good.ts"), str(tmp_path / "bad.ts")],
                          capture_output=True, text=True, timeout=120)
    errors = [ln for ln in proc.stdout.splitlines() if ": error TS" in ln]
    assert proc.returncode != 0 and errors and all("bad.ts(" in ln for ln in errors), proc.stdout[-2000:]
    assert any("'path' does not exist" in ln for ln in errors) and any("'webgpu' does not exist" in ln for ln in errors), errors


# ---------------------------------------------------------------- the demo


def test_demo_works_and_fits_phones(engine, exports, servers):
    """Ready, search (Python's ranking over the stored corpus vectors) and the similarity grid, no console or page
    error, nothing beyond 127.0.0.1, no sideways scroll at 360/390/414 px; screenshots for the README."""
    ARTIFACTS.mkdir(exist_ok=True)
    shot, phone = ARTIFACTS / f"demo-{engine.name}.png", ARTIFACTS / f"demo-{engine.name}-390.png"
    for s in (shot, phone):
        s.unlink(missing_ok=True)
    p = engine.new_page(width=1280, height=1440)
    widths = {}
    try:
        state = demo.open_demo(p, demo.demo_url(servers["plain"] + "int8/"))
        top = p.evaluate("async (q) => window.edgembed.search(q)", QUERY)
        p.evaluate("async (lines) => window.edgembed.compare(lines)", SENTENCES)
        seen = demo.dom(p)
        p.screenshot(shot)
        for w in PHONES:
            assert p.set_viewport(w, 844)["innerWidth"] == w
            widths[w] = demo.layout(p)
            if w == 390:
                p.screenshot(phone)
        _no_problems(p, f"{engine.name} demo")
    finally:
        p.close()
    assert state["status"] == "ready · flat"
    from exporter.targets.web import read_corpus

    vecs = read_corpus(exports["int8"] / "demo")
    q = _ref(exports["int8"], [QUERY])[0].astype(np.float64)
    scores = vecs @ (q / np.linalg.norm(q))
    assert seen["results"] == top and len(top) == 6
    assert scores[top[-1]] >= np.sort(scores)[-6] - 1e-6, "the page's top 6 are Python's top 6"
    assert seen["cells"] == len(SENTENCES) ** 2 and seen["status"] == "ready · flat"
    assert seen["panel"]["backend"].startswith("flat") and seen["panel"]["fallbacks"]  # "none", or what was taken
    for w, lay in widths.items():
        assert lay["innerWidth"] == w and lay["scrollWidth"] <= w and lay["bodyScrollWidth"] <= w, f"{w} px: {lay}"
    for s in (shot, phone):
        assert s.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and s.stat().st_size > 20_000, s
    record(MATRIX, engine.name, demo={"fits": {str(w): lay["scrollWidth"] for w, lay in widths.items()},
                                      "screenshots": [shot.name, phone.name], "panel_fallbacks": seen["panel"]["fallbacks"]})
    fits = ", ".join(f"{w}: {lay['scrollWidth']}" for w, lay in widths.items())
    print(f"{engine.name} demo: top {top}, scrollWidth at {fits}")


# ---------------------------------------------------------------- the table


MINE = ("tokenizer", "quants", "isolated", "fallbacks", "demo", "seconds", "launch_ms")


@pytest.fixture(scope="module", autouse=True)
def matrix_table():
    """Clear what this module measures (other suites' columns stay); after it, fill the flat, workers and onnx cells
    from the measured numbers and write the table (engine-matrix.md)."""
    data = load_matrix(MATRIX)
    for row in data["engines"].values():
        for col in ("flat", "workers", "onnx"):
            row["cells"].pop(col, None)
        for k in MINE:
            row["details"].pop(k, None)
    if MATRIX.is_file():
        MATRIX.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    yield
    data = load_matrix(MATRIX)
    for name, row in data["engines"].items():
        quants = row["details"].get("quants", {})
        for col in ("flat", "workers", "onnx"):
            vals = [q.get(col) for q in quants.values()]
            if vals and all(isinstance(v, float) for v in vals):
                record(MATRIX, name, col, f"≤ {max(vals):.1e} ({', '.join(quants)})")
            elif vals:
                record(MATRIX, name, col, "; ".join(str(v) for v in vals if not isinstance(v, float)))
    if MATRIX.is_file():
        MATRIX.with_suffix(".md").write_text(markdown(load_matrix(MATRIX)) + "\n", encoding="utf-8")
        print("\n" + markdown(load_matrix(MATRIX)))
