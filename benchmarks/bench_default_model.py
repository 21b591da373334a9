"""A candidate default model against today's, with no adaptation: semantic NDCG@10 on cranfield and cisi (the model
alone, exhaustive cosine, as bench_search.py's "default model alone"), and semantic and hybrid MRR@10 on the real
generators' sites (`edgembed index --model`, int8, as bench_sites.py), each with a paired bootstrap interval of the
candidate minus today's default (seed printed).

    python3 benchmarks/bench_default_model.py CANDIDATE [CANDIDATE ...] [--base DIR] [--sites a,b] [--dev] [--out FILE.json]

A CANDIDATE is a model folder `edgembed export` reads (e.g. what scripts/build_default_model.py --out writes).
--dev scores the development sites (benchmarks/dev, as rank_dev.py reads them) instead of the report sites: where a
candidate's loss on a report site is looked into without tuning on that site."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_adapt import bootstrap, ndcg10  # noqa: E402
from bench_sites import SITES, edgembed_run, load_questions, ranks, read_questions  # noqa: E402
from exporter.proof.retrieval import load_beir  # noqa: E402


def beir_scores(model: str | None, name: str) -> np.ndarray:
    """Per-query semantic NDCG@10 of MODEL (None: today's default) on the bundled collection NAME."""
    from exporter.formats.pooling import mean_rows
    from exporter.formats.quantize import quantize
    from exporter.sources.loading import load_model
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    data = load_beir(ROOT / "exporter" / "data" / name)
    m = load_model(model)
    tok = load_tokenizer(m.tokenizer_json)
    table = quantize(np.asarray(m.table, np.float32), "fp32")
    q = mean_rows(table, encode_ids(tok, data.query_texts), True)
    d = mean_rows(table, encode_ids(tok, data.doc_texts), True)
    q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-12)
    top = np.argsort(-(q @ d.T), axis=1, kind="stable")[:, :10]
    return ndcg10([[data.doc_ids[i] for i in row] for row in top], data)


def report_sites(names: list[str], work: Path) -> dict[str, tuple[Path, list[dict]]]:
    """{name: (the site's folder, its questions)} of the report sites NAMES (tests/data/sites, unpacked in WORK)."""
    out = {}
    for name in names:
        site = work / name
        site.mkdir()
        with tarfile.open(SITES / f"{name}.tar.xz") as tar:
            tar.extractall(site, filter="data")
        out[name] = (site, load_questions(name))
    return out


def dev_sites(work: Path) -> dict[str, tuple[Path, list[dict]]]:
    """The development sites (benchmarks/dev; rank_dev.py's reading) with their questions."""
    from rank_dev import sites

    return {name: (site, read_questions(q)) for name, (site, q) in sites(work).items()}


def site_scores(models: dict[str, str | None], sites: dict[str, tuple[Path, list[dict]]],
                work: Path) -> dict[str, dict[str, np.ndarray]]:
    """{site: {label mode: per-question reciprocal rank}} for each model (exported int8, then indexed)."""
    from exporter.pipeline import export

    exports = {}
    for label, model in models.items():
        exports[label] = work / f"export-{label}"
        export(model, exports[label], quant="int8", demo=False)
    out = {}
    for name, (site, questions) in sites.items():
        out[name] = {}
        for label, ex in exports.items():
            res, _ = edgembed_run(site, work / f"{name}-{label}", ex, [q["query"] for q in questions])
            for mode in ("semantic", "hybrid"):
                out[name][f"{label} {mode}"] = ranks(res[mode], questions)[0]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("candidates", nargs="+", help="model folders")
    ap.add_argument("--base", default=None, help="the model to beat (default: today's shipped default)")
    ap.add_argument("--datasets", default="cranfield,cisi")
    ap.add_argument("--sites", default=None, help="comma-separated site names (default: every tests/data/sites archive)")
    ap.add_argument("--dev", action="store_true", help="the development sites (benchmarks/dev) instead of the report sites")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    ap.add_argument("--out", default=None, help="write the results as JSON")
    args = ap.parse_args()
    print(f"bootstrap seed {args.seed}, 2,000 resamples", flush=True)
    models = {"base": args.base, **{f"c{i}": c for i, c in enumerate(args.candidates)}}
    names = args.sites.split(",") if args.sites is not None else sorted(p.name[:-len(".tar.xz")] for p in SITES.glob("*.tar.xz"))
    rows = []

    def compare(where: str, metric: str, scores: dict[str, np.ndarray], mode: str = "") -> None:
        sfx = f" {mode}" if mode else ""
        base = scores["base" + sfx]
        for i, c in enumerate(args.candidates):
            new = scores[f"c{i}" + sfx]
            lo, hi = bootstrap(new, base, args.seed)
            rows.append({"set": where, "metric": metric, "candidate": c, "base": float(base.mean()),
                         "new": float(new.mean()), "diff": float(new.mean() - base.mean()), "lo": lo, "hi": hi})
            print(f"{where:20s} {metric:14s} {Path(c).name:24s} {base.mean():.3f} -> {new.mean():.3f} "
                  f"{new.mean() - base.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]", flush=True)

    for name in [d for d in args.datasets.split(",") if d]:
        compare(name, "ndcg@10 sem", {k: beir_scores(m, name) for k, m in models.items()})
    work = Path(tempfile.mkdtemp(prefix="edgembed-bench-default-"))
    try:
        if args.dev or names != [""]:
            per_site = site_scores(models, dev_sites(work) if args.dev else report_sites(names, work), work)
            for mode in ("semantic", "hybrid"):
                for name, sc in per_site.items():
                    compare(name, f"mrr@10 {mode[:3]}", sc, mode)
                compare("sites pooled", f"mrr@10 {mode[:3]}",
                        {k: np.concatenate([sc[k] for sc in per_site.values()]) for k in next(iter(per_site.values()))}, mode)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"seed": args.seed, "rows": rows}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
