"""Read texts from .txt (one a line) or .jsonl (a "text" field a line)."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.errors import EdgembedError


def read_texts(path: str | Path, field: str = "text") -> list[str]:
    """Texts of a .txt or .jsonl file; bad lines are reported with their line number."""
    p = Path(path)
    if not p.exists():
        raise EdgembedError(f"input file does not exist: {p}")
    if p.is_dir():
        raise EdgembedError(f"input is a folder, not a file: {p}")
    try:
        raw = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise EdgembedError(f"{p} is not UTF-8 text (byte {e.start})") from None
    except OSError as e:
        raise EdgembedError(f"cannot read {p}: {e.strerror or e}") from None
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
    if p.suffix.lower() == ".jsonl":
        texts = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise EdgembedError(f"{p}:{n}: invalid JSON ({e.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
                raise EdgembedError(f"{p}:{n}: expected an object with a string field '{field}'")
            texts.append(obj[field])
        return texts
    if p.suffix.lower() in (".txt", ""):
        return lines
    raise EdgembedError(f"unsupported input type '{p.suffix}': use .txt (one text a line) or .jsonl")
