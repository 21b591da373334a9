"""The edge worker: gzipped size per quant and dims; cold start and texts/s in workerd, Deno and Bun next to Node.

    python3 benchmarks/bench_edge.py [--runs 3] [--seconds 3] [--batch 64] [--json edge.json] [--skip-sizes]

Sizes: ``--target edge --no-demo`` exports of the default model (29525 x 256 distilled all-MiniLM-L6-v2) for
fp32, fp16, int8 and int4 at dims 256 and 128; the size is the total gzip -9 bytes of edge/*.mjs (what the
Cloudflare Workers limits count: 3 MiB free, 10 MiB paid).

Speed, per export in --exports (default int8@256 and int4@128), in the same run:
- Node: plain ``fromArtifacts`` from web/runtime in a fresh ``node`` process (files read from disk, no HTTP);
- workerd (the worker under miniflare, started by node), Deno (``deno serve``), Bun (``Bun.serve``): the
  exported worker, over HTTP on 127.0.0.1.
Cold start = wall time from spawning the process to the first embedding answered (median of --runs fresh
starts); "up" = to the first answer of GET / (the runtime and worker loaded, the model not yet decoded). texts/s = Cranfield documents (the bundled exporter/data/cranfield) embedded in
batches of --batch, back to back for --seconds, one client: for the workers that includes HTTP and JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.targets import edge
from exporter.proof import edge_runtimes  # noqa: E402
from exporter.pipeline import export  # noqa: E402

SIZE_QUANTS = ("fp32", "fp16", "int8", "int4")
SIZE_DIMS = (256, 128)
RUNTIMES = ("node", *edge_runtimes.RUNTIMES)
PROBE = {"texts": ["hello world"]}


def corpus(limit: int = 1400) -> list[str]:
    """The first LIMIT documents of the bundled Cranfield corpus (exporter/data)."""
    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir

    return load_beir(DATA / "cranfield").doc_texts[:limit]


def sizes(model, work: Path) -> list[dict]:
    rows = []
    for dims in SIZE_DIMS:
        for quant in SIZE_QUANTS:
            out = work / f"size-{quant}-{dims}"
            export(model, out, dims=dims, quant=quant, target="edge", demo=False)
            rows.append({"quant": quant, "dims": dims, "flat_bytes": (out / "model.edgembed").stat().st_size,
                         "worker_gzip": edge.gzip_size(out / "edge")})
            print(f"  size {quant}@{dims}: {rows[-1]['worker_gzip']:,} bytes gzipped", file=sys.stderr)
    return rows


def node_run(folder: Path, texts_file: Path, batch: int, seconds: float) -> tuple[float, dict | None]:
    """(cold start s, throughput or None): a fresh node process with plain fromArtifacts."""
    cmd = [str(edge_runtimes.binary("node")), str(edge.web_dir() / "scripts" / "edge_node_bench.mjs"), str(folder),
           str(texts_file), str(batch), str(seconds)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=edge.web_dir())
    try:
        line = proc.stdout.readline()
        cold = time.perf_counter() - t0
        if line.strip() != "ready":
            raise RuntimeError(f"node bench failed: {proc.stderr.read()[-1000:]}")
        stats = json.loads(proc.stdout.readline())
        proc.wait(60)
        return cold, stats
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def worker_throughput(server: edge_runtimes.Server, texts: list[str], batch: int, seconds: float) -> dict:
    """Batches POSTed back to back; answers checked once, then only their status (the client's JSON parsing
    is not the worker's time)."""
    chunks = [texts[i:i + batch] for i in range(0, len(texts), batch)]
    bodies = [json.dumps({"texts": c}).encode() for c in chunks]
    status, _, res = edge_runtimes.request(server.url + "/embed", "POST", bodies[0])  # warm
    if status != 200 or len(json.loads(res)["embeddings"]) != len(chunks[0]):
        raise RuntimeError(f"{server.runtime}: /embed answered {status}: {res[:300]!r}")
    n = k = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        status, _, res = edge_runtimes.request(server.url + "/embed", "POST", bodies[k % len(bodies)])
        if status != 200:
            raise RuntimeError(f"{server.runtime}: /embed answered {status}: {res[:300]!r}")
        n += len(chunks[k % len(chunks)])
        k += 1
    return {"texts": n, "seconds": time.perf_counter() - t0}


def speed(folder: Path, texts: list[str], runs: int, batch: int, seconds: float, work: Path) -> dict:
    texts_file = work / "texts.json"
    texts_file.write_text(json.dumps(texts), encoding="utf-8")
    out = {}
    for rt in RUNTIMES:
        why = edge_runtimes.missing(rt)
        if why:
            print(f"  {rt}: skipped ({why})", file=sys.stderr)
            continue
        colds, ups, stats = [], [], None
        for r in range(runs):
            if rt == "node":
                cold, st = node_run(folder, texts_file, batch, seconds if r == runs - 1 else 0)
                colds.append(cold)
                stats = st
                continue
            srv = edge_runtimes.start(rt, folder / "edge")  # returns once GET / answers: the runtime is up
            try:
                ups.append(time.perf_counter() - srv.started)
                status, _, res = edge_runtimes.request(srv.url + "/embed", "POST", json.dumps(PROBE).encode())
                colds.append(time.perf_counter() - srv.started)
                if status != 200:
                    raise RuntimeError(f"{rt}: /embed answered {status}: {res[:300]!r}")
                if r == runs - 1:
                    stats = worker_throughput(srv, texts, batch, seconds)
            finally:
                srv.stop()
        out[rt] = {"cold_start_s": statistics.median(colds), "cold_starts_s": colds,
                   "up_s": statistics.median(ups) if ups else None,
                   "texts_per_s": stats["texts"] / stats["seconds"]}
        print(f"  {rt}: cold {out[rt]['cold_start_s'] * 1000:.0f} ms, {out[rt]['texts_per_s']:,.0f} texts/s", file=sys.stderr)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="fresh starts per runtime (cold start: their median)")
    ap.add_argument("--seconds", type=float, default=3.0, help="throughput: seconds per runtime")
    ap.add_argument("--batch", type=int, default=64, help="texts per request")
    ap.add_argument("--exports", default="int8@256,int4@128", help="quant@dims list for the speed runs")
    ap.add_argument("--skip-sizes", action="store_true")
    ap.add_argument("--json", default=None, help="also write the numbers as JSON")
    args = ap.parse_args()
    from exporter.sources.default_model import default_model_path

    model = default_model_path()
    texts = corpus()
    result: dict = {"sizes": [], "speed": {}}
    with tempfile.TemporaryDirectory(prefix="edgembed-bench-edge-") as tmp:
        work = Path(tmp)
        if not args.skip_sizes:
            result["sizes"] = sizes(model, work)
        for spec in args.exports.split(","):
            quant, dims = spec.split("@")
            folder = work / f"speed-{quant}-{dims}"
            export(model, folder, dims=int(dims), quant=quant, target="edge", demo=False)
            print(f"speed {spec}:", file=sys.stderr)
            result["speed"][spec] = speed(folder, texts, args.runs, args.batch, args.seconds, work)
    print(report(result, len(texts), args))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def report(result: dict, n_texts: int, args) -> str:
    lines = []
    if result["sizes"]:
        lines += ["| dims | quant | model.edgembed | worker, gzipped | Workers free (3 MiB) | Workers paid (10 MiB) |",
                  "|---:|---|---:|---:|:-:|:-:|"]
        for r in result["sizes"]:
            g = r["worker_gzip"]
            lines.append(f"| {r['dims']} | {r['quant']} | {r['flat_bytes']:,} | {g:,} | "
                         f"{'yes' if g <= edge.FREE_LIMIT else 'no'} | {'yes' if g <= edge.PAID_LIMIT else 'no'} |")
        lines.append("")
    for spec, rows in result["speed"].items():
        base = rows.get("node")
        lines += [f"**{spec}** ({n_texts} Cranfield texts, batches of {args.batch}, median cold start of {args.runs})", "",
                  "| runtime | up (GET /) | cold start (first embedding) | × Node | texts/s | × Node |",
                  "|---|---:|---:|---:|---:|---:|"]
        for rt, r in rows.items():
            c = f"{r['cold_start_s'] / base['cold_start_s']:.2f}" if base else "–"
            t = f"{r['texts_per_s'] / base['texts_per_s']:.2f}" if base else "–"
            up = f"{r['up_s'] * 1000:,.0f} ms" if r.get("up_s") is not None else "–"
            lines.append(f"| {rt} | {up} | {r['cold_start_s'] * 1000:,.0f} ms | {c} | {r['texts_per_s']:,.0f} | {t} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
