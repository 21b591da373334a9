"""``exporter.load(SOURCE, backend=...)``: one ``.encode(texts)`` over a model or an export folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError
from exporter.formats.flat import read_flat
from exporter.formats.manifest import export_file, read_manifest
from exporter.formats.quantize import dequantize
from exporter.sources.loading import check_dims

BACKENDS = ("torch", "onnx", "flat")


def load(source: str | Path | None, backend: str = "flat", device: str = "cpu", dims: int | None = None):
    """An embedder for SOURCE: an export folder (any backend) or a model (torch backend only)."""
    if backend not in BACKENDS:
        raise EdgembedError(f"unknown backend '{backend}': choose one of {', '.join(BACKENDS)}")
    man = read_manifest(Path(source)) if source is not None and Path(source).is_dir() else None
    if man is None:
        if backend != "torch" and source is not None and not Path(source).exists():
            raise EdgembedError(f"{source} does not exist (expected an export folder from 'edgembed export')")
        if backend != "torch":
            raise EdgembedError(f"backend '{backend}' needs an export folder (run 'edgembed export' first); {source} is a model")
        from exporter.runtimes.torch import TorchEmbedder
        from exporter.sources.loading import load_model

        model = load_model(source)
        d = check_dims(dims, model.dim) if dims is not None else model.dim
        return TorchEmbedder(np.ascontiguousarray(model.table[:, :d]), model.tokenizer_json, model.normalize, device)
    folder = Path(source)
    tok_json = export_file(folder, man, "tokenizer").read_text(encoding="utf-8")
    if backend == "onnx":
        from exporter.runtimes.onnx import OnnxEmbedder

        return OnnxEmbedder(export_file(folder, man, "onnx"), tok_json, device)
    flat = read_flat(export_file(folder, man, "flat"))
    if backend == "flat":
        if device != "cpu":
            raise EdgembedError("the flat backend runs on cpu only")
        from exporter.runtimes.flat import FlatEmbedder

        return FlatEmbedder(flat.table, tok_json, flat.normalize)
    from exporter.runtimes.torch import TorchEmbedder

    return TorchEmbedder(dequantize(flat.table), tok_json, flat.normalize, device)
