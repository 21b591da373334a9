"""manifest.json: what an export folder holds (dims, quant, files and their sha256), read back by every runtime."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.errors import EdgembedError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = {"onnx": "onnx/model.onnx", "flat": "model.edgembed", "tokenizer": "tokenizer.json"}


def read_manifest(folder: Path) -> dict | None:
    """The manifest of an export folder, or None when the folder is not an export."""
    mf = Path(folder) / MANIFEST
    if not mf.is_file():
        return None
    try:
        man = json.loads(mf.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EdgembedError(f"{mf} is not valid JSON: {str(e).splitlines()[0]}") from None
    if not isinstance(man, dict) or man.get("format") != "edgembed":
        return None
    return man


def export_file(folder: Path, man: dict, key: str) -> Path:
    """Path of one artifact named in the manifest's ``files``."""
    rel = man.get("files", {}).get(key)
    if not rel or not (Path(folder) / rel).is_file():
        raise EdgembedError(f"export {folder} has no '{key}' file (manifest files: {', '.join(man.get('files', {}))})")
    return Path(folder) / rel
