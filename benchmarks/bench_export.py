"""Time `edgembed export` of a flagship-shaped model (30522 x 1024, fp32) to int8@256.

Prints the export's wall time (in-process and through the CLI) and its ratio to an I/O floor measured in
the same run: reading the 125 MB table with safetensors and writing the ~8 MB of int8 rows it keeps.
Usage: python benchmarks/bench_export.py [--dims 256] [--quant int8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

import exporter  # noqa: E402
from tests.conftest import make_flagship_like  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--quant", default="int8")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = make_flagship_like(tmp / "model")
        st = model / "0_StaticEmbedding" / "model.safetensors"
        floor, api, cli = [], [], []
        for i in range(args.repeat):
            t = time.perf_counter()
            from safetensors.numpy import load_file

            table = load_file(str(st))["embedding.weight"]
            (tmp / "floor.bin").write_bytes(np.ascontiguousarray(table[:, : args.dims]).astype(np.int8).tobytes())
            floor.append(time.perf_counter() - t)
            t = time.perf_counter()
            exporter.export(model, tmp / f"api{i}", dims=args.dims, quant=args.quant, demo=False)
            api.append(time.perf_counter() - t)
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "exporter", "export", str(model), "--dims", str(args.dims), "--quant",
                            args.quant, "--no-demo", "--out", str(tmp / f"cli{i}")], check=True, capture_output=True)
            cli.append(time.perf_counter() - t)
        size = sum(p.stat().st_size for p in (tmp / "api0").rglob("*") if p.is_file())
    best = lambda xs: min(xs)  # noqa: E731
    print(f"model: 30522x1024 fp32 (125 MB) -> {args.quant}@{args.dims}, export folder {size:,} bytes, best of {args.repeat}")
    print(f"{'step':<34}{'seconds':>9}{'x floor':>9}")
    print(f"{'I/O floor (read table, write rows)':<34}{best(floor):>9.3f}{1.0:>9.2f}")
    print(f"{'exporter.export() in-process':<34}{best(api):>9.3f}{best(api) / best(floor):>9.2f}")
    print(f"{'edgembed export (CLI, cold start)':<34}{best(cli):>9.3f}{best(cli) / best(floor):>9.2f}")
    print(f"target <= 2.0 s: {'met' if best(cli) <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
