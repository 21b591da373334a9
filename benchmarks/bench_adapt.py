"""``edgembed index --adapt`` on the bundled collections written as sites (benchmarks/search_site.py): semantic
NDCG@10 of the default model's index vs the adapted index vs bm25s, with paired bootstrap intervals; the adapted
build's time and peak memory (a child process: resource.getrusage).

    python3 benchmarks/bench_adapt.py [--datasets cranfield,cisi] [--out results.json]

The feature cache is a fresh folder per run (XDG_CACHE_HOME), so the teacher's time is counted."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_search import bm25s_ranking  # noqa: E402
from exporter.proof.retrieval import load_beir  # noqa: E402
from search_site import beir_site  # noqa: E402


def ndcg10(ranked: list[list[str]], data) -> np.ndarray:
    disc = 1.0 / np.log2(np.arange(2, 12))
    out = []
    for qid, r in zip(data.query_ids, ranked):
        rel = data.qrels[qid]
        gains = [max(rel.get(d, 0), 0) for d in r[:10]]
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:10]
        out.append(float(np.dot(gains, disc[:len(gains)])) / float(np.dot(ideal, disc[:len(ideal)])))
    return np.array(out)


def bootstrap(a: np.ndarray, b: np.ndarray, seed: int, n: int = 2000) -> list[float]:
    """95 % interval of mean(a - b) over queries resampled with replacement."""
    rng = np.random.default_rng(seed)
    d = a - b
    means = d[rng.integers(0, len(d), size=(n, len(d)))].mean(1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def index(site: Path, out: Path, cache: Path, adapt: bool) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "exporter", "index", str(site), "--out", str(out), "--quiet"] + (["--adapt"] if adapt else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(proc.stderr[-2000:])
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": peak / 1024 if peak > before else None}


def run(name: str, work: Path, seed: int) -> dict:
    from exporter.search.query import SiteIndex

    data = load_beir(ROOT / "exporter" / "data" / name)
    site = work / name
    urls = beir_site(ROOT / "exporter" / "data" / name, site)
    res = {"dataset": name, "docs": len(data.doc_ids), "queries": len(data.query_ids)}
    scores = {"bm25s": ndcg10(bm25s_ranking(data), data)}
    for label, adapt in (("default", False), ("adapted", True)):
        res[f"{label}_build"] = index(site, work / f"{name}-{label}", work / f"cache-{name}", adapt)
        ix = SiteIndex(work / f"{name}-{label}")
        for mode in ("semantic", "hybrid"):
            ranked = [[urls[h["url"]] for h in ix.search(q, 10, mode, excerpts=False)] for q in data.query_texts]
            scores[f"{label}_{mode}"] = ndcg10(ranked, data)
    res["ndcg@10"] = {k: float(v.mean()) for k, v in scores.items()}
    res["adapted_minus_default_semantic"] = bootstrap(scores["adapted_semantic"], scores["default_semantic"], seed)
    res["adapted_semantic_minus_bm25s"] = bootstrap(scores["adapted_semantic"], scores["bm25s"], seed)
    res["adapted_minus_default_hybrid"] = bootstrap(scores["adapted_hybrid"], scores["default_hybrid"], seed)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="cranfield,cisi")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    ap.add_argument("--out", default=None, help="write the results as JSON")
    args = ap.parse_args()
    print(f"bootstrap seed {args.seed}", file=sys.stderr)
    out = []
    with tempfile.TemporaryDirectory(prefix="bench-adapt-") as tmp:
        for name in args.datasets.split(","):
            r = run(name, Path(tmp), args.seed)
            print(json.dumps(r), flush=True)
            out.append(r)
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
