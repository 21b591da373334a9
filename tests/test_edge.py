"""``--target edge``: one exported worker, run unchanged in workerd (miniflare), Deno and Bun, answers /embed and
the OpenAI embeddings API like the Python flat backend, and refuses bad requests with JSON errors."""

from __future__ import annotations

import base64
import importlib.util
import contextlib
import io
import json
import os
import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from exporter.targets import edge
from exporter.proof import edge_runtimes
from exporter.runtimes.backends import load
from exporter.cli import main
from exporter.errors import EdgembedError
from exporter.pipeline import export, parse_targets
from exporter.formats.flat import read_flat
from exporter.formats.quantize import dequantize_rows
from exporter.texts import hostile_texts
from exporter.sources.tokenizer import encode_ids, load_tokenizer
from exporter.targets.web import model_name
from tests.conftest import WEB

ORIGIN = "https://app.example"
DIMS, QUANT = 128, "int4"
# The hostile and load runs are seeded: the seed is printed (and in every failure message); set it to replay one.
SEED = int(os.environ.get("EDGEMBED_FUZZ_SEED") or random.SystemRandom().randrange(1 << 31))
HOSTILE_KINDS = {"malformed-json", "empty-body", "not-an-object", "not-utf8", "wrong-type", "valid", "token-ids",
                 "boundary", "oversized", "method", "path", "nesting", "content-type", "hostile-text", "bom"}

# Held out: not in exporter/texts.py.
HELD_OUT = [
    "[CLS] [SEP] [MASK] [UNK] [PAD] typed as text",
    "x" * 5000,  # one word longer than WordPiece's max_input_chars_per_word
    "Привет мир, Γειά σου κόσμε, नमस्ते दुनिया, สวัสดีชาวโลก",
    "line\u2028separator\u2029paragraph and \"quotes\" 'single' `back` {\"json\": [1, 2]}",
    "C:\\Windows\\System32 /usr/bin/env python3 ~/.cache && echo $HOME | grep -v 'x'",
    "½ ¼ ¾ ™ © ® № ℃ ㎏ ＡＢＣ ｱｲｳ",
    "🎉🎉🎉",
    "The cat sat on the mat. " * 300,
]


@pytest.fixture(scope="module")
def edge_export(distilled_dir, tmp_path_factory) -> dict:
    """One `edgembed export --target edge` folder (int4@128, a configured CORS origin) and what the CLI printed."""
    out = tmp_path_factory.mktemp("edge") / "export"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["export", str(distilled_dir), "--dims", str(DIMS), "--quant", QUANT, "--no-demo",
                     "--target", "edge", "--cors-origin", ORIGIN, "--out", str(out)])
    assert code == 0, stderr.getvalue()
    return {"dir": out, "stdout": stdout.getvalue(), "stderr": stderr.getvalue(),
            "manifest": json.loads((out / "manifest.json").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def reference(edge_export):
    """The Python flat backend of the same export."""
    return load(edge_export["dir"], backend="flat")


@pytest.fixture(scope="module", params=edge_runtimes.RUNTIMES)
def server(request, edge_export):
    """The worker running in one runtime, started once per module."""
    reason = edge_runtimes.missing(request.param)
    if reason:
        pytest.skip(reason)
    srv = edge_runtimes.start(request.param, edge_export["dir"] / "edge")
    yield srv
    srv.stop()


def call(srv, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict, object]:
    data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode("utf-8")
    status, h, raw = edge_runtimes.request(srv.url + path, method, data, headers)
    return status, h, (json.loads(raw) if raw else None)


def post_embed(srv, texts: list[str]) -> np.ndarray:
    status, _, res = call(srv, "POST", "/embed", {"texts": texts})
    assert status == 200, res
    assert res["dims"] == DIMS
    return np.asarray(res["embeddings"], dtype=np.float32).reshape(len(texts), DIMS)


def truncated(ref: np.ndarray, dims: int, normalize: bool) -> np.ndarray:
    out = ref[:, :dims].copy()
    if normalize:
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), np.float32(1e-12))
    return out


# --- the export ---------------------------------------------------------------------------------------------


def test_edge_folder_is_self_contained_modules(edge_export):
    out, man = edge_export["dir"], edge_export["manifest"]
    assert man["files"]["edge"] == "edge/worker.mjs"
    assert all(f"edge/{p}" in man["sha256"] for p in ("worker.mjs", "model.mjs", "data/flat.mjs", "wrangler.toml"))
    root = (out / "edge").resolve()
    for mod in root.rglob("*.mjs"):
        text = edge._code(mod.read_text(encoding="utf-8"))  # // comment lines blanked
        dynamic = re.findall(r"\bimport\s*\(\s*(?:/\*.*?\*/\s*)*([^)]*)\)", text)
        assert all(re.fullmatch(r"""(["'])\./[\w.]+\1""", d.strip()) for d in dynamic), (mod.name, dynamic)  # no import(variable)
        for spec in re.findall(r"""(?:\bfrom\s*|\bimport\s*\(\s*|^import\s*)["']([^"']+)["']""", text, re.M):
            assert spec.startswith("./") or spec.startswith("../"), f"{mod.name} imports {spec}"
            assert "onnxruntime" not in spec
            target = (mod.parent / spec).resolve()
            assert target.is_file() and root in target.parents, f"{mod.name} imports {spec} outside edge/"
    names = {p.name for p in root.rglob("*.mjs")}
    assert not names & {"onnx.mjs", "pool.mjs", "flat_worker.mjs"}
    assert "export default" in (root / "worker.mjs").read_text(encoding="utf-8")
    toml = (root / "wrangler.toml").read_text(encoding="utf-8")
    assert re.search(r'^name = "edgembed-[a-z0-9-]+"$', toml, re.M) and 'main = "worker.mjs"' in toml
    assert re.search(r'^compatibility_date = "\d{4}-\d\d-\d\d"$', toml, re.M)
    assert "deno serve" in (root / "README.md").read_text(encoding="utf-8")
    assert f'"corsOrigin": "{ORIGIN}"' in (root / "model.mjs").read_text(encoding="utf-8")


def test_int4_128_worker_fits_the_free_plan(edge_export):
    size = edge.gzip_size(edge_export["dir"] / "edge")
    assert 500_000 < size <= 3 * 2**20
    assert f"edge worker: {size:,} bytes gzipped" in edge_export["stdout"]
    assert "warning" not in edge_export["stderr"]


def test_size_warnings(edge_export, monkeypatch):
    monkeypatch.setattr(edge, "FREE_LIMIT", 1000)
    assert "3 MiB free-plan" in edge.size_report(edge_export["dir"])[1]
    monkeypatch.setattr(edge, "PAID_LIMIT", 2000)
    assert "10 MiB paid-plan" in edge.size_report(edge_export["dir"])[1]


def test_targets_combine_and_default_cors(distilled_dir, tmp_path):
    assert parse_targets(None) == ["web"] and parse_targets("mobile") == ["mobile"]
    assert parse_targets("mobile,edge") == parse_targets(["mobile", "edge"]) == ["mobile", "edge"]
    with pytest.raises(EdgembedError, match="unknown --target 'phone'"):
        parse_targets(["edge", "phone"])
    man = export(distilled_dir, tmp_path / "both", dims=32, quant="int8", target=["mobile,edge"], demo=False)
    assert man["files"]["edge"] == "edge/worker.mjs" and man["files"]["ort"] == "mobile/model.ort"
    assert '"corsOrigin": "*"' in (tmp_path / "both" / "edge" / "model.mjs").read_text(encoding="utf-8")


@pytest.mark.parametrize("argv,needle", [
    (["--target", "edge,cloud"], "unknown --target 'cloud'"),
    (["--target", "edge", "--cors-origin", "not an origin"], "--cors-origin must be"),
])
def test_cli_bad_edge_options(distilled_dir, tmp_path, capsys, argv, needle):
    out = tmp_path / "out"
    code = main(["export", str(distilled_dir), "--no-demo", "--out", str(out), *argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("edgembed: error: ") and needle in err[0]
    assert not out.exists()


# --- the three runtimes -------------------------------------------------------------------------------------


def test_info(server, edge_export):
    status, h, info = call(server, "GET", "/")
    man = edge_export["manifest"]
    assert status == 200 and h["content-type"].startswith("application/json")
    assert (info["dims"], info["quant"], info["normalize"], info["vocab_size"]) == (DIMS, QUANT, man["normalize"], man["vocab_size"])
    assert info["name"] == model_name(man) and info["limits"] == {"max_texts": edge.MAX_TEXTS, "max_bytes": edge.MAX_BYTES,
                                                                  "max_depth": edge.MAX_DEPTH}
    assert "path" not in info["source"]


def test_embed_matches_python_flat(server, reference):
    texts = hostile_texts() + HELD_OUT
    got = post_embed(server, texts)
    ref = reference.encode(texts)
    assert np.abs(got - ref).max() <= 1e-5
    assert not got[0].any() and not got[1].any() and np.abs(got[3]).max() > 0  # empty/blank -> zeros
    assert post_embed(server, []).shape == (0, DIMS)


def test_cors(server):
    status, h, _ = call(server, "OPTIONS", "/v1/embeddings", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
    assert status == 204 and h["access-control-allow-origin"] == ORIGIN
    assert "POST" in h["access-control-allow-methods"] and "authorization" in h["access-control-allow-headers"]
    status, h, _ = call(server, "POST", "/embed", {"texts": ["a"]}, headers={"Origin": ORIGIN})
    assert status == 200 and h["access-control-allow-origin"] == ORIGIN


BAD_EMBED = [
    ("POST", "/embed", b"{not json", 400),
    ("POST", "/embed", b"", 400),
    ("POST", "/embed", b'{"texts": ["caf\xe9"]}', 400),  # not UTF-8
    ("POST", "/embed", [1, 2], 400),
    ("POST", "/embed", b"null", 400),
    ("POST", "/embed", b"[" * 100_000 + b"]" * 100_000, 400),
    ("POST", "/embed", {"text": ["a"]}, 400),
    ("POST", "/embed", {"texts": "a"}, 400),
    ("POST", "/embed", {"texts": ["a", None]}, 400),
    ("POST", "/embed", {"texts": [["a"]]}, 400),
    ("GET", "/embed", None, 405),
    ("PUT", "/", b"{}", 405),
    ("POST", "/", {"texts": ["a"]}, 405),
    ("GET", "/embeddings", None, 404),
    ("POST", "/v2/embed", {"texts": ["a"]}, 404),
    ("POST", "/embed", {"texts": ["a"] * (edge.MAX_TEXTS + 1)}, 413),
    ("POST", "/embed", {"texts": ["word " * (edge.MAX_BYTES // 5)]}, 413),
]


@pytest.mark.parametrize("method,path,body,code", BAD_EMBED, ids=[f"{i}-{c[0]}{c[1]}-{c[3]}" for i, c in enumerate(BAD_EMBED)])
def test_embed_bad_requests(server, method, path, body, code):
    status, h, res = call(server, method, path, body)
    assert status == code, res
    assert isinstance(res["error"], str) and res["error"] and "\n" not in res["error"] and ".mjs" not in res["error"]
    assert h["access-control-allow-origin"] == ORIGIN and h["content-type"].startswith("application/json")
    if code == 405:
        assert "POST" in h["allow"] or "GET" in h["allow"]


def test_odd_but_valid_input_is_not_an_error(server):
    """Lone surrogates (valid JSON, not valid Unicode), NUL, a BOM before the JSON: answers, never a 500."""
    status, _, res = call(server, "POST", "/embed", b'{"texts": ["\\ud800", "a\\udc00b", "a\\u0000b"]}')
    assert status == 200 and len(res["embeddings"]) == 3
    status, _, res = call(server, "POST", "/embed", b'\xef\xbb\xbf{"texts": ["bom"]}')
    assert status == 200 and len(res["embeddings"]) == 1
    status, _, res = call(server, "POST", "/v1/embeddings", {"input": [[]], "dimensions": None})
    assert status == 200 and res["usage"]["prompt_tokens"] == 0 and not any(res["data"][0]["embedding"])


def test_empty_list_is_an_empty_batch(server, edge_export):
    """The decided rule (docs/edge.md): [] is a batch of nothing on both endpoints (OpenAI answers 400)."""
    assert call(server, "POST", "/embed", {"texts": []})[2] == {"embeddings": [], "dims": DIMS}
    status, _, res = call(server, "POST", "/v1/embeddings", {"input": [], "model": "m"})
    assert status == 200 and res == {"object": "list", "data": [], "model": "m",
                                      "usage": {"prompt_tokens": 0, "total_tokens": 0}}


BAD_OPENAI = [
    ({}, 400, "input"),
    ({"input": 5}, 400, "input"),
    ({"input": ["a", 1]}, 400, "input"),
    ({"input": [[1, 2], "a"]}, 400, "input"),
    ({"input": [1, 10**6]}, 400, "input"),
    ({"input": [[5], [-1]]}, 400, "input"),
    ({"input": [2.5]}, 400, "input"),
    ({"input": "a", "dimensions": 0}, 400, "dimensions"),
    ({"input": "a", "dimensions": DIMS + 1}, 400, "dimensions"),
    ({"input": "a", "dimensions": "64"}, 400, "dimensions"),
    ({"input": "a", "encoding_format": "int8"}, 400, "encoding_format"),
    ({"input": "a", "model": 7}, 400, "model"),
    ({"input": ["a"] * (edge.MAX_TEXTS + 1)}, 413, "input"),
]


@pytest.mark.parametrize("body,code,param", BAD_OPENAI, ids=[str(i) for i in range(len(BAD_OPENAI))])
def test_openai_bad_requests(server, body, code, param):
    status, _, res = call(server, "POST", "/v1/embeddings", body)
    assert status == code, res
    err = res["error"]
    assert set(err) == {"message", "type", "param", "code"} and err["param"] == param
    assert err["type"] == "invalid_request_error" and isinstance(err["message"], str) and "\n" not in err["message"]


@pytest.mark.parametrize("method,path,body,code", [
    ("GET", "/v1/embeddings", None, 405), ("POST", "/v1/embedding", {"input": "a"}, 404),
    ("POST", "/v1/embeddings", b"{", 400), ("POST", "/v1/embeddings", b"x" * (edge.MAX_BYTES + 1), 413),
], ids=["405", "404", "400", "413"])
def test_openai_error_shape_for_http_errors(server, method, path, body, code):
    status, _, res = call(server, method, path, body)
    assert status == code and set(res["error"]) == {"message", "type", "param", "code"}


def test_openai_wire_format(server, reference, edge_export):
    texts = ["A man is playing a guitar.", "", "静的埋め込みモデル", HELD_OUT[0]]
    status, _, res = call(server, "POST", "/v1/embeddings", {"input": texts, "model": "my-model", "encoding_format": "base64"})
    assert status == 200, res
    assert res["object"] == "list" and res["model"] == "my-model"
    assert [d["index"] for d in res["data"]] == list(range(len(texts))) and {d["object"] for d in res["data"]} == {"embedding"}
    got = np.stack([np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4") for d in res["data"]])
    assert np.abs(got - reference.encode(texts)).max() <= 1e-5
    n = sum(map(len, encode_ids(reference.tokenizer, texts)))
    assert n > 0 and res["usage"] == {"prompt_tokens": n, "total_tokens": n}
    status, _, res = call(server, "POST", "/v1/embeddings", {"input": "a cat"})
    assert status == 200 and isinstance(res["data"][0]["embedding"], list) and res["model"] == model_name(edge_export["manifest"])


# --- hostile requests and load -----------------------------------------------------------------------------

node_only = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def run_node(script: str, *args, timeout: float = 180) -> None:
    proc = subprocess.run([shutil.which("node"), str(WEB / "scripts" / script), *map(str, args)],
                          cwd=WEB, capture_output=True, text=True, timeout=timeout)
    print(proc.stdout)
    assert proc.returncode == 0, proc.stderr[-2000:]


@node_only
def test_hostile_requests(server, tmp_path):
    """Several hundred seeded hostile requests (web/scripts/edge_cases.mjs: every malformed kind and the
    boundaries) over keep-alive connections: exact status, JSON, OpenAI's error shape under /v1/, CORS, no stack
    or path in any body, no connection reset; the worker answers the same afterwards and never logged a failure."""
    print(f"hostile requests: seed {SEED}")
    run_node("edge_hostile.mjs", server.url, SEED, ORIGIN, tmp_path / "out.json")
    res = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert res["seed"] == SEED and res["cases"] >= 300 and set(res["kinds"]) == HOSTILE_KINDS
    assert res["failures"] == [] and res["connection_errors"] == 0, (SEED, res["failures"][:10], res["socket_errors"][:5])
    assert res["after"] == {"info": 200, "same_vector": True}, SEED
    assert "edgembed worker:" not in server.log_tail(100_000), server.log_tail()  # no request reached the 500 path


@node_only
def test_load_keep_alive_mixed(server, tmp_path):
    """32 keep-alive clients (Node's http.Agent, no retries) for a few seconds, valid and invalid requests mixed:
    every status as expected, no connection error, every vector bit-identical to the one before the load."""
    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir

    texts = load_beir(DATA / "cranfield").doc_texts[:40] + hostile_texts()[:8] + HELD_OUT[:4]
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    print(f"load: seed {SEED}")
    run_node("edge_load.mjs", server.url, tmp_path / "texts.json", 4, 32, SEED, tmp_path / "out.json")
    res = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert res["requests"] >= 200 and set(res["statuses"]) == {"200", "400", "404", "405", "413"}, res
    assert res["unexpected_count"] == 0 and res["connection_errors"] == 0, (SEED, res["unexpected"][:5])
    assert res["mismatched_vectors"] == 0 and res["after_mismatched"] == 0, SEED


# --- the official openai client ------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("node") is None or not (WEB / "node_modules" / "openai").is_dir(),
                    reason="node or web/node_modules/openai missing (cd web && npm ci)")
def test_openai_client(server, reference, edge_export, tmp_path):
    texts = hostile_texts()[:6] + HELD_OUT[:3]
    man = edge_export["manifest"]
    tok = load_tokenizer((edge_export["dir"] / "tokenizer.json").read_text(encoding="utf-8"))
    ids = encode_ids(tok, texts[3:6])
    raw_ids = [0, 5, 1000, man["vocab_size"] - 1, 1000]  # any ids, repeated ones too
    cases = [
        ("one string", {"model": "m", "input": texts[3]}),
        ("list, default (base64 on the wire)", {"model": "m", "input": texts}),
        ("list, float", {"model": "m", "input": texts, "encoding_format": "float"}),
        ("list, base64", {"model": "m", "input": texts, "encoding_format": "base64"}),
        ("dimensions", {"model": "m", "input": texts, "dimensions": 48}),
        ("dimensions, float", {"model": "m", "input": texts[3:5], "dimensions": 1, "encoding_format": "float"}),
        ("token ids", {"model": "m", "input": ids}),
        ("one token-id list", {"model": "m", "input": raw_ids, "dimensions": 64}),
        ("id outside the vocab", {"model": "m", "input": [[1, man["vocab_size"]]]}),
    ]
    (tmp_path / "cases.json").write_text(json.dumps([{"name": n, "params": p} for n, p in cases]), encoding="utf-8")
    proc = subprocess.run([shutil.which("node"), str(WEB / "scripts" / "edge_openai.mjs"), server.url + "/v1",
                           str(tmp_path / "cases.json"), str(tmp_path / "out.json")],
                          cwd=WEB, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = {r["name"]: r for r in json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))}
    ref = reference.encode(texts)
    table = read_flat(edge_export["dir"] / "model.edgembed").table
    raw_ref = dequantize_rows(table, np.asarray(raw_ids)).mean(axis=0, keepdims=True, dtype=np.float32)
    expect = {
        "one string": ref[3:4], "list, default (base64 on the wire)": ref, "list, float": ref, "list, base64": ref,
        "dimensions": truncated(ref, 48, man["normalize"]), "dimensions, float": truncated(ref[3:5], 1, man["normalize"]),
        "token ids": ref[3:6], "one token-id list": truncated(raw_ref, 64, man["normalize"]),
    }
    types = {"list, float": "array", "list, base64": "base64"}
    for name, want in expect.items():
        r = res[name]
        assert r["ok"], (name, r)
        got = np.asarray([d["embedding"] for d in r["data"]], dtype=np.float32)
        assert got.shape == want.shape, name
        assert np.abs(got - want).max() <= 1e-5, name
        assert r["model"] == "m" and [d["index"] for d in r["data"]] == list(range(len(want)))
        if name in types:
            assert r["type"] == types[name], (name, r["type"])
    n = sum(map(len, ids))
    assert res["token ids"]["usage"] == {"prompt_tokens": n, "total_tokens": n}
    bad = res["id outside the vocab"]
    assert not bad["ok"] and bad["status"] == 400 and bad["error"]["param"] == "input"


@pytest.mark.skipif(importlib.util.find_spec("openai") is None, reason="the Python openai package is not installed")
def test_python_openai_client(server, reference, edge_export):
    """The official Python `openai` client, unmodified but for base_url, gets the Python flat backend's vectors."""
    from openai import BadRequestError, OpenAI

    man = edge_export["manifest"]
    client = OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0, timeout=60)
    texts = hostile_texts()[:6] + HELD_OUT[:3]
    ref = reference.encode(texts)
    ids = encode_ids(reference.tokenizer, texts[3:6])
    cases = {
        "list (client default)": (client.embeddings.create(model="m", input=texts), ref),
        "one string, float": (client.embeddings.create(model="m", input=texts[3], encoding_format="float"), ref[3:4]),
        "base64": (client.embeddings.create(model="m", input=texts, encoding_format="base64"), ref),
        "dimensions": (client.embeddings.create(model="m", input=texts, dimensions=32), truncated(ref, 32, man["normalize"])),
        "token ids": (client.embeddings.create(model="m", input=ids), ref[3:6]),
    }
    for name, (res, want) in cases.items():
        got = np.asarray([d.embedding if isinstance(d.embedding, list)
                          else np.frombuffer(base64.b64decode(d.embedding), dtype="<f4") for d in res.data], dtype=np.float32)
        assert got.shape == want.shape and np.abs(got - want).max() <= 1e-5, name
        assert res.model == "m" and [d.index for d in res.data] == list(range(len(want))), name
    n = sum(map(len, ids))
    assert cases["token ids"][0].usage.prompt_tokens == n == cases["token ids"][0].usage.total_tokens
    with pytest.raises(BadRequestError) as err:
        client.embeddings.create(model="m", input=[[1, man["vocab_size"]]])
    assert err.value.status_code == 400 and err.value.body["param"] == "input"


@pytest.fixture(scope="module")
def unigram_edge(unigram_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edge-unigram") / "export"
    export(unigram_dir, out, quant="int8", target="edge", demo=False)
    return out


@pytest.mark.parametrize("runtime", edge_runtimes.RUNTIMES)
def test_non_wordpiece_tokenizer_runs_at_the_edge(runtime, unigram_edge):
    """A Unigram tokenizer takes the library path: the worker bundles @huggingface/tokenizers (a plain ES module)
    and embeds like the Python flat backend on held-out English text (equality on any text is not proven there)."""
    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir

    reason = edge_runtimes.missing(runtime)
    if reason:
        pytest.skip(reason)
    assert (unigram_edge / "edge" / "vendor" / "tokenizers.min.mjs").is_file()
    texts = load_beir(DATA / "cranfield").doc_texts[300:320] + ["", "boundary layer"]
    srv = edge_runtimes.start(runtime, unigram_edge / "edge")
    try:
        status, _, res = call(srv, "POST", "/embed", {"texts": texts})
    finally:
        srv.stop()
    assert status == 200, res
    got = np.asarray(res["embeddings"], dtype=np.float32)
    assert np.abs(got - load(unigram_edge, backend="flat").encode(texts)).max() <= 1e-5
