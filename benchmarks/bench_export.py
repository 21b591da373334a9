"""Time `edgembed export` of a flagship-shaped model (30522 x 1024, fp32) to int8@256, against the previous writer.

Both exporters run in the same session, interleaved, as fresh processes with outputs under the system temp folder
(``tempfile.gettempdir()``, i.e. $TMPDIR or /tmp): this tree's and the one at --baseline (a git revision, unpacked
with ``git archive``; default: the commit before the shard writer and the onnx-free ONNX writer). Per exporter:
"in-process" is one ``exporter.export()`` call after a first, untimed one in the same process (imports and lazy
imports done); "CLI" is ``python -m exporter export`` as a new process (imports included). Also printed: an I/O
floor (read the 125 MB table with safetensors, write the ~8 MB of int8 rows it keeps) and, for this tree, the time
to create the export's ~3,800 row-shard files alone (one open/write/close each: the file system's share).
Medians and minimums of --repeat rounds, wall and CPU (user + system) seconds; on a shared machine, say so.
Usage: python benchmarks/bench_export.py [--dims 256] [--quant int8] [--repeat 5] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from tests.conftest import make_flagship_like  # noqa: E402

BASELINE = "f8e1174"  # the writer before issue 26 item 3 (pathlib per shard, onnx.helper + checker at every export)

IN_PROCESS = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import exporter
model, out, dims, quant = sys.argv[2:6]
exporter.export(model, out + "-warm", dims=int(dims), quant=quant, demo=False)
t, c = time.perf_counter(), time.process_time()
exporter.export(model, out, dims=int(dims), quant=quant, demo=False)
print(json.dumps([time.perf_counter() - t, time.process_time() - c]))
"""


def unpack(rev: str, dest: Path) -> Path:
    """The exporter package at git revision REV, unpacked under DEST (a folder to put first on sys.path)."""
    dest.mkdir(parents=True)
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "exporter"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)
    return dest


def in_process(code_root: Path, model: Path, out: Path, dims: int, quant: str) -> tuple[float, float]:
    """Wall and CPU seconds (all threads, user + system) of one export() in a process that has made one already."""
    r = subprocess.run([sys.executable, "-c", IN_PROCESS, str(code_root), str(model), str(out), str(dims), quant],
                       check=True, capture_output=True, text=True, env=_env(code_root))
    wall, cpu = json.loads(r.stdout.strip().splitlines()[-1])
    return wall, cpu


def cli(code_root: Path, model: Path, out: Path, dims: int, quant: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of `python -m exporter export` as a new process."""
    before = _child_cpu()
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exporter", "export", str(model), "--dims", str(dims), "--quant", quant,
                    "--no-demo", "--out", str(out)], check=True, capture_output=True, env=_env(code_root))
    return time.perf_counter() - t, _child_cpu() - before


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _env(code_root: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(code_root)}


def create_files(folder: Path, sizes: list[int]) -> tuple[float, float]:
    """Wall and CPU seconds to create len(SIZES) files of those sizes in a new FOLDER (one open/write/close each)."""
    folder.mkdir()
    data = b"\0" * max(sizes)
    t, c = time.perf_counter(), time.process_time()
    dfd = os.open(folder, os.O_RDONLY)
    try:
        for k, n in enumerate(sizes):
            fd = os.open(f"{k:04d}.bin", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666, dir_fd=dfd)
            os.write(fd, data[:n])
            os.close(fd)
    finally:
        os.close(dfd)
    return time.perf_counter() - t, time.process_time() - c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--quant", default="int8")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", default=BASELINE, help="git revision of the previous writer")
    args = ap.parse_args()
    from safetensors.numpy import load_file

    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        tmp = Path(tmp)
        print(f"outputs under {tmp}; baseline {args.baseline}", file=sys.stderr)
        model = make_flagship_like(tmp / "model")
        st = model / "0_StaticEmbedding" / "model.safetensors"
        trees = {"previous": unpack(args.baseline, tmp / "previous"), "this tree": ROOT}
        times: dict[str, list[tuple[float, float]]] = {k: [] for k in ("floor", "files")}
        for name in trees:
            times[f"{name} in-process"], times[f"{name} CLI"] = [], []
        shards: list[int] = []
        for i in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            table = load_file(str(st))["embedding.weight"]
            (tmp / "floor.bin").write_bytes(np.ascontiguousarray(table[:, : args.dims]).astype(np.int8).tobytes())
            times["floor"].append((time.perf_counter() - t, time.process_time() - c))
            for name, code in (trees.items() if i % 2 == 0 else reversed(trees.items())):  # alternate the order
                out = tmp / f"{name.replace(' ', '_')}-{i}"
                times[f"{name} in-process"].append(in_process(code, model, out, args.dims, args.quant))
                times[f"{name} CLI"].append(cli(code, model, out.with_name(out.name + "-cli"), args.dims, args.quant))
                if not shards:
                    shards = [p.stat().st_size for p in sorted((out / "rows").iterdir()) if p.name != "index.bin"]
                for p in tmp.glob(f"{out.name}*"):
                    shutil.rmtree(p)
            times["files"].append(create_files(tmp / f"files-{i}", shards))
            shutil.rmtree(tmp / f"files-{i}")
    med = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    lo = {k: min(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    print(f"model: 30522x1024 fp32 (125 MB) -> {args.quant}@{args.dims}, no demo; outputs under the system temp "
          f"folder; {args.repeat} rounds, interleaved")
    print(f"{'step':<44}{'median s':>10}{'min s':>8}{'x previous':>12}{'CPU s':>8}{'x previous':>12}")
    rows = [("floor", "I/O floor (read table, write rows)", None),
            ("files", f"create the {len(shards):,} shard files alone", None),
            ("previous in-process", f"previous ({args.baseline}) export() in-process", None),
            ("this tree in-process", "this tree export() in-process", "previous in-process"),
            ("previous CLI", f"previous ({args.baseline}) CLI", None),
            ("this tree CLI", "this tree CLI (new process)", "previous CLI")]
    for key, label, base in rows:
        ratio = f"{med[key] / med[base]:>12.2f}" if base else f"{'':>12}"
        cratio = f"{cpu[key] / cpu[base]:>12.2f}" if base else f"{'':>12}"
        print(f"{label:<44}{med[key]:>10.3f}{lo[key]:>8.3f}{ratio}{cpu[key]:>8.3f}{cratio}")
    print("CPU s: median user + system seconds of all threads (less sensitive than wall time to a busy machine)")
    print("per round (wall s, CPU s): " + json.dumps({k: [[round(x, 3) for x in p] for p in v] for k, v in times.items()}))
    print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"targets (medians): in-process <= 1.0 s {'met' if med['this tree in-process'] <= 1.0 else 'NOT met'}; "
          f"CLI <= 2.0 s {'met' if med['this tree CLI'] <= 2.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
