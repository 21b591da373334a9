"""Hybrid search with and without keyword feedback on the same indexes: the six generators' sites (page MRR@10 of
their hand-written questions, as bench_sites.py scores them) and any cranfield / cisi index (NDCG@10), e.g. an
adapted one (``edgembed index --adapt``). Paired bootstrap 95 % intervals of on − off (seed printed). Feedback off =
``index.json``'s ``fusion.feedback_docs`` 0, what an index built before the setting does.

    python3 benchmarks/ablate_feedback.py [--work DIR] [--sites a,b] [--beir cranfield=INDEX --beir cisi=INDEX]"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_adapt import bootstrap, ndcg10  # noqa: E402
from bench_sites import SITES, load_questions, norm, ranks  # noqa: E402

SEED = 0


def on_off(ix, score) -> tuple[np.ndarray, np.ndarray]:
    fusion = dict(ix.meta["fusion"])
    on = score(ix)
    ix.meta["fusion"] = {**fusion, "feedback_docs": 0}
    off = score(ix)
    ix.meta["fusion"] = fusion
    return on, off


def main() -> int:
    from exporter.proof.retrieval import load_beir
    from exporter.search.query import SiteIndex

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/edgembed-ablate-feedback")
    ap.add_argument("--sites", default=",".join(sorted(p.name[:-len(".tar.xz")] for p in SITES.glob("*.tar.xz"))))
    ap.add_argument("--beir", action="append", default=[], help="NAME=INDEX_FOLDER (cranfield or cisi written as a site)")
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    print(f"bootstrap seed {SEED}")
    pooled_on, pooled_off = [], []
    for name in [s for s in a.sites.split(",") if s]:
        site, index = work / name, work / f"{name}-index"
        if not site.is_dir():
            site.mkdir()
            with tarfile.open(SITES / f"{name}.tar.xz") as tar:
                tar.extractall(site, filter="data")
        if not (index / "index.json").is_file():
            subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--out", str(index), "--quiet"], check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
        qs = load_questions(name)
        on, off = on_off(SiteIndex(index), lambda ix: ranks([[norm(h["anchor_url"]) for h in ix.search(
            q["query"], limit=10, mode="hybrid", excerpts=False)] for q in qs], qs)[0])
        pooled_on.append(on)
        pooled_off.append(off)
        print(f"{name}: hybrid MRR@10 feedback on {on.mean():.3f}, off {off.mean():.3f}, on − off "
              f"{on.mean() - off.mean():+.3f} {bootstrap(on, off, SEED)}", flush=True)
    if pooled_on:
        on, off = np.concatenate(pooled_on), np.concatenate(pooled_off)
        print(f"all sites ({len(on)} questions): on {on.mean():.3f}, off {off.mean():.3f}, on − off {on.mean() - off.mean():+.3f} "
              f"{bootstrap(on, off, SEED)}")
    for spec in a.beir:
        name, folder = spec.split("=", 1)
        data = load_beir(ROOT / "exporter" / "data" / name)
        ix = SiteIndex(folder)
        on, off = on_off(ix, lambda ix: ndcg10([[h["url"].removeprefix("/doc/").removesuffix(".html") for h in ix.search(
            q, 10, "hybrid", excerpts=False)] for q in data.query_texts], data))
        print(f"{name} ({folder}, fusion weight {ix.meta['fusion']['weight']}): hybrid NDCG@10 feedback on {on.mean():.4f}, "
              f"off {off.mean():.4f}, on − off {on.mean() - off.mean():+.4f} {bootstrap(on, off, SEED)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
