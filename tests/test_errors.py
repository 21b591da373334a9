"""Bad input: a one-line error naming the problem, exit code 2, no traceback, nothing half-written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from exporter.cli import main


def run_cli(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgembed: error: "), err
    return lines[0]


@pytest.fixture()
def small_model(distilled_dir, tmp_path):
    """A writable copy of the distilled model (model2vec layout)."""
    dst = tmp_path / "model"
    shutil.copytree(distilled_dir, dst)
    return dst


def _save_table(model_dir, table):
    from safetensors.numpy import save_file

    save_file({"embeddings": table}, str(model_dir / "model.safetensors"))


def _table(model_dir):
    from safetensors.numpy import load_file

    return load_file(str(model_dir / "model.safetensors"))["embeddings"]


def test_missing_path(capsys, tmp_path):
    assert "does not exist" in run_cli(capsys, "export", tmp_path / "nope", "--out", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_folder_without_model(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    assert "no static embedding model" in run_cli(capsys, "export", tmp_path / "empty", "--out", tmp_path / "o")


def test_truncated_safetensors(capsys, small_model, tmp_path):
    f = small_model / "model.safetensors"
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    assert "corrupt" in run_cli(capsys, "export", small_model, "--out", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_garbage_safetensors(capsys, small_model, tmp_path):
    (small_model / "model.safetensors").write_bytes(b"\x00garbage" * 10)
    assert "corrupt" in run_cli(capsys, "export", small_model, "--out", tmp_path / "o")


def test_corrupt_modules_json(capsys, small_model, tmp_path):
    (small_model / "modules.json").write_text('[{"idx": 0, "type": ')
    assert "modules.json is not valid JSON" in run_cli(capsys, "export", small_model, "--out", tmp_path / "o")


def test_rows_not_vocab(capsys, small_model, tmp_path):
    _save_table(small_model, _table(small_model)[:-5])
    assert "!= tokenizer vocab size" in run_cli(capsys, "export", small_model, "--out", tmp_path / "o")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_inf_table(capsys, small_model, tmp_path, bad):
    t = _table(small_model).copy()
    t[7, 3] = bad
    _save_table(small_model, t)
    assert "NaN or Inf" in run_cli(capsys, "export", small_model, "--out", tmp_path / "o")


@pytest.mark.parametrize("dims,msg", [("0", "at least 1"), ("-3", "at least 1"), ("abc", "whole number"),
                                      ("2.5", "whole number"), ("257", "between 1 and the model's dim (256)")])
def test_bad_dims(capsys, distilled_dir, tmp_path, dims, msg):
    assert msg in run_cli(capsys, "export", distilled_dir, "--dims", dims, "--out", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_unknown_quant(capsys, distilled_dir, tmp_path):
    assert "unknown --quant 'int3'" in run_cli(capsys, "export", distilled_dir, "--quant", "int3", "--out", tmp_path / "o")


def test_pq_dims_not_divisible(capsys, distilled_dir, tmp_path):
    """--quant pqM needs M to divide the dims: one line, nothing written (checked before any k-means)."""
    assert "--quant pq64 needs dims divisible by 64, got 100" in run_cli(
        capsys, "export", distilled_dir, "--dims", "100", "--quant", "pq64", "--no-demo", "--out", tmp_path / "o")
    assert "unknown --quant 'pq0'" in run_cli(capsys, "export", distilled_dir, "--quant", "pq0", "--out", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_out_is_a_file(capsys, distilled_dir, tmp_path):
    (tmp_path / "o").write_text("keep me")
    assert "is not a folder" in run_cli(capsys, "export", distilled_dir, "--no-demo", "--out", tmp_path / "o")
    assert (tmp_path / "o").read_text() == "keep me"


@pytest.fixture()
def small_export(distilled_dir, tmp_path):
    import exporter

    out = tmp_path / "exp"
    exporter.export(distilled_dir, out, dims=16, quant="int8", demo=False)
    return out


def test_unknown_backend(capsys, small_export, tmp_path):
    (tmp_path / "t.txt").write_text("hello\n")
    assert "unknown backend 'tflite'" in run_cli(capsys, "embed", small_export, "--backend", "tflite",
                                                 "--input", tmp_path / "t.txt", "--output", tmp_path / "e.npy")


def test_missing_input(capsys, small_export, tmp_path):
    assert "input file does not exist" in run_cli(capsys, "embed", small_export, "--input", tmp_path / "x.txt",
                                                  "--output", tmp_path / "e.npy")
    assert not (tmp_path / "e.npy").exists()


def test_invalid_jsonl_line(capsys, small_export, tmp_path):
    f = tmp_path / "t.jsonl"
    f.write_text('{"text": "ok"}\n{"text": "fine"}\n{"text": broken\n')
    assert "t.jsonl:3: invalid JSON" in run_cli(capsys, "embed", small_export, "--input", f, "--output", tmp_path / "e.npy")
    f.write_text('{"text": "ok"}\n{"body": "no text"}\n')
    assert "t.jsonl:2: expected an object with a string field 'text'" in run_cli(
        capsys, "embed", small_export, "--input", f, "--output", tmp_path / "e.npy")
    assert not (tmp_path / "e.npy").exists()


def test_unreadable_text_file(capsys, small_export, tmp_path):
    f = tmp_path / "t.txt"
    f.write_bytes(b"caf\xe9 latin-1\n")
    assert "not UTF-8" in run_cli(capsys, "embed", small_export, "--input", f, "--output", tmp_path / "e.npy")


def test_onnx_backend_needs_export(capsys, distilled_dir, tmp_path):
    (tmp_path / "t.txt").write_text("hello\n")
    assert "needs an export folder" in run_cli(capsys, "embed", distilled_dir, "--backend", "onnx",
                                               "--input", tmp_path / "t.txt", "--output", tmp_path / "e.npy")


def test_embed_source_does_not_exist(capsys, tmp_path):
    (tmp_path / "t.txt").write_text("hello\n")
    missing = tmp_path / "no" / "such" / "dir"
    for backend in ("flat", "onnx"):
        err = run_cli(capsys, "embed", missing, "--backend", backend, "--input", tmp_path / "t.txt", "--output", tmp_path / "e.npy")
        assert err == f"edgembed: error: {missing} does not exist (expected an export folder from 'edgembed export')"
    assert not (tmp_path / "e.npy").exists()


def test_corrupt_flat_file(capsys, small_export, tmp_path):
    (tmp_path / "t.txt").write_text("hello\n")
    f = small_export / "model.edgembed"
    f.write_bytes(f.read_bytes()[:1000])
    assert "truncated or corrupt" in run_cli(capsys, "embed", small_export, "--backend", "flat",
                                             "--input", tmp_path / "t.txt", "--output", tmp_path / "e.npy")


def test_hub_id_offline(tmp_path):
    """A hub id that is not cached, with the hub unreachable: one line that says so (real entry point, no traceback)."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    r = subprocess.run([sys.executable, "-m", "exporter", "export", "sentence-transformers/static-retrieval-mrl-en-v1",
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()] and "offline and not in the local cache" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "o").exists()


def test_embed_cli_roundtrip(capsys, small_export, tmp_path):
    import exporter

    f = tmp_path / "t.jsonl"
    texts = ["first text", "", "third — ünïcode"]
    f.write_text("\n".join(json.dumps({"text": t}) for t in texts) + "\n")
    for backend in ("flat", "onnx", "torch"):
        assert main(["embed", str(small_export), "--backend", backend, "--input", str(f), "--output", str(tmp_path / f"{backend}.npy")]) == 0
        got = np.load(tmp_path / f"{backend}.npy")
        assert np.abs(got - exporter.load(small_export, backend="flat").encode(texts)).max() <= 1e-5
