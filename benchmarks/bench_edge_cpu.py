"""CPU milliseconds per request of the edge worker (Cloudflare's limit: 10 ms per request on the free plan).

    python3 benchmarks/bench_edge_cpu.py [--export int4@128] [--seed N] [--json cpu.json] [--skip-http]

One ``--target edge`` export of the default model. Two measurements, in the same run:
- in-process (web/scripts/edge_cpu.mjs): the worker module imported and ``fetch(Request)`` timed with
  ``process.cpuUsage()``, in Node (V8, the engine of workerd), Deno and Bun; the cold start is the CPU of
  importing the data modules, then of building the engine (base64 decode, flat parse, tokenizer) + the first
  request;
- over HTTP: the server's process-group CPU per request (/proc schedstat), in workerd (miniflare), Deno and
  Bun: this includes the runtime's HTTP work.
Per runtime: /embed at 1, 16 and 64 Cranfield texts (median and max of 50 after 10 warm-up requests); every
kind of the seeded hostile requests (web/scripts/edge_cases.mjs; the max over its requests, second pass);
valid but expensive requests inside the limits (median of 3 after a warm-up).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.proof import edge_runtimes  # noqa: E402
from exporter.targets import edge  # noqa: E402

SCRIPT = edge.web_dir() / "scripts" / "edge_cpu.mjs"
REFUSALS = ("malformed-json", "empty-body", "not-an-object", "not-utf8", "wrong-type", "token-ids", "oversized",
            "method", "path", "nesting")


def in_process(runtime: str, edge_dir: Path, texts: Path, seed: int, out: Path) -> dict | None:
    cmd = {"node": [str(edge_runtimes.binary("node"))],
           "deno": [str(edge_runtimes.binary("deno")), "run", "--allow-read", "--allow-write"],
           "bun": [str(edge_runtimes.binary("bun"))]}[runtime]
    if edge_runtimes.binary(cmd[0].split("/")[-1]) is None:
        return None
    proc = subprocess.run([*cmd, str(SCRIPT), str(edge_dir), str(texts), str(seed), str(out)],
                          capture_output=True, text=True, timeout=900, cwd=edge.web_dir(), env={"NO_COLOR": "1", "PATH": ""})
    if proc.returncode != 0:
        raise RuntimeError(f"{runtime}: {proc.stderr[-1000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def over_http(runtime: str, edge_dir: Path, texts: Path, seed: int, out: Path) -> dict | None:
    if edge_runtimes.missing(runtime):
        return None
    srv = edge_runtimes.start(runtime, edge_dir)
    try:
        proc = subprocess.run([str(edge_runtimes.binary("node")), str(SCRIPT), "--url", srv.url, str(srv.proc.pid),
                               str(texts), str(seed), str(out)], capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise RuntimeError(f"{runtime} over HTTP: {proc.stderr[-1000:]}")
    finally:
        srv.stop()
    return json.loads(out.read_text(encoding="utf-8"))


def report(rows: dict[str, dict]) -> str:
    lines = ["| runtime | cold: data modules | cold: engine + first /embed | /embed 1 text | 16 texts | 64 texts | worst refusal (kind) |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for name, r in rows.items():
        cold = r.get("cold") or {}
        b = r["batches"]
        worst = max(((k, v) for k, v in r["hostile"].items() if k in REFUSALS), key=lambda kv: kv[1]["max_ms"])
        cells = [f"{cold['import_ms']:.1f}" if cold else "–", f"{cold['first_ms']:.1f}" if cold else "–",
                 *(f"{b[n]['median_ms']:.2f} (max {b[n]['max_ms']:.1f})" for n in ("1", "16", "64")),
                 f"{worst[1]['max_ms']:.1f} ({worst[0]}: {worst[1]['worst']})"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    kinds = sorted({k for r in rows.values() for k in r["hostile"]})
    lines += ["", "Max CPU ms over each kind of hostile request:", "",
              "| kind | " + " | ".join(rows) + " |", "|---|" + "---:|" * len(rows)]
    for k in kinds:
        lines.append(f"| {k} ({next(r['hostile'][k]['n'] for r in rows.values() if k in r['hostile'])}) | "
                     + " | ".join(f"{r['hostile'][k]['max_ms']:.1f}" if k in r["hostile"] else "–" for r in rows.values()) + " |")
    names = list(next(iter(rows.values()))["expensive"])
    lines += ["", "Valid but expensive requests (CPU ms, median of 3):", "",
              "| request | body bytes | " + " | ".join(rows) + " |", "|---|---:|" + "---:|" * len(rows)]
    for n in names:
        any_row = next(iter(rows.values()))["expensive"][n]
        lines.append(f"| {n} | {any_row['bytes']:,} | " + " | ".join(f"{r['expensive'][n]['median_ms']:.0f}" for r in rows.values()) + " |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--export", default="int4@128", help="quant@dims of the export")
    ap.add_argument("--seed", type=int, default=None, help="hostile requests' seed (default: random, printed)")
    ap.add_argument("--skip-http", action="store_true", help="in-process only")
    ap.add_argument("--json", default=None, help="also write the numbers as JSON")
    args = ap.parse_args()
    from exporter.pipeline import export
    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir
    from exporter.sources.default_model import default_model_path

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    print(f"seed {seed}", file=sys.stderr)
    quant, dims = args.export.split("@")
    rows: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="edgembed-bench-cpu-") as tmp:
        work = Path(tmp)
        export(default_model_path(), work / "export", dims=int(dims), quant=quant, target="edge", demo=False)
        texts = work / "texts.json"
        texts.write_text(json.dumps(load_beir(DATA / "cranfield").doc_texts), encoding="utf-8")
        for rt in ("node", "deno", "bun"):
            r = in_process(rt, work / "export" / "edge", texts, seed, work / f"{rt}.json")
            if r:
                rows[f"{r['runtime']} (in-process)"] = r
                print(f"  {rt} in-process done", file=sys.stderr)
        if not args.skip_http:
            for rt in edge_runtimes.RUNTIMES:
                r = over_http(rt, work / "export" / "edge", texts, seed, work / f"{rt}-http.json")
                if r:
                    rows[f"{rt} (HTTP)"] = r
                    print(f"  {rt} over HTTP done", file=sys.stderr)
    print(f"**{args.export}**, seed {seed}\n")
    print(report(rows))
    for name, r in rows.items():
        for e in r.get("connection_errors", []):
            print(f"\n{name}: connection error (sent again): {e}")
    if args.json:
        Path(args.json).write_text(json.dumps({"seed": seed, "export": args.export, "rows": rows}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
