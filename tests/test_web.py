"""The static web demo and the browser runtimes: export layout, tokenizer parity in JS, and real Chromium runs
(both browser backends vs the Python backends of the same export, network isolation, hostile strings)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

import exporter
from exporter.errors import EdgembedError
from exporter.pipeline import export
from exporter.sources.tokenizer import encode_ids, load_tokenizer
from tests.conftest import ARTIFACTS, DATA

HOSTILE = "<img src=x onerror=alert(1)>"


def _web():
    from exporter.targets import web

    return web


def _vendor_ok() -> tuple[bool, str]:
    try:
        _web().check_vendor()
    except EdgembedError as e:
        return False, str(e)
    return True, ""


needs_vendor = pytest.mark.skipif(not _vendor_ok()[0], reason=f"npm packages missing: {_vendor_ok()[1]}")
needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def _browser_ok() -> tuple[bool, str]:
    from exporter.proof.browser import browser_available

    return browser_available()


BROWSER_OK, BROWSER_WHY = _browser_ok()
needs_browser = pytest.mark.skipif(not BROWSER_OK, reason=f"no browser: {BROWSER_WHY}")


# ---------------------------------------------------------------- export layout (no browser)

def test_default_corpus_is_real_python_docs():
    items = _web().default_corpus()
    assert 300 <= len(items) <= _web().MAX_DEFAULT_PASSAGES
    texts = [it["text"] for it in items]
    assert len(set(texts)) == len(texts), "no duplicate passages"
    assert all(len(t.split()) >= 15 and it["title"] for t, it in zip(texts, items))
    joined = " ".join(texts)
    assert "exception" in joined and "lambda" in joined and "lorem" not in joined.lower()


@needs_vendor
def test_export_writes_self_contained_demo(distilled_dir, tmp_path):
    out = tmp_path / "exp"
    man = export(distilled_dir, out, quant="int8", demo=True)
    assert man["files"]["demo"] == "index.html"
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    from exporter.formats.rows import is_shard

    assert {f for f in on_disk if not is_shard(f)} - {"manifest.json"} == set(man["sha256"]), \
        "every file is listed with its sha256 (row shards: in rows/index.bin)"
    for name, files in _web().VENDOR.items():
        for f in files:
            src = _web().WEB / "node_modules" / name / f
            assert (out / "demo/vendor" / src.name).read_bytes() == src.read_bytes()
    html = (out / "index.html").read_text(encoding="utf-8")
    # relative URLs only: nothing the page loads names a host
    for url in re.findall(r'(?:src|href)="([^"]*)"', html) + list(_web().IMPORT_MAP["imports"].values()):
        assert not re.match(r"^[a-z]+:", url) or url == "data:,", url
    assert "http://" not in html and "https://" not in html
    for f in (out / "demo").rglob("*.mjs"):  # no CDN import anywhere in the shipped JS
        assert not re.search(r"""(?:from|import\()\s*["']https?://""", f.read_text(encoding="utf-8")), f
    # the inline import map is allowed by its CSP hash and nothing else
    import base64
    import hashlib

    imap = re.search(r'<script type="importmap">(.*?)</script>', html, re.S).group(1)
    assert json.loads(imap) == _web().IMPORT_MAP
    digest = base64.b64encode(hashlib.sha256(imap.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in html and "unsafe-inline" not in html
    # the search box's text as the page opens and the row shards it needs (app.mjs asks for them with the model's files)
    box = re.search(r'<input id="query"[^>]*value="([^"]*)" data-rows="([^"]*)"', html)
    from exporter.formats.rows import read_index, shard_name
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    ix = read_index((out / "rows/index.bin").read_bytes())
    ids = encode_ids(load_tokenizer((out / "tokenizer.json").read_text(encoding="utf-8")), [box.group(1)])[0]
    assert box.group(2).split() == [shard_name(k, ix["shards"]) for k in sorted({i // ix["shard_rows"] for i in ids})] != []


@needs_vendor
def test_corpus_vectors_are_the_flat_backend_s(distilled_dir, tmp_path):
    corpus = tmp_path / "c.jsonl"
    rows = ["A man is playing a guitar.", "", "   ", HOSTILE, "Python lists can be sorted in place."]
    corpus.write_text("".join(json.dumps({"text": t}) + "\n" for t in rows), encoding="utf-8")
    out = tmp_path / "exp"
    export(distilled_dir, out, quant="int4", dims=64, demo=True, corpus=corpus)
    meta = json.loads((out / "demo/corpus.json").read_text(encoding="utf-8"))
    kept = [t for t in rows if t.strip()]
    assert meta["count"] == len(kept) and meta["dims"] == 64 and meta["name"] == "c.jsonl"
    per = meta["texts_per_shard"]
    shards = [json.loads((out / f"demo/texts/{k}.json").read_text(encoding="utf-8")) for k in range(-(-len(kept) // per))]
    assert [t for s in shards for t in s] == kept and meta["titles"] == ["#1", "#4", "#5"]  # titled by line number
    vecs = corpus_vectors(out)
    ref = exporter.load(out, backend="flat").encode(kept)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    assert np.abs(vecs - ref).max() <= np.abs(ref).max(axis=1).max() / 254 + 1e-7  # int8 storage, one scale a row


UNRELATED, RELATED = "quarterly revenue fell", "how do I catch an exception?"


@needs_vendor
def test_weak_match_line_is_measured_at_export(distilled_dir, tmp_path):
    """corpus.json's weak-match line is the 90% quantile of the unrelated probes' best scores against the stored corpus
    (recomputed here through the export's Python flat backend); it lies between the unrelated and the related probes,
    below a related query and above an unrelated one, and the page says what it is."""
    from exporter.targets.weak_match import OFF_TOPIC

    out = tmp_path / "exp"
    export(distilled_dir, out, quant="int8", demo=True)
    weak = json.loads((out / "demo/corpus.json").read_text(encoding="utf-8"))["weak"]
    vecs = corpus_vectors(out)
    model = exporter.load(out, backend="flat")

    def best(texts):
        q = model.encode(texts).astype(np.float64)
        return (q / np.linalg.norm(q, axis=1, keepdims=True) @ vecs.T).max(axis=1)

    off = best(list(OFF_TOPIC))
    assert weak["unrelated"]["n"] == len(OFF_TOPIC) == 60 and weak["quantile"] == 0.9
    assert weak["weak_below"] == pytest.approx(np.quantile(off, 0.9), abs=1e-4)
    assert weak["unrelated"]["p50"] < weak["weak_below"] < weak["related"]["p10"] and weak["related"]["below_line"] <= 0.05
    unrelated, related = best([UNRELATED, RELATED])
    assert unrelated < weak["weak_below"] < related, (unrelated, related, weak["weak_below"])
    print(f"weak-match line {weak['weak_below']:.4f}: '{UNRELATED}' {unrelated:.3f}, '{RELATED}' {related:.3f}; "
          f"unrelated {weak['unrelated']}, related {weak['related']}")
    html = (out / "index.html").read_text(encoding="utf-8")
    assert f"Scores below {weak['weak_below']:.2f} are marked weak: 90% of 60 unrelated everyday queries" in html


def corpus_vectors(out) -> np.ndarray:
    """The demo's corpus vectors as the page reads them."""
    return _web().read_corpus(out / "demo")


def test_missing_npm_packages_error_leaves_nothing(distilled_dir, tmp_path, monkeypatch, capsys):
    web = tmp_path / "web"
    web.mkdir()
    shutil.copy(_web().WEB / "package.json", web / "package.json")
    monkeypatch.setattr(_web(), "WEB", web)
    out = tmp_path / "exp"
    with pytest.raises(EdgembedError, match=r"npm ci") as exc:
        export(distilled_dir, out, quant="int8", demo=True)
    assert f"cd {web} && " in str(exc.value) and "\n" not in str(exc.value)
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["web"], "nothing half-written"
    from exporter.cli import main

    assert main(["export", str(distilled_dir), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edgembed: error: ") and err.count("\n") == 1 and "npm ci" in err
    assert main(["export", str(distilled_dir), "--out", str(out), "--no-demo"]) == 0  # --no-demo needs no npm
    assert "demo" not in json.loads((out / "manifest.json").read_text())["files"] and not (out / "index.html").exists()


@needs_vendor
def test_template_escapes_model_name(distilled_dir, tmp_path):
    model = exporter.load_model(distilled_dir)
    model.source = {"kind": "local", "path": f"/models/{HOSTILE}"}
    out = tmp_path / "exp"
    export(model, out, quant="fp16", dims=32, demo=True)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


@needs_vendor
def test_empty_corpus_is_an_error(distilled_dir, tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(EdgembedError, match="no non-blank texts"):
        export(distilled_dir, tmp_path / "exp", quant="int8", demo=True, corpus=corpus)
    assert not (tmp_path / "exp").exists()


# ---------------------------------------------------------------- JS tokenizer (node, no browser)

@needs_node
@needs_vendor
@pytest.mark.parametrize("truncation", ["file", "left7", "none", "cased"])
def test_js_token_ids_match_python(distilled_dir, texts, tmp_path, truncation):
    """The runtime's exact tokenizer (with the file's truncation) == Python tokenizers (add_special_tokens=False)."""
    from exporter.formats.chartable import chartable_for
    from exporter.sources.tokenizer import runtime_tokenizer_json

    spec = json.loads(runtime_tokenizer_json((distilled_dir / "tokenizer.json").read_text(encoding="utf-8")))
    assert spec["truncation"]["max_length"] == 512  # the default model truncates: the 20,000-word text shows it
    if truncation == "left7":
        spec["truncation"] = {**spec["truncation"], "max_length": 7, "direction": "Left"}
    elif truncation == "none":
        spec["truncation"] = None
    elif truncation == "cased":  # no lowercasing, and an added token matched after normalization
        spec["normalizer"]["lowercase"] = False
        spec["added_tokens"].append({"id": len(spec["model"]["vocab"]), "content": "x.y", "single_word": False, "lstrip": False,
                                     "rstrip": False, "normalized": True, "special": False})
    tok_file, texts_file, out = tmp_path / "tok.json", tmp_path / "texts.json", tmp_path / "ids.json"
    tok_file.write_text(json.dumps(spec), encoding="utf-8")
    (tmp_path / "chars.bin").write_bytes(chartable_for(json.dumps(spec)))
    extra = ["[CLS] hello [SEP] [MASK]", "x" * 150, "\u00a0nbsp\u2028line\u3000ideographic", "ＡＢＣ ｶﾀｶﾅ",
             "  the  the the. The,the  ", "a \u0301b x\u0301 \u0301", "a[MASK]b [SEP]x", "ab\ufeffcd ab \ufeff cd",
             "abc123 123abc 0 00 ununderstandable ##ing mask sep cls unk pad " + "z" * 101 + " " + "q" * 100,
             "The U.S.A. (1958), e.g. x=y+2; a[MASK]b [mask] x.[SEP]y C++ #hash @user ~tilde `tick` {a|b} \\back/slash"
             " ...!!! '' \"q\" a-b_c don't O'Neil 3.14 1,000 $5 50% A1B2 Ünïcode-ASCII mix X.Y x.y ax.yb"]
    extra += [line for f in ("cranfield", "cisi")
              for line in (DATA / f / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:200]
              for line in [json.loads(line)["text"]]]
    texts_file.write_text(json.dumps(texts + extra), encoding="utf-8")
    proc = subprocess.run(["node", str(_web().WEB / "scripts/token_ids.mjs"), str(tok_file), str(texts_file), str(out), str(tmp_path / "chars.bin")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    got = result["ids"]
    want = encode_ids(load_tokenizer(json.dumps(spec)), texts + extra)
    assert got == want
    assert result["path"] == "exact" and result["piecewise"] and result["batchIds"] == want, "the per-batch piece cache changes no id"
    long_len = len(got[len(texts) - 1])
    assert long_len == {"file": 512, "cased": 512, "left7": 7, "none": long_len}[truncation] and (truncation != "none" or long_len > 20_000)


NODE_WORKERS = """
import { readFileSync } from "node:fs";
import { fromArtifacts } from "./runtime/edgembed.mjs";
const [dir, textsFile] = process.argv.slice(1);
const buf = readFileSync(dir + "/model.edgembed");
const base = { tokenizerJson: readFileSync(dir + "/tokenizer.json", "utf8"), chartable: readFileSync(dir + "/chartable.bin"),
  flat: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) };
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const one = await fromArtifacts({ ...base, workers: 1 }), four = await fromArtifacts({ ...base, workers: 4 });
const [a, b] = [await one.embed(texts), await four.embed(texts)];
let bad = null;
try { await fromArtifacts({ ...base, workers: 0 }); } catch (e) { bad = e.message; }
console.log(JSON.stringify({ workers: [one.info.workers, four.info.workers], pool: four.pool,
  same: a.every((v, i) => v.length === b[i].length && v.every((x, j) => Object.is(x, b[i][j]))), bad }));
"""


@needs_node
@needs_vendor
def test_node_runtime_ignores_workers(distilled_dir, texts, tmp_path):
    """Outside a browser (no Web Worker: Node.js, React Native) `workers` leaves the calling thread's path unchanged."""
    out = tmp_path / "exp"
    export(distilled_dir, out, quant="int8", dims=32, demo=False)
    (tmp_path / "texts.json").write_text(json.dumps(texts * 5), encoding="utf-8")
    proc = subprocess.run(["node", "--input-type=module", "-e", NODE_WORKERS, str(out), str(tmp_path / "texts.json")],
                          cwd=str(_web().WEB), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got == {"workers": [1, 1], "pool": None, "same": True, "bad": "workers must be a positive integer, got 0"}


# ---------------------------------------------------------------- real Chromium

def _pool_texts(texts: list[str]) -> list[str]:
    """A batch big enough for the flat backend's worker pool: the hostile set 10 times, then real lines."""
    real = [json.loads(line)["text"] for f in ("cranfield", "cisi")
            for line in (DATA / f / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:150]]
    return texts * 10 + real + [f"line {i}: the flow over a flat plate" for i in range(max(0, 64 - len(real)))]


SENTENCES = ["A man is playing a guitar.", "Someone strums an acoustic guitar on stage.", "The cat is sleeping on the sofa.",
             "A kitten naps on the couch.", "How do I sort a list in Python?", HOSTILE]


@pytest.fixture(scope="module")
def browser_runs(distilled_dir, texts, tmp_path_factory):
    """fp32 and int8 exports with the demo, then one Chromium launch visiting every page the tests look at."""
    from exporter.proof.browser import PageSpec, browser_run

    root = tmp_path_factory.mktemp("web")
    corpus = root / "hostile.txt"
    corpus.write_text("\n".join([HOSTILE, "<script>alert('x')</script> scripts in a corpus", "Cats sleep a lot.",
                                 "Guitars have six strings."]) + "\n", encoding="utf-8")
    dirs = {"fp32": root / "fp32", "int8": root / "int8"}
    export(distilled_dir, dirs["fp32"], quant="fp32", demo=True)
    export(distilled_dir, dirs["int8"], quant="int8", demo=True, corpus=corpus)
    dirs["pq16"] = root / "pq16"  # product quantization (version 2 flat file): flat, onnx and the worker pool
    export(distilled_dir, dirs["pq16"], quant="pq16", dims=64, demo=True)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "demo.png"
    shot.unlink(missing_ok=True)
    (ARTIFACTS / "demo-weak.png").unlink(missing_ok=True)
    pages = [PageSpec(dirs[q], b, texts=texts, name=f"{q}-{b}") for q in ("fp32", "int8") for b in ("flat", "onnx")]
    pages += [
        PageSpec(dirs["int8"], "onnx", texts=texts, threads=True, name="int8-onnx-threads"),
        # the flat backend's Web Worker pool: 3 workers with a table copy each, 2 sharing it (COOP/COEP), none
        PageSpec(dirs["int8"], "flat", texts=_pool_texts(texts), workers=3, name="int8-flat-pool"),
        PageSpec(dirs["int8"], "flat", texts=_pool_texts(texts), workers=2, threads=True, name="int8-flat-pool-shared"),
        PageSpec(dirs["int8"], "flat", texts=_pool_texts(texts), workers=1, name="int8-flat-nopool"),
        PageSpec(dirs["pq16"], "onnx", texts=texts, name="pq16-onnx"),
        PageSpec(dirs["pq16"], "flat", texts=_pool_texts(texts), workers=2, name="pq16-flat-pool"),
        PageSpec(dirs["pq16"], "flat", texts=_pool_texts(texts), workers=1, name="pq16-flat-nopool"),
        PageSpec(dirs["fp32"], "flat", query=RELATED, sentences=SENTENCES, screenshot=shot, name="demo"),
        PageSpec(dirs["int8"], "flat", query=HOSTILE, sentences=[HOSTILE, "<b>bold</b>", "a"], switch_to="onnx", name="hostile"),
        PageSpec(dirs["fp32"], "flat", query=UNRELATED, screenshot=ARTIFACTS / "demo-weak.png", name="unrelated"),
    ]
    reports = {r.name: r for r in browser_run(pages)}
    return dirs, reports, shot


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("quant", ["fp32", "int8"])
@pytest.mark.parametrize("backend", ["flat", "onnx"])
def test_browser_backends_match_python(browser_runs, texts, quant, backend):
    dirs, reports, _ = browser_runs
    rep = reports[f"{quant}-{backend}"]
    assert rep.problems == []
    got = rep.embeddings
    assert got is not None and got.shape == (len(texts), 256)
    for py_backend in ("flat", "onnx"):
        ref = exporter.load(dirs[quant], backend=py_backend).encode(texts)
        diff = float(np.abs(got - ref).max())
        assert diff <= 1e-5, f"{backend} in Chromium vs Python {py_backend}: {diff:.3g}"
    assert not got[0].any() and np.abs(got[-1]).max() > 0  # empty -> zero; the 20,000-word text embeds
    print(f"{quant} {backend}: max|diff| vs python flat {np.abs(got - exporter.load(dirs[quant]).encode(texts)).max():.3g}, "
          f"{rep.bytes_fetched:,} bytes, embed {rep.embed_ms:.0f} ms")


@pytest.mark.browser
@needs_browser
def test_every_page_stays_on_127_0_0_1_without_errors(browser_runs):
    _, reports, _ = browser_runs
    for name, rep in reports.items():
        assert rep.problems == [], name
        assert rep.requests and all(u.startswith("http://127.0.0.1:") or u.startswith("data:") for u in rep.requests), name


@pytest.mark.browser
@needs_browser
def test_flat_page_never_fetches_onnxruntime(browser_runs):
    dirs, reports, _ = browser_runs
    for q in ("fp32", "int8"):
        flat, onnx = reports[f"{q}-flat"], reports[f"{q}-onnx"]
        assert not [u for u in flat.requests if "ort" in u.rsplit("/", 1)[-1] or u.endswith((".wasm", ".onnx"))]
        assert any(u.endswith("/ort-wasm-simd-threaded.wasm") for u in onnx.requests)
        assert any(u.endswith("/onnx/model.onnx") for u in onnx.requests)
        # (the page preloads what the default flat backend needs first, rows/index.bin among them; never a row shard)
        assert not any(u.endswith("/model.edgembed") or ("/rows/" in u and not u.endswith("/rows/index.bin")) for u in onnx.requests)
        # its first query reads rows lazily; the background fill() may then take model.edgembed whole, once
        table = [u for u in flat.requests if u.endswith("/model.edgembed") or ("/rows/" in u and not u.endswith("/rows/index.bin"))]
        assert table and "/rows/" in table[0], "the flat page reads rows lazily"
        assert len(table) == len(set(table)), "no file of the table fetched twice"
        assert any(u.endswith("/rows/index.bin") for u in flat.requests)
        assert flat.bytes_fetched < onnx.bytes_fetched
        print(f"{q}: flat page {flat.bytes_fetched:,} bytes on the wire, onnx page {onnx.bytes_fetched:,} bytes")


@pytest.mark.browser
@needs_browser
def test_threads_with_cross_origin_isolation(browser_runs, texts):
    dirs, reports, _ = browser_runs
    rep = reports["int8-onnx-threads"]
    assert rep.problems == [] and rep.cross_origin_isolated
    assert not reports["int8-onnx"].cross_origin_isolated
    assert np.abs(rep.embeddings - exporter.load(dirs["int8"], backend="onnx").encode(texts)).max() <= 1e-5


@pytest.mark.browser
@needs_browser
def test_flat_worker_pool_matches_python_and_main_thread(browser_runs, texts):
    """A batch >= 64 texts split over Web Workers gives exactly the main thread's vectors (and Python's to 1e-5)."""
    dirs, reports, _ = browser_runs
    big = _pool_texts(texts)
    assert len(big) >= 200
    pool, shared, single = reports["int8-flat-pool"], reports["int8-flat-pool-shared"], reports["int8-flat-nopool"]
    for rep in (pool, shared, single):
        assert rep.problems == [] and rep.embeddings is not None and rep.embeddings.shape == (len(big), 256), rep.name
    assert pool.runtime == {"backend": "flat", "numThreads": 1, "workers": 3, "pooledBatches": 1, "sharedMemory": False}
    assert shared.cross_origin_isolated and shared.runtime["workers"] == 2 and shared.runtime["pooledBatches"] == 1
    assert shared.runtime["sharedMemory"] is True, "an isolated page shares one SharedArrayBuffer with its workers"
    assert single.runtime["workers"] == 1 and single.runtime["pooledBatches"] == 0
    worker = "/demo/runtime/flat_worker.mjs"
    assert sum(u.endswith(worker) for u in pool.requests) >= 1 and not any(u.endswith(worker) for u in single.requests)
    ref = exporter.load(dirs["int8"], backend="flat").encode(big)
    assert np.abs(pool.embeddings - ref).max() <= 1e-5
    assert np.array_equal(pool.embeddings, single.embeddings) and np.array_equal(shared.embeddings, single.embeddings)
    assert not pool.embeddings[0].any() and not pool.embeddings[len(texts)].any()  # empty text -> zero, in every share
    print(f"{len(big)} texts: 3 workers {pool.embed_ms:.0f} ms (first batch starts the pool), 2 shared {shared.embed_ms:.0f} ms, "
          f"main thread {single.embed_ms:.0f} ms")


@pytest.mark.browser
@needs_browser
def test_pq_in_the_browser(browser_runs, texts):
    """pq16@64 (flat format version 2): Chromium's flat backend (main thread and 2 workers) and onnx backend equal
    Python's flat backend to 1e-5; the pool is bit-identical to the main thread."""
    dirs, reports, _ = browser_runs
    big = _pool_texts(texts)
    pool, single, onnx = reports["pq16-flat-pool"], reports["pq16-flat-nopool"], reports["pq16-onnx"]
    for rep in (pool, single, onnx):
        assert rep.problems == [] and rep.embeddings is not None, rep.name
    assert pool.runtime["workers"] == 2 and pool.runtime["pooledBatches"] == 1
    assert np.array_equal(pool.embeddings, single.embeddings)
    ref = exporter.load(dirs["pq16"], backend="flat")
    diffs = [float(np.abs(single.embeddings - ref.encode(big)).max()), float(np.abs(onnx.embeddings - ref.encode(texts)).max())]
    print(f"pq16@64 in Chromium: flat {diffs[0]:.3g}, onnx {diffs[1]:.3g} (max|diff| vs Python flat)")
    assert max(diffs) <= 1e-5


@pytest.mark.browser
@needs_browser
def test_hostile_strings_are_shown_as_text(browser_runs):
    _, reports, _ = browser_runs
    for name in ("hostile", "demo"):
        rep = reports[name]
        assert rep.dialogs == [] and rep.problems == []
        assert rep.dom["imgs"] == 0, "no element was created from user or corpus text"
        assert HOSTILE in rep.dom["text"], "the string is displayed literally"
    hostile = reports["hostile"]
    assert hostile.dom["results"][0]["index"] == 0 and hostile.dom["results"][0]["score"] == pytest.approx(1.0, abs=2e-3)
    assert "<script>alert('x')</script> scripts in a corpus" in hostile.dom["text"]
    assert hostile.dom["cells"] == 9
    after = hostile.dom_after_switch  # the backend switch redoes search and grid with onnxruntime-web
    assert after["panel"]["backend"].startswith("onnx") and after["panel"]["query latency"].endswith("(onnx)")
    assert [r["index"] for r in after["results"]] == [r["index"] for r in hostile.dom["results"]]
    assert after["imgs"] == 0 and after["cells"] == 9
    assert after["panel"]["workers"] == "–"  # onnx: wasm threads, no flat workers


@pytest.mark.browser
@needs_browser
def test_demo_search_panel_and_screenshot(browser_runs):
    dirs, reports, shot = browser_runs
    rep = reports["demo"]
    # search: the page's ranking is Python's over the stored corpus vectors
    vecs = corpus_vectors(dirs["fp32"])
    q = exporter.load(dirs["fp32"]).encode(["how do I catch an exception?"])[0].astype(np.float64)
    scores = vecs @ (q / np.linalg.norm(q))
    got = [r["index"] for r in rep.dom["results"]]
    assert got == rep.search_top and len(got) == 6
    np.testing.assert_allclose([r["score"] for r in rep.dom["results"]], scores[got], atol=6e-4)
    assert scores[got[-1]] >= np.sort(scores)[-6] - 1e-6
    assert any("except" in r["title"] or "try" in r["title"] for r in rep.dom["results"])
    assert rep.dom["cells"] == len(SENTENCES) ** 2
    panel = rep.dom["panel"]
    assert panel["backend"].startswith("flat") and panel["dims"] == "256" and panel["quant"] == "fp32"
    assert re.fullmatch(r"[\d.]+ (KiB|MiB)", panel["bytes fetched"]) and panel["load time"].endswith("ms")
    assert panel["query latency"].endswith("ms (flat)") and re.fullmatch(
        r"lazy: \d+ of [\d,]+ shards \([\d.]+ [KM]iB\)|whole: model.edgembed after \d+ shards \([\d.]+ MiB\)", panel["rows"])
    assert re.fullmatch(r"1 \(this thread\)|[234] \(≥ 64 texts\)", panel["workers"]) and panel["threads"] == "1"
    assert not any(u.endswith("/flat_worker.mjs") for u in rep.requests), "a query and a 6-line grid never start the pool"
    assert shot.is_file() and shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.browser
@needs_browser
def test_weak_matches_look_weak(browser_runs):
    """An unrelated query: every result under the export's weak-match line is dimmed and labelled, and a line says
    nothing close was found. A related query: its best results are shown plainly, with no such line."""
    dirs, reports, _ = browser_runs
    line = json.loads((dirs["fp32"] / "demo/corpus.json").read_text(encoding="utf-8"))["weak"]["weak_below"]
    bad, good = reports["unrelated"], reports["demo"]
    assert bad.problems == [] and len(bad.dom["results"]) == 6
    assert all(r["weak"] and r["tag"] == "weak match" and r["opacity"] < 1 and r["score"] < line for r in bad.dom["results"])
    top = bad.dom["results"][0]["score"]
    assert bad.dom["weakNote"] == (f"Nothing close to this query here: the best match scores {top:.3f}, below the "
                                   f"weak-match line {line:.2f}. The nearest passages, for what they are worth:")
    assert good.dom["weakNote"] is None and "Nothing close" not in good.dom["text"]
    assert not good.dom["results"][0]["weak"] and good.dom["results"][0]["tag"] is None and good.dom["results"][0]["opacity"] == 1
    for r in good.dom["results"]:  # the label follows the line exactly
        assert r["weak"] == (r["score"] < line) or abs(r["score"] - line) < 1e-3, r
    weak_shot = ARTIFACTS / "demo-weak.png"  # docs/demo-weak.png is a copy
    assert weak_shot.is_file() and weak_shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"line {line}: '{UNRELATED}' top {top}, '{RELATED}' {[r['score'] for r in good.dom['results']]}")


@pytest.mark.browser
@needs_browser
def test_demo_without_rows_asks_for_no_missing_file(distilled_dir, tmp_path):
    """An export made with --no-rows has no rows/: its demo asks for nothing it lacks (no 404: the page lets its preload
    links, which name the export's own files, start the model's files, not load()'s guesses), and still searches."""
    from exporter.proof.browser import PageSpec, browser_run

    out = tmp_path / "norows"
    export(distilled_dir, out, quant="int8", demo=True, rows=False)
    assert not (out / "rows").exists()
    [rep] = browser_run([PageSpec(out, "flat", query=RELATED, name="norows")])
    assert rep.problems == [], rep.problems
    assert not any("/rows/" in u for u in rep.requests), [u for u in rep.requests if "/rows/" in u]
    assert any(u.endswith("/model.edgembed") for u in rep.requests)
    q = exporter.load(out).encode([RELATED])[0].astype(np.float64)
    scores = corpus_vectors(out) @ (q / np.linalg.norm(q))
    assert len(rep.search_top) == 6 and scores[rep.search_top[-1]] >= np.sort(scores)[-6] - 1e-6


@pytest.mark.browser
@needs_browser
def test_browser_embed_api(distilled_dir, texts, tmp_path):
    """The Python API the parity command uses: fp16 export, flat backend only; bad backend is a one-line error."""
    from exporter.proof.browser import browser_embed

    out = tmp_path / "exp"
    export(distilled_dir, out, quant="fp16", dims=128, demo=True)
    got = browser_embed(out, texts, backends=("flat",))
    assert set(got) == {"flat"} and got["flat"].shape == (len(texts), 128)
    assert np.abs(got["flat"] - exporter.load(out, backend="flat").encode(texts)).max() <= 1e-5
    with pytest.raises(EdgembedError, match="unknown browser backend"):
        browser_embed(out, texts, backends=("torch",))
    nodemo = tmp_path / "nodemo"
    export(distilled_dir, nodemo, quant="int8", dims=16, demo=False)
    with pytest.raises(EdgembedError, match="no web demo"):
        browser_embed(nodemo, ["a"])
