"""The engine matrix (engine x flat, workers, onnx, offline, self-test) as measured by the test suites.

Every suite that checks an engine records its cells into one JSON file (``test-artifacts/engine-matrix.json``);
``record`` reads, updates and rewrites it atomically, so suites that run separately (the matrix in
tests/test_engines.py; the offline and self-test suites, which fill their own columns) add to the same table.
``markdown`` renders it for the README."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exporter.fsutil import atomic_file
from exporter.proof.engines.availability import ENGINES

COLUMNS = ("flat", "workers", "onnx", "offline", "self_test")
TITLES = {"flat": "flat (main thread)", "workers": "flat (2 workers)", "onnx": "onnx", "offline": "offline",
          "self_test": "self-test"}


def load_matrix(path: Path) -> dict:
    """{"engines": {engine: {"version", "cells": {column: text}, "details": {...}}}}; empty when PATH is absent."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"engines": {}}
    return data if isinstance(data.get("engines"), dict) else {"engines": {}}


def record(path: Path, engine: str, column: str | None = None, cell: str | None = None, version: str | None = None,
           **details: Any) -> dict:
    """Set ENGINE's CELL in COLUMN (one of COLUMNS) and/or merge DETAILS (JSON) into its details; returns the matrix."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    if column is not None and column not in COLUMNS:
        raise ValueError(f"unknown column {column!r}: one of {COLUMNS}")
    data = load_matrix(path)
    row = data["engines"].setdefault(engine, {"version": None, "cells": {}, "details": {}})
    if version:
        row["version"] = version
    if column is not None:
        row["cells"][column] = cell
    for k, v in details.items():
        if isinstance(v, dict) and isinstance(row["details"].get(k), dict):
            row["details"][k].update(v)
        else:
            row["details"][k] = v
    with atomic_file(Path(path)) as tmp:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def markdown(data: dict) -> str:
    """The README table: one row per engine, "–" where no suite recorded a cell."""
    head = "| engine | " + " | ".join(TITLES[c] for c in COLUMNS) + " |"
    rows = [head, "|---|" + "---|" * len(COLUMNS)]
    for engine in ENGINES:
        row = data["engines"].get(engine)
        if row is None:
            continue
        cells = [str(row["cells"].get(c) or "–") for c in COLUMNS]
        rows.append(f"| {row.get('version') or engine} | " + " | ".join(cells) + " |")
    return "\n".join(rows)
