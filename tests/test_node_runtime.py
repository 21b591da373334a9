"""The plain-JS runtime (web/runtime) runs unchanged in Node.js, with no DOM and no fetch, and matches the
Python flat backend on the hostile text set."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from exporter.runtimes.backends import load
from exporter.pipeline import export
from tests.conftest import WEB, node_marks

SCRIPT = WEB / "scripts" / "node_embed.mjs"
NODE = shutil.which("node")

pytestmark = node_marks("@huggingface/tokenizers")


def node_embed(folder: Path, texts: list[str], tmp: Path, backend: str = "flat") -> dict:
    (tmp / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    out = tmp / f"out-{backend}.json"
    proc = subprocess.run([NODE, str(SCRIPT), str(folder), str(tmp / "texts.json"), str(out), backend],
                          cwd=WEB, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("quant,dims", [("fp32", 256), ("int8", 256), ("int4", 256), ("int4", 77), ("fp16", 128), ("pq16", 64)])
def test_node_flat_matches_python(quant, dims, distilled_dir, texts, tmp_path):
    folder = tmp_path / "export"
    export(distilled_dir, folder, dims=dims, quant=quant, demo=False)
    res = node_embed(folder, texts, tmp_path)
    got = np.asarray(res["embeddings"], dtype=np.float32)
    ref = load(folder, backend="flat").encode(texts)
    assert res["info"]["quant"] == quant and res["info"]["dims"] == dims
    assert got.shape == ref.shape == (len(texts), dims)
    assert np.abs(got - ref).max() <= 1e-5
    assert not got[0].any() and np.abs(got[3]).max() > 0  # empty text -> zero; a sentence -> not


def test_node_onnx_backend_matches_python(distilled_dir, texts, tmp_path):
    folder = tmp_path / "export"
    export(distilled_dir, folder, quant="int4", demo=False)
    got = np.asarray(node_embed(folder, texts, tmp_path, backend="onnx")["embeddings"], dtype=np.float32)
    assert np.abs(got - load(folder, backend="onnx").encode(texts)).max() <= 1e-5


def test_node_reports_corrupt_flat_file(distilled_dir, texts, tmp_path):
    folder = tmp_path / "export"
    export(distilled_dir, folder, dims=32, quant="int8", demo=False)
    flat = folder / "model.edgembed"
    flat.write_bytes(flat.read_bytes()[:1000])  # truncated
    (tmp_path / "texts.json").write_text(json.dumps(["a"]), encoding="utf-8")
    proc = subprocess.run([NODE, str(SCRIPT), str(folder), str(tmp_path / "texts.json"), str(tmp_path / "o.json")],
                          cwd=WEB, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "truncated or corrupt" in proc.stderr
    assert not (tmp_path / "o.json").exists()
