"""An export folder loads in transformers.js (Node, offline) and gives the reference embeddings."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from exporter.runtimes.backends import load
from exporter.pipeline import export
from tests.conftest import WEB, node_marks, st_encode

SCRIPT = WEB / "scripts" / "transformersjs_embed.mjs"
NODE = shutil.which("node")

pytestmark = node_marks("@huggingface/transformers")


def run_transformersjs(folder: Path, batches: list[list[str]], tmp: Path) -> list[dict]:
    """One Node process: load the pipeline from FOLDER, run one pipeline call per batch."""
    (tmp / "in.json").write_text(json.dumps({"batches": batches}), encoding="utf-8")
    proc = subprocess.run([NODE, str(SCRIPT), str(folder), str(tmp / "in.json"), str(tmp / "out.json")],
                          cwd=WEB, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((tmp / "out.json").read_text(encoding="utf-8"))["results"]


@pytest.fixture(scope="module", params=["fp32", "int8", "pq64"])
def tjs_case(request, distilled_dir, tmp_path_factory):
    """Export (no demo) + one transformers.js run over: the non-empty hostile texts, [''], ['', 'a', '']."""
    from exporter.texts import hostile_texts

    tmp = tmp_path_factory.mktemp(f"tjs-{request.param}")
    folder = tmp / "export"
    export(distilled_dir, folder, quant=request.param, demo=False)
    texts = hostile_texts()
    non_empty = [t for t in texts if t]
    results = run_transformersjs(folder, [non_empty, [""], ["", "a", ""]], tmp)
    return request.param, folder, non_empty, results, distilled_dir


def test_hf_files_written(tjs_case):
    _quant, folder, _texts, _results, _m = tjs_case
    man = json.loads((folder / "manifest.json").read_text())
    assert man["files"]["hf_config"] == "config.json" and man["files"]["hf_tokenizer_config"] == "tokenizer_config.json"
    cfg = json.loads((folder / "config.json").read_text())
    assert cfg["hidden_size"] == man["dims"] and cfg["transformers.js_config"]["dtype"] == "fp32"
    assert "config.json" in man["sha256"] and "tokenizer_config.json" in man["sha256"]


def _onnx_on_ids(folder: Path, ids: list[list[int]]) -> np.ndarray:
    """The exported graph on given token ids (one padded batch)."""
    import onnxruntime as ort

    width = max(1, max(map(len, ids)))
    inp = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros_like(inp)
    for i, row in enumerate(ids):
        inp[i, : len(row)], mask[i, : len(row)] = row, 1
    sess = ort.InferenceSession(str(folder / "onnx" / "model.onnx"), providers=["CPUExecutionProvider"])
    return sess.run(["sentence_embedding"], {"input_ids": inp, "attention_mask": mask})[0]


def test_matches_python_onnx(tjs_case):
    """The graph works in transformers.js exactly (its output = onnxruntime on the ids it fed, every text), and
    where transformers.js' own JS tokenizer gives Python's ids (all the ASCII texts), it equals Python.

    transformers.js' tokenizer is not edgembed's: on some Unicode text (astral CJK, marks newer than the Rust
    library's tables, Greek final sigma, dotted I) its ids differ from Python's. That is a limit of that library,
    printed here and stated in the README, not of the export."""
    quant, folder, texts, results, model_dir = tjs_case
    assert "error" not in results[0], results[0]
    got = np.asarray(results[0]["embeddings"], dtype=np.float32)
    assert got.shape == (len(texts), 256)
    assert np.abs(got - _onnx_on_ids(folder, results[0]["ids"])).max() <= 1e-5
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    py_ids = encode_ids(load_tokenizer((folder / "tokenizer.json").read_text(encoding="utf-8")), texts)
    same = [i for i, (a, b) in enumerate(zip(results[0]["ids"], py_ids)) if a == b]
    differ = [texts[i][:40] for i in range(len(texts)) if i not in same]
    print(f"{quant}: transformers.js' tokenizer differs from Python on {len(differ)} of {len(texts)} texts: {differ}")
    assert all(i in same for i, t in enumerate(texts) if t.isascii())
    ref = load(folder, backend="onnx").encode(texts)
    assert np.abs(got[same] - ref[same]).max() <= 1e-5
    if quant == "fp32":  # and the ground truth itself
        assert np.abs(got[same] - st_encode(model_dir, [texts[i] for i in same], 256)).max() <= 1e-5


def test_empty_text_gives_zero_vector(tjs_case):
    """Documented behaviour: an empty text (alone or inside a batch) is the zero vector, like the reference."""
    _quant, folder, _texts, results, _m = tjs_case
    alone, mixed = results[1], results[2]
    assert alone["dims"] == [1, 256] and not np.asarray(alone["embeddings"]).any()
    got = np.asarray(mixed["embeddings"], dtype=np.float32)
    assert mixed["dims"] == [3, 256] and not got[[0, 2]].any()
    ref = load(folder, backend="onnx").encode(["", "a", ""])
    assert np.abs(got - ref).max() <= 1e-5 and np.abs(got[1]).max() > 0
