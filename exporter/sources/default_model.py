"""The default model, shipped inside the package: all-MiniLM-L6-v2 distilled by model2vec (PCA 256), stored as
float16 (exporter/data/default_model/, made by scripts/build_default_model.py). No torch, no model2vec, no network:
`edgembed export` with no model loads these files, after checking them against the recorded SHA256SUMS."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from exporter.errors import EdgembedError

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "data" / "default_model"
FILES = ("model.safetensors", "tokenizer.json", "config.json", "modules.json", "README.md")
SUMS = "SHA256SUMS"
BASE = "sentence-transformers/all-MiniLM-L6-v2"
_VERIFIED: dict[Path, str] = {}


def cache_dir() -> Path:
    """edgembed's cache folder: $XDG_CACHE_HOME/edgembed, or ~/.cache/edgembed."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "edgembed"


def recorded_sums(folder: Path | None = None) -> dict[str, str]:
    """{file: sha256} from the folder's SHA256SUMS (sha256sum format)."""
    folder = DEFAULT_DIR if folder is None else Path(folder)
    try:
        lines = (folder / SUMS).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise EdgembedError(f"the default model is missing from this installation ({folder / SUMS}: {e.strerror or e}): "
                            "reinstall edgembed") from None
    sums = {}
    for line in lines:
        digest, _, name = line.partition("  ")
        if len(digest) == 64 and name:
            sums[name] = digest
    return sums


def default_model_path(folder: Path | None = None) -> Path:
    """The folder of the shipped default model, its files checked against SHA256SUMS (once per process)."""
    folder = DEFAULT_DIR if folder is None else Path(folder)
    if folder in _VERIFIED:
        return folder
    sums = recorded_sums(folder)
    for name in FILES:
        path = folder / name
        want = sums.get(name)
        try:
            got = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as e:
            raise EdgembedError(f"the default model file {path} cannot be read ({e.strerror or e}): reinstall edgembed") from None
        if want is None or got != want:
            raise EdgembedError(f"the default model file {path} is corrupt (sha256 {got[:12]}…, recorded "
                                f"{(want or 'nothing')[:12]}…): reinstall edgembed")
    _VERIFIED[folder] = sums["model.safetensors"]
    return folder


def default_source() -> dict:
    """The manifest's ``source`` entry of the default model."""
    path = default_model_path()
    return {"kind": "default", "path": str(path), "base": BASE, "sha256": _VERIFIED[path]}
