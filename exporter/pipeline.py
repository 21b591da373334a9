"""``edgembed export``: model -> ONNX + flat binary + tokenizer.json + manifest (+ demo, + mobile files)."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError
from exporter.formats.flat import write_flat
from exporter.formats.manifest import FILES, FORMAT_VERSION
from exporter.fsutil import atomic_dir, check_out_dir, sha256_file
from exporter.sources.loading import StaticModel, check_dims, load_model
from exporter.formats.onnx_graph import onnx_bytes
from exporter.formats.quantize import check_quant, quantize
from exporter.sources.tokenizer import runtime_tokenizer_json

TARGETS = ("web", "mobile", "edge")


def export(
    model: str | Path | StaticModel | None = None,
    out: str | Path | None = None,
    dims: int | None = None,
    quant: str = "int8",
    demo: bool = True,
    corpus: str | Path | None = None,
    target: str | list[str] | tuple[str, ...] | None = None,
    cors_origin: str = "*",
    rows: bool = True,
    force: bool = False,
    rows_bytes: int | None = None,
) -> dict:
    """Export MODEL into the folder OUT atomically and return the manifest; the defaults are the CLI's.

    ``edgembed.export(out="site")`` exports the default model (MODEL None: all-MiniLM-L6-v2 distilled by model2vec,
    shipped in the package) as int8 with all its dims, the web demo included, as ``edgembed export --out site``.
    MODEL: a model folder, a Hugging Face hub id, a ``StaticModel`` (``load_model``), or None (the default model).
    DIMS: keep the first N dims (Matryoshka); None: all. QUANT: fp32, fp16, int8, int4 or pqM.
    DEMO: write the web demo (index.html, demo/, the service worker), as the CLI does unless ``--no-demo``;
    CORPUS: its search corpus (.txt or .jsonl; None: the bundled one).
    TARGET: "web" (default), "mobile", "edge", or several of them (a list, or a comma list "mobile,edge").
    CORS_ORIGIN: the origin(s) the edge worker allows (``--target edge``).
    ROWS: also write the table as row shards (``rows/``) for runtimes that fetch only the rows they need; ROWS_BYTES:
    their target size (None: 2 kB; a site index's model: 1 kB, exporter/search/model.py).
    OUT must be new, empty or an earlier export; FORCE lets it replace another folder (fsutil.check_out_dir)."""
    if out is None:
        raise EdgembedError("export() needs the output folder: export(model, out='FOLDER') (model None: the default model)")
    out = check_out_dir(out, "export", force=force,
                        inputs={"the source model": model_path(model), "the --corpus file": corpus})
    check_quant(quant)
    if rows_bytes is not None and (isinstance(rows_bytes, bool) or not isinstance(rows_bytes, int) or rows_bytes < 64):
        raise EdgembedError(f"rows_bytes must be a whole number of bytes, at least 64 (None: 2 kB), got {rows_bytes!r}")
    targets = parse_targets(target)
    if "edge" in targets:
        from exporter.targets.edge import check_cors_origin

        cors_origin = check_cors_origin(cors_origin)
    m = model if isinstance(model, StaticModel) else load_model(model)
    d = check_dims(dims, m.dim) if dims is not None else m.dim
    qt = quantize(np.ascontiguousarray(m.table[:, :d]), quant)
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
    # The row shards (thousands of small files: the file system's time, not Python's) are written by a second
    # thread while this one makes the other artifacts; leaving the block waits for it (and on an error, before the
    # temporary folder is removed).
    with atomic_dir(out) as tmp, ThreadPoolExecutor(1, thread_name_prefix="edgembed-rows") as background:
        if rows:
            from exporter.formats.rows import INDEX, write_rows

            rows_done = background.submit(write_rows, tmp, qt, m.normalize, rows_bytes)
            manifest["files"]["rows"] = INDEX  # (the demo names it); the shards are waited for below
        (tmp / "onnx").mkdir()
        (tmp / FILES["onnx"]).write_bytes(onnx_bytes(qt, m.normalize))
        write_flat(tmp / FILES["flat"], qt, m.normalize)
        runtime_json = runtime_tokenizer_json(m.tokenizer_json)
        (tmp / FILES["tokenizer"]).write_text(runtime_json, encoding="utf-8")
        from exporter.formats.selftest import write_selftest  # reference ids and vectors a device checks itself against

        manifest["files"].update(write_selftest(tmp, qt, m.normalize, runtime_json))
        from exporter.formats.chartable import write_chartable  # the JS runtime's exact tokenizer reads it

        files, manifest["tokenizer"] = write_chartable(tmp, m.tokenizer_json)
        manifest["files"].update(files)
        if "chartable" in files:  # the same tokenizer, ready to use, in one file (unless the vocabulary cannot be packed)
            from exporter.formats.tokpack import write_pack

            try:
                manifest["files"].update(write_pack(tmp, runtime_json, (tmp / files["chartable"]).read_bytes()))
            except ValueError:
                pass
        from exporter.formats.hf_compat import write_hf_files  # transformers.js: config.json, tokenizer_config.json

        manifest["files"].update(write_hf_files(tmp, manifest))
        if "mobile" in targets:
            from exporter.targets.mobile import write_mobile

            manifest["files"].update(write_mobile(tmp, FILES["onnx"]))
        if rows:  # the demo reads rows/index.bin (the shards its first query needs)
            manifest["files"].update(rows_done.result())
        if demo:
            from exporter.targets.web import write_demo

            manifest["files"].update(write_demo(tmp, manifest, corpus=corpus))
        if "edge" in targets:
            from exporter.targets.edge import write_edge

            manifest["files"].update(write_edge(tmp, manifest, cors_origin=cors_origin))
        from exporter.formats.rows import is_shard  # row shards: covered by rows/index.bin's hashes

        manifest["sha256"] = {rel: sha256_file(tmp / rel) for rel in sorted(_all_files(tmp)) if not is_shard(rel)}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def model_path(model: str | Path | StaticModel | None) -> str | None:
    """The local folder MODEL reads from, if it has one (None: the shipped default model), for the output checks."""
    if model is None:
        from exporter.sources.default_model import DEFAULT_DIR

        return str(DEFAULT_DIR)
    if isinstance(model, StaticModel):
        return model.source.get("path")
    return str(model)


def parse_targets(target: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """Export targets from a name, a comma list or a list of either; a one-line error for an unknown one."""
    items = [target] if target is None or isinstance(target, str) else list(target)
    names = [t.strip() for item in items if item for t in str(item).split(",") if t.strip()]
    for t in names:
        if t not in TARGETS:
            raise EdgembedError(f"unknown --target '{t}': choose from {', '.join(TARGETS)} (repeat it or use a comma list)")
    return list(dict.fromkeys(names or ["web"]))


def _all_files(root: Path) -> list[str]:
    """Every file under ROOT, relative, '/'-separated (os.walk: no stat per file, thousands of shards)."""
    out = []
    for at, _, names in os.walk(root):
        rel = Path(at).relative_to(root).as_posix()
        out += [n if rel == "." else f"{rel}/{n}" for n in names]
    return out
