"""``edgembed export``: model -> ONNX + flat binary + tokenizer.json + manifest (+ demo, + mobile files)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from exporter.backends import check_dims
from exporter.flat import write_flat
from exporter.fsutil import atomic_dir, sha256_file
from exporter.loading import StaticModel, load_model
from exporter.onnx_graph import build_onnx
from exporter.quantize import check_quant, quantize
from exporter.tokenizer import runtime_tokenizer_json

FORMAT_VERSION = 1
FILES = {"onnx": "onnx/model.onnx", "flat": "model.edgembed", "tokenizer": "tokenizer.json"}


def export(
    model: str | Path | StaticModel | None,
    out: str | Path,
    dims: int | None = None,
    quant: str = "int8",
    demo: bool = False,
    corpus: str | Path | None = None,
    target: str | None = None,
) -> dict:
    """Export MODEL into OUT atomically and return the manifest."""
    check_quant(quant)
    m = model if isinstance(model, StaticModel) else load_model(model)
    d = check_dims(dims, m.dim) if dims is not None else m.dim
    qt = quantize(np.ascontiguousarray(m.table[:, :d]), quant)
    out = Path(out)
    manifest = {
        "format": "edgembed",
        "format_version": FORMAT_VERSION,
        "source": m.source,
        "dims": d,
        "quant": quant,
        "vocab_size": m.vocab_size,
        "normalize": m.normalize,
        "files": dict(FILES),
        "sha256": {},
    }
    with atomic_dir(out) as tmp:
        (tmp / "onnx").mkdir()
        (tmp / FILES["onnx"]).write_bytes(build_onnx(qt, m.normalize).SerializeToString())
        write_flat(tmp / FILES["flat"], qt, m.normalize)
        (tmp / FILES["tokenizer"]).write_text(runtime_tokenizer_json(m.tokenizer_json), encoding="utf-8")
        from exporter.hf_compat import write_hf_files  # transformers.js: config.json, tokenizer_config.json

        manifest["files"].update(write_hf_files(tmp, manifest))
        if target == "mobile":
            from exporter.mobile import write_mobile

            manifest["files"].update(write_mobile(tmp, FILES["onnx"]))
        if demo:
            from exporter.web import write_demo

            manifest["files"].update(write_demo(tmp, manifest, corpus=corpus))
        manifest["sha256"] = {rel: sha256_file(tmp / rel) for rel in sorted(_all_files(tmp))}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def _all_files(root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
