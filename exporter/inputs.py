"""Read texts from .txt (one a line) or .jsonl (a "text" field a line)."""

from __future__ import annotations

import json
from pathlib import Path

from exporter.errors import EdgembedError


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file (no trailing empty line, CRLF accepted), with one-line errors."""
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
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def read_jsonl(path: str | Path, required: str, kind: type = object) -> list[dict]:
    """The objects of a .jsonl file (blank lines skipped); each must have field REQUIRED of type KIND."""
    rows = []
    for n, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise EdgembedError(f"{path}:{n}: invalid JSON ({e.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get(required), kind):
            what = "a string field" if kind is str else "a field"
            raise EdgembedError(f"{path}:{n}: expected an object with {what} '{required}'")
        rows.append(obj)
    return rows


def read_texts(path: str | Path, field: str = "text") -> list[str]:
    """Texts of a .txt or .jsonl file; bad lines are reported with their line number."""
    p = Path(path)
    if p.suffix.lower() == ".jsonl":
        return [obj[field] for obj in read_jsonl(p, field, str)]
    if p.suffix.lower() in (".txt", ""):
        return read_lines(p)
    raise EdgembedError(f"unsupported input type '{p.suffix}': use .txt (one text a line) or .jsonl")
