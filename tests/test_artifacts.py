"""The exported files themselves: ONNX graph, flat layout (parsed independently of exporter.formats.flat), tokenizer, manifest."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from tokenizers import Tokenizer

import exporter

QUANTS = ["fp32", "fp16", "int8", "int4"]


@pytest.fixture(scope="module")
def flagship_exports(flagship_dir, tmp_path_factory):
    model = exporter.load_model(flagship_dir)  # load the 125 MB table once
    root = tmp_path_factory.mktemp("flagship-exports")
    return {q: (root / q, exporter.export(model, root / q, dims=256, quant=q, demo=False)) for q in QUANTS}, model


@pytest.mark.parametrize("quant", QUANTS)
def test_onnx_graph(flagship_exports, quant, texts):
    exports, _ = flagship_exports
    out, man = exports[quant]
    model = onnx.load(str(out / man["files"]["onnx"]))
    onnx.checker.check_model(model, full_check=True)
    ops = {n.op_type for n in model.graph.node}
    assert "Loop" not in ops and "Scan" not in ops
    table = next(t for t in model.graph.initializer if t.name == "table")
    want = {"fp32": onnx.TensorProto.FLOAT, "fp16": onnx.TensorProto.FLOAT16,
            "int8": onnx.TensorProto.INT8, "int4": onnx.TensorProto.UINT8}[quant]
    assert table.data_type == want, "quantized tables stay quantized in the file"
    for inp in model.graph.input:  # dynamic batch and length
        assert [d.dim_param for d in inp.type.tensor_type.shape.dim] == ["batch", "sequence"]
    sess = ort.InferenceSession(str(out / man["files"]["onnx"]), providers=["CPUExecutionProvider"])
    flat = exporter.load(out, backend="flat")
    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    for text in ["a single text", texts[-1]]:  # batch of one, and the 20,000-word text unpadded
        ids = np.array([tok.encode(text).ids], dtype=np.int64)
        got = sess.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
        assert np.abs(got - flat.encode([text])).max() <= 1e-5
    for shape in [(3, 0), (0, 0), (2, 5)]:  # empty texts: zero length, empty batch, all-padding rows
        z = np.zeros(shape, dtype=np.int64)
        got = sess.run(["sentence_embedding"], {"input_ids": z, "attention_mask": z})[0]
        assert got.shape == (shape[0], 256) and not got.any()


def test_sizes(flagship_exports):
    exports, _ = flagship_exports
    out, man = exports["int8"]
    flat_bytes = (out / "model.edgembed").stat().st_size
    onnx_bytes = (out / man["files"]["onnx"]).stat().st_size
    assert flat_bytes <= 30522 * 260 + 64 * 3
    assert onnx_bytes <= 30522 * 260 + 16384, "int8@256 ONNX is ~8 MB, not 31 MB"
    assert (exports["int4"][0] / "model.edgembed").stat().st_size <= 30522 * 132 + 64 * 3


@pytest.mark.parametrize("quant", QUANTS)
def test_flat_layout_as_documented(flagship_exports, quant):
    """Parse model.edgembed with struct/numpy following docs/format.md, not exporter.formats.flat."""
    exports, model = flagship_exports
    out, man = exports[quant]
    raw = (out / "model.edgembed").read_bytes()
    magic, ver, vocab, dims, q, flags, row_bytes, t_off, t_bytes, s_off, s_bytes = struct.unpack_from("<8s6I4Q", raw)
    assert (magic, ver, vocab, dims, q, flags) == (b"EDGEMBED", 1, 30522, 256, QUANTS.index(quant), 0)
    assert t_off % 64 == 0 and s_off % 64 == 0 and t_bytes == vocab * row_bytes
    if quant == "fp32":
        deq = np.frombuffer(raw, "<f4", vocab * dims, t_off).reshape(vocab, dims)
    elif quant == "fp16":
        deq = np.frombuffer(raw, "<f2", vocab * dims, t_off).reshape(vocab, dims).astype(np.float32)
    else:
        scales = np.frombuffer(raw, "<f4", vocab, s_off)
        if quant == "int8":
            qv = np.frombuffer(raw, "i1", vocab * dims, t_off).reshape(vocab, dims)
        else:
            b = np.frombuffer(raw, "u1", t_bytes, t_off).reshape(vocab, row_bytes)
            qv = np.stack([(b & 15).astype(np.int8) - 8, (b >> 4).astype(np.int8) - 8], axis=2).reshape(vocab, -1)[:, :dims]
        deq = qv.astype(np.float32) * scales[:, None]
    src = model.table[:, :256]
    if quant == "fp16":  # plain IEEE half: half an ulp, or half the subnormal spacing
        assert (np.abs(deq - src) <= np.maximum(np.abs(src) * 2.0**-11, 2.0**-25)).all()
    else:
        err = np.abs(deq - src).max(axis=1) / np.maximum(np.abs(src).max(axis=1), 1e-30)
        bound = {"fp32": 0, "int8": 0.5 / 127 + 1e-6, "int4": 0.5}[quant]
        assert err.max() <= bound, "per-row scales: every row, tiny norms included, keeps its relative precision"
    np.testing.assert_array_equal(deq, exporter.formats.quantize.dequantize(exporter.formats.flat.read_flat(out / "model.edgembed").table))


def test_tokenizer_and_manifest(flagship_exports, flagship_dir, texts):
    exports, _ = flagship_exports
    out, man = exports["int8"]
    data = json.loads((out / "tokenizer.json").read_text())
    assert data["padding"] is None and data["post_processor"] is None
    exported, original = Tokenizer.from_file(str(out / "tokenizer.json")), Tokenizer.from_file(str(flagship_dir / "0_StaticEmbedding" / "tokenizer.json"))
    for t in texts[:-1]:  # default options give the ids of add_special_tokens=False
        assert exported.encode(t).ids == original.encode(t, add_special_tokens=False).ids
    assert {k: man[k] for k in ("format", "format_version", "dims", "quant", "vocab_size", "normalize")} == {
        "format": "edgembed", "format_version": 1, "dims": 256, "quant": "int8", "vocab_size": 30522, "normalize": False}
    assert man["files"]["onnx"] == "onnx/model.onnx" and man["files"]["flat"] == "model.edgembed"
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk == man
    for rel, digest in man["sha256"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest
    assert set(man["files"].values()) <= set(man["sha256"])


def test_export_is_atomic(distilled_dir, tmp_path, monkeypatch):
    out = tmp_path / "out"
    old = os.umask(0o022)
    try:
        exporter.export(distilled_dir, out, dims=32, quant="fp32", demo=False)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o755 == 0o755, "a static web server can read the folder"
    assert all(p.stat().st_mode & 0o644 == 0o644 for p in out.rglob("*") if p.is_file())
    before = {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sys.modules["exporter.pipeline"], "write_flat", boom)
    for target in (out, tmp_path / "fresh"):
        with pytest.raises(RuntimeError):
            exporter.export(distilled_dir, target, dims=64, quant="int8", demo=False)
    assert {p.name: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no temp folder, no half-written output left"


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_sources(distilled_dir, tmp_path, dtype):
    """fp16 and bf16 tables are accepted and widened exactly to float32."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    src = tmp_path / "m"
    src.mkdir()
    for f in ("tokenizer.json", "config.json"):
        shutil.copy(distilled_dir / f, src / f)
    t = load_file(str(distilled_dir / "model.safetensors"))["embeddings"].to(getattr(torch, dtype))
    save_file({"embeddings": t}, str(src / "model.safetensors"))
    m = exporter.load_model(src)
    np.testing.assert_array_equal(m.table, t.float().numpy())
    assert m.normalize is True and m.source["format"] == "model2vec"
