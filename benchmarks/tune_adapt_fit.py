"""Settings of the ``--adapt`` fit (exporter/search/adapt.py) on the development sites only (never the report sets).

    python3 benchmarks/tune_adapt_fit.py --work DIR --variant "" --variant base --variant reg=0.1 --variant fits=3 ...

Sites and questions: benchmarks/rank_dev.py's (pip-md, uvicorn-material, requests-sphinx; written before any system
ran on them). Each variant ("base": the default model, no --adapt; "": the shipped fit) sets adapt.py's module
parameters (``reg`` REG, ``sent`` SENTENCES, ``fits`` FITS, ``min`` MIN_COUNT, ``lr``, ``patience``), builds an
adapted index of each site (kept in WORK: a re-run reuses it; the teacher's features come from the user feature cache, so the teacher runs
once per text) and scores page MRR@10 of semantic search and of hybrid search at fusion weights 1, 2, 3 and 4, per
site and pooled, with the paired difference to bm25s and to the first variant (95 % bootstrap, seed printed)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from rank_dev import SEED, bm25s_rr, rr, sites  # noqa: E402
from rank_search import paired  # noqa: E402

WEIGHTS = (1.0, 2.0, 3.0, 4.0)
PARAMS = {"reg": "REG", "lr": "LR", "patience": "PATIENCE", "min": "MIN_COUNT", "sent": "SENTENCES", "fits": "FITS"}


def moved(index: Path) -> dict[str, list[float]]:
    """How far the fit moved the rows of INDEX's adapted model from the default model's: the median of each row's move
    over its base row's norm, and the median cosine of a row to its base row."""
    from exporter.sources.loading import load_model, read_safetensors

    t = read_safetensors(index / "adapted" / "model.safetensors")
    base = load_model(None).table[t["ids"]].astype(np.float32)
    rows = t["rows"].astype(np.float32)
    nb, nr = np.linalg.norm(base, axis=1), np.linalg.norm(rows, axis=1)
    return {"move": [float(np.median(np.linalg.norm(rows - base, axis=1) / np.maximum(nb, 1e-9)))],
            "cos": [float(np.median((rows * base).sum(1) / np.maximum(nb * nr, 1e-9)))]}


def variant_scores(variant: str, site: Path, qs: list[dict], work: Path) -> dict[str, list[float]]:
    from exporter.search import adapt, build
    from exporter.search.query import SiteIndex

    out = work / variant.replace("=", "").replace(",", "_")
    kept = out / "scores.json"
    if kept.is_file():
        res = json.loads(kept.read_text(encoding="utf-8"))
        if variant != "base" and "move" not in res:  # scores kept by an earlier version of this script
            res.update(moved(out / "index"))
            kept.write_text(json.dumps(res), encoding="utf-8")
        return res
    saved = {k: getattr(adapt, v) for k, v in PARAMS.items() if hasattr(adapt, v)}
    try:
        for kv in filter(None, variant.split(",")) if variant != "base" else ():
            k, v = kv.split("=")
            setattr(adapt, PARAMS[k], type(saved[k])(float(v)))
        t0 = time.process_time()
        build.build_index(site, out / "index", adapt=None if variant == "base" else {}, progress=False, force=True)
        cpu = time.process_time() - t0
    finally:
        for k, v in saved.items():
            setattr(adapt, PARAMS[k], v)
    ix = SiteIndex(out / "index")
    res = {"semantic": [rr([h["url"] for h in ix.search(q["query"], 10, "semantic", excerpts=False)], q["answers"])
                        for q in qs], "cpu_s": [cpu]}
    for w in WEIGHTS:
        ix.meta["fusion"]["weight"] = w
        res[f"hybrid {w:g}"] = [rr([h["url"] for h in ix.search(q["query"], 10, "hybrid", excerpts=False)],
                                   q["answers"]) for q in qs]
    res["bm25s"] = bm25s_rr(ix, qs).tolist()
    if variant != "base":
        res.update(moved(out / "index"))
    kept.write_text(json.dumps(res), encoding="utf-8")
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--variant", action="append", required=True, help='e.g. "reg=0.1" ("" = the shipped fit)')
    a = ap.parse_args()
    print(f"bootstrap seed {SEED}")
    rng = np.random.default_rng(SEED)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    per: dict[str, dict[str, dict]] = {}
    for name, (site, qfile) in sites(work / "sites").items():
        qs = [json.loads(ln) for ln in qfile.read_text(encoding="utf-8").splitlines() if ln.strip()]
        for v in a.variant:
            per.setdefault(v, {})[name] = variant_scores(v, site, qs, work / name)
            r = per[v][name]
            moved = f", rows moved {r['move'][0]:.3f} (median, relative), cosine {r['cos'][0]:.3f}" if "move" in r else ""
            print(f"{name} {v or 'shipped'}: cpu {r['cpu_s'][0]:.0f} s{moved}", flush=True)
    names = sorted(per[a.variant[0]])
    bm = np.concatenate([per[a.variant[0]][n]["bm25s"] for n in names])
    print(f"pooled bm25s {bm.mean():.3f}; " + " ".join(f"{n} {np.mean(per[a.variant[0]][n]['bm25s']):.3f}" for n in names))
    first = a.variant[0]
    for key in ["semantic"] + [f"hybrid {w:g}" for w in WEIGHTS]:
        ref = np.concatenate([per[first][n][key] for n in names])
        for v in a.variant:
            got = np.concatenate([per[v][n][key] for n in names])
            c, d = paired(got, bm, rng), paired(got, ref, rng)
            print(f"{key:10s} {v or 'shipped':24s} pooled {got.mean():.3f} ratio {got.mean() / bm.mean():.3f} "
                  f"vs bm25s {c['diff']:+.3f} [{c['lo']:+.3f},{c['hi']:+.3f}] vs first {d['diff']:+.3f} "
                  f"[{d['lo']:+.3f},{d['hi']:+.3f}]; " + " ".join(f"{n} {np.mean(per[v][n][key]):.3f}" for n in names))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
