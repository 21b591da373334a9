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
    try:
        tok_json = tokenizer_json(folder, man)
    except ValueError as e:
        raise EdgembedError(f"{folder}: the tokenizer pack is corrupt: {e}") from None
    if backend == "onnx":
        from exporter.runtimes.onnx import OnnxEmbedder

        return OnnxEmbedder(export_file(folder, man, "onnx"), tok_json, device)
    try:
        table, normalize = table_of(folder, man)
    except ValueError as e:
        raise EdgembedError(f"{folder}: the row shards are corrupt: {e}") from None
    if backend == "flat":
        if device != "cpu":
            raise EdgembedError("the flat backend runs on cpu only")
        from exporter.runtimes.flat import FlatEmbedder

        return FlatEmbedder(table, tok_json, normalize)
    from exporter.runtimes.torch import TorchEmbedder

    return TorchEmbedder(dequantize(table), tok_json, normalize, device)


def tokenizer_json(folder: Path, man: dict) -> str:
    """tokenizer.json, or, where only the tokenizer pack ships (a site-search index's model/), rebuilt from it
    (ValueError: a corrupt pack)."""
    if "tokenizer" not in man.get("files", {}) and "tokenizer_pack" in man.get("files", {}):
        from exporter.formats.tokpack import tokenizer_json_of

        return tokenizer_json_of(export_file(folder, man, "tokenizer_pack").read_bytes())
    return export_file(folder, man, "tokenizer").read_text(encoding="utf-8")


def table_of(folder: Path, man: dict):
    """The quantized table and the normalize flag: model.edgembed, or, where only rows/ ships, its row shards
    (ValueError: a corrupt shard)."""
    if "flat" not in man.get("files", {}) and "rows" in man.get("files", {}):
        from exporter.formats.rows import read_table

        export_file(folder, man, "rows")
        return read_table(folder)
    flat = read_flat(export_file(folder, man, "flat"))
    return flat.table, flat.normalize
