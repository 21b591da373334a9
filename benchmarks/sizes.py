"""Artifact sizes per quantization: bytes and gzip -9 bytes of each file an app or a page ships.

    python3 benchmarks/sizes.py [--dims 256] [--models default,flagship] [--json sizes.json]

Exports (``--target mobile --no-demo``) the default model (all-MiniLM-L6-v2 distilled, 29525x256) and a
flagship-shaped synthetic model (30522x1024, tests/conftest.py ``make_flagship_like``) at DIMS, for every
quant, into a temp folder, and prints two markdown tables per model: the whole files, and what lazy loading
fetches (the tokenizer pack, already gzipped; rows/index.bin; the row shards: how many, each one's size, all together).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.pipeline import export  # noqa: E402
from exporter.formats.quantize import QUANTS  # noqa: E402

ARTIFACTS = [("flat", "model.edgembed"), ("onnx", "onnx/model.onnx"), ("ort", "mobile/model.ort"),
             ("tokenizer", "tokenizer.json"), ("chartable", "chartable.bin")]


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9, mtime=0))


def measure(model, dims: int, work: Path) -> tuple[dict[str, dict[str, tuple[int, int]]], dict[str, dict[str, int]]]:
    """({quant: {artifact: (bytes, gzip bytes)}}, {quant: lazy-loading sizes}) for one model."""
    rows, lazy = {}, {}
    for quant in QUANTS:
        out = work / quant
        export(model, out, dims=dims, quant=quant, target="mobile", demo=False)
        rows[quant] = {key: ((out / rel).stat().st_size, gzip_size(out / rel)) for key, rel in ARTIFACTS}
        shards = sorted(p.stat().st_size for p in (out / "rows").glob("*.bin") if p.name != "index.bin")
        lazy[quant] = {"tokenizer.bin": (out / "tokenizer.bin").stat().st_size,
                       "index.bin": (out / "rows" / "index.bin").stat().st_size,
                       "index.bin gzip": gzip_size(out / "rows" / "index.bin"),
                       "shards": len(shards), "shard max": shards[-1], "shards total": sum(shards)}
    return rows, lazy


def lazy_table(lazy: dict) -> str:
    lines = ["| quant | tokenizer.bin | rows/index.bin | gzip | row shards | bytes per shard (max) | all shards |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for quant, c in lazy.items():
        lines.append(f"| {quant} | {c['tokenizer.bin']:,} | {c['index.bin']:,} | {c['index.bin gzip']:,} | {c['shards']:,} | "
                     f"{c['shard max']:,} | {c['shards total']:,} |")
    return "\n".join(lines)


def table(title: str, rows: dict) -> str:
    head = "| quant | " + " | ".join(f"{rel} | gzip" for _k, rel in ARTIFACTS) + " |"
    sep = "|---" + "|---:" * (2 * len(ARTIFACTS)) + "|"
    lines = [f"**{title}**", "", head, sep]
    for quant, cells in rows.items():
        lines.append(f"| {quant} | " + " | ".join(f"{b:,} | {g:,}" for b, g in cells.values()) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--models", default="default,flagship", help="comma list of: default, flagship")
    ap.add_argument("--json", default=None, help="also write the numbers as JSON")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="edgembed-sizes-") as tmp:
        for name in args.models.split(","):
            if name == "default":
                model, title = None, f"default model (distilled all-MiniLM-L6-v2, 29525 x {args.dims})"
            elif name == "flagship":
                from tests.conftest import make_flagship_like

                model = make_flagship_like(Path(tmp) / "flagship-src")
                title = f"flagship-shaped model (30522 x 1024, exported at dims {args.dims})"
            else:
                ap.error(f"unknown model '{name}'")
            whole, lazy = measure(model, args.dims, Path(tmp) / name)
            results[name] = {"files": whole, "lazy": lazy}
            print(table(title, whole) + "\n\n" + lazy_table(lazy) + "\n", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
