"""The hybrid fusion weight of adapted indexes (``edgembed index --adapt``), chosen leave-one-set-out over cranfield,
cisi and the generators' sites, so that no reported number comes from a weight tuned on its own set.

For each set: the adapted index is built once (``--work`` keeps them between runs), hybrid search is run with each
weight of the grid (the index's ``fusion.weight``, what the browser reads too), and scored per query: NDCG@10 on
cranfield and cisi (the collection written as a site, benchmarks/search_site.py), page MRR@10 on the sites (the
hand-written questions of benchmarks/sites/). For each held-out set, the weight is the one with the best mean ratio
to bm25s over the other sets; the held-out set is scored at that weight, against the weight the default model uses
(build.FUSION_WEIGHT) and against bm25s, with paired bootstrap 95 % intervals (seed printed). The weight chosen on
all sets together is what build.ADAPTED_FUSION_WEIGHT ships.

    python3 benchmarks/tune_adapt_fusion.py [--work DIR] [--sets cranfield,cisi,hugo-httpx,...] [--out FILE.json]"""

from __future__ import annotations

import argparse
import json
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
from bench_search import bm25s_ranking  # noqa: E402
from bench_sites import SITES, bm25s_run, load_questions, norm, ranks, read_pages  # noqa: E402
from exporter.proof.retrieval import load_beir  # noqa: E402
from search_site import beir_site  # noqa: E402

GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
BEIR = ("cranfield", "cisi")


def built_index(site: Path, out: Path, adapt: bool = True) -> Path:
    if not (out / "index.json").is_file():
        r = subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--out", str(out), "--quiet",
                            *(["--adapt"] if adapt else [])],
                           capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if r.returncode:
            raise SystemExit(f"edgembed index --adapt {site} failed: {r.stderr[-2000:]}")
    return out


def set_scorer(name: str, work: Path):
    """SET's folder as a site (written into WORK the first time), bm25s' per-query scores, and a function scoring a
    SiteIndex's search in a mode: NDCG@10 on cranfield and cisi, page MRR@10 on the sites' hand-written questions."""
    site = work / name
    if name in BEIR:
        data = load_beir(ROOT / "exporter" / "data" / name)
        if not site.is_dir():
            beir_site(ROOT / "exporter" / "data" / name, site)
        queries = data.query_texts

        def score(ix, mode: str = "hybrid") -> np.ndarray:
            ranked = [[h["url"].removeprefix("/doc/").removesuffix(".html") for h in ix.search(q, 10, mode, excerpts=False)]
                      for q in queries]
            return ndcg10(ranked, data)
        return site, ndcg10(bm25s_ranking(data), data), score
    if not site.is_dir():
        site.mkdir(parents=True)
        with tarfile.open(SITES / f"{name}.tar.xz") as tar:
            tar.extractall(site, filter="data")
    questions = load_questions(name)
    queries = [q["query"] for q in questions]

    def score(ix, mode: str = "hybrid") -> np.ndarray:
        res = [[norm(h["anchor_url"]) for h in ix.search(q, limit=10, mode=mode, excerpts=False)] for q in queries]
        return ranks(res, questions)[0]
    return site, ranks(bm25s_run(read_pages(site), queries), questions)[0], score


def kept_scores(path: Path, make) -> dict[str, np.ndarray]:
    """A set's per-query scores kept in PATH (JSON) beside its indexes; MAKE() computes them when PATH is not there."""
    if not path.is_file():
        path.write_text(json.dumps({k: v.tolist() for k, v in make().items()}), encoding="utf-8")
    return {k: np.array(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def scores(name: str, work: Path) -> dict[str, np.ndarray]:
    """Per-query scores of bm25s, of the default model's index (semantic, hybrid), of the adapted index's semantic
    search and of its hybrid search at each weight of GRID."""
    from exporter.search.query import SiteIndex

    site, base, score = set_scorer(name, work)
    out = {"bm25s": base}
    default = SiteIndex(built_index(site, work / f"{name}-default", adapt=False))
    out["default semantic"], out["default hybrid"] = score(default, "semantic"), score(default)
    ix = SiteIndex(built_index(site, work / f"{name}-adapted"))
    out["adapted semantic"] = score(ix, "semantic")
    for w in GRID:
        ix.meta["fusion"]["weight"] = w
        out[str(w)] = score(ix)
    return out


def main() -> int:
    from exporter.search.build import FUSION_WEIGHT

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/edgembed-tune-adapt", help="where the sites and adapted indexes are kept")
    ap.add_argument("--sets", default=",".join(tuple(sorted(p.name[:-len(".tar.xz")] for p in SITES.glob("*.tar.xz"))) + BEIR))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    print(f"bootstrap seed {args.seed}", file=sys.stderr)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    names = args.sets.split(",")
    per = {}
    for n in names:
        print(f"{n} ...", file=sys.stderr, flush=True)
        per[n] = kept_scores(work / f"{n}-scores.json", lambda: scores(n, work))  # --sets may add sets later
    ratio = {n: {w: float(per[n][str(w)].mean() / max(per[n]["bm25s"].mean(), 1e-9)) for w in GRID} for n in names}

    def best(sets: list[str]) -> float:
        return max(GRID, key=lambda w: (np.mean([ratio[s][w] for s in sets]), -abs(w - FUSION_WEIGHT)))

    means = {n: {k: float(v.mean()) for k, v in per[n].items()} for n in names}
    res = {"means": means, "grid": GRID, "metric": {n: "ndcg@10" if n in BEIR else "mrr@10" for n in names}, "seed": args.seed,
           "ratio_to_bm25s": ratio, "all_sets_weight": best(names), "held_out": {}}
    for n in names:
        w = best([s for s in names if s != n])
        a, d, b = per[n][str(w)], per[n][str(FUSION_WEIGHT)], per[n]["bm25s"]
        res["held_out"][n] = {"weight": w, "score": float(a.mean()), "score_at_default_weight": float(d.mean()),
                              "bm25s": float(b.mean()), "ratio": float(a.mean() / max(b.mean(), 1e-9)),
                              "minus_default_weight": bootstrap(a, d, args.seed), "minus_bm25s": bootstrap(a, b, args.seed)}
    print(json.dumps(res, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
