"""Product quantization speed: pq export time, and JS flat embedding per text, pq against int8 (Node).

1. Export of a flagship-shaped table (30522 x 1024 fp32) to pq64@256 through the CLI (new process, imports
   and k-means included); target <= 30 s on 2 cores.
2. The JS runtime's flat backend (web/runtime/flat.mjs, via benchmarks/bench_pq.mjs) embedding the bundled
   cranfield corpus + queries from token ids (tokenization is the same work for every quant, so it is left
   out), default model at 256 dims: us per text for int8, int4, pq64, pq32, best of --repeat interleaved passes, and the
   ratio to int8 (target: pq <= 1.0x int8).
Usage: python benchmarks/bench_pq.py [--repeat 7] [--skip-export]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import exporter  # noqa: E402
from tests.conftest import make_flagship_like  # noqa: E402


def export_seconds(tmp: Path) -> float:
    model = make_flagship_like(tmp / "flagship")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exporter", "export", str(model), "--dims", "256", "--quant", "pq64",
                    "--no-demo", "--out", str(tmp / "flagship-pq64")], check=True, capture_output=True)
    return time.perf_counter() - t


def js_us_per_text(tmp: Path, quants: list[str], repeat: int) -> dict[str, float]:
    """Best microseconds per text of each quant, passes interleaved in one Node process (benchmarks/bench_pq.mjs)."""
    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    data = load_beir(DATA / "cranfield")
    files = []
    for q in quants:
        out = tmp / f"default-{q}"
        exporter.export(None, out, dims=256, quant=q, demo=False)
        files.append(str(out / "model.edgembed"))
    tok = load_tokenizer((tmp / f"default-{quants[0]}" / "tokenizer.json").read_text(encoding="utf-8"))
    (tmp / "ids.json").write_text(json.dumps(encode_ids(tok, data.doc_texts + data.query_texts)))
    proc = subprocess.run([shutil.which("node"), str(ROOT / "benchmarks" / "bench_pq.mjs"), str(tmp / "ids.json"),
                           str(repeat), *files], check=True, capture_output=True, text=True)
    us = json.loads(proc.stdout)
    return {q: us[f] for q, f in zip(quants, files)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--skip-export", action="store_true", help="only the JS embedding comparison")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_export:
            sec = export_seconds(tmp)
            print(f"export 30522x1024 fp32 -> pq64@256 (CLI, new process): {sec:.1f} s "
                  f"(target <= 30 s: {'met' if sec <= 30 else 'NOT met'}; ratio to target {sec / 30:.2f})")
        ms = js_us_per_text(tmp, ["int8", "int4", "pq64", "pq32"], args.repeat)
    print(f"JS flat embedding from token ids, default model @256, cranfield corpus + queries, "
          f"best of {args.repeat} interleaved passes:")
    print(f"{'quant':<6}{'us/text':>9}{'x int8':>8}")
    for q, v in ms.items():
        print(f"{q:<6}{v:>9.2f}{v / ms['int8']:>8.2f}")
    worst = max(ms[q] / ms["int8"] for q in ms if q.startswith("pq"))
    print(f"target pq <= 1.0x int8: {'met' if worst <= 1.0 else 'NOT met'} (worst {worst:.2f}x)")


if __name__ == "__main__":
    main()
