"""What a chunk's vector embeds, chosen on the development sites only (benchmarks/dev, 98 questions, MRR@10; never a
report set), with cranfield and cisi (NDCG@10) as the guard: each variant's indexes are built with the default model
(or, with --adapt, `edgembed index --adapt`) and searched in hybrid and semantic mode; printed, per set and pooled
over the development sites, each variant against "plain" with a paired bootstrap 95 % interval (10,000 resamples,
seed printed).

Variants (build.embed_text's composition of a chunk's text; token rows are averaged, so order does not matter):
plain = title heading text (before 2026-12-07); twice = title and heading twice, then the text (shipped);
heading2 = the heading twice; thrice = title and heading three times; notitle = heading and text.

    python3 benchmarks/embed_text_dev.py [--work DIR] [--variants plain,twice,...] [--adapt]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_adapt import ndcg10  # noqa: E402
from bench_sites import read_questions  # noqa: E402
from rank_dev import SEED, rr, sites  # noqa: E402
from rank_search import model_or_default, paired  # noqa: E402
from search_site import beir_site  # noqa: E402


def _join(*parts: str) -> str:
    return " ".join(x for x in parts if x)


VARIANTS = {
    "plain": lambda t, h, x: _join(t, h, x),
    "twice": lambda t, h, x: _join(t, h, t, h, x),
    "heading2": lambda t, h, x: _join(t, h, h, x),
    "thrice": lambda t, h, x: _join(t, h, t, h, t, h, x),
    "notitle": lambda t, h, x: _join(h, x) or t,
}
BEIR = ("cranfield", "cisi")


def main() -> int:
    from exporter.proof.retrieval import load_beir
    from exporter.search import build
    from exporter.search.query import SiteIndex

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/edgembed-embed-text")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--adapt", action="store_true", help="adapted indexes (needs the distill extra)")
    args = ap.parse_args()
    names = args.variants.split(",")
    if "plain" not in names or any(v not in VARIANTS for v in names):
        raise SystemExit(f"--variants: a comma-separated list of {', '.join(VARIANTS)}, with plain")
    print(f"bootstrap seed {SEED}")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    model = None if args.adapt else str(model_or_default(
        str(work / "model") if (work / "model" / "manifest.json").is_file() else None, work))
    dev = {n: (site, read_questions(q)) for n, (site, q) in sites(work).items()}
    keep = build.embed_text
    res: dict[tuple[str, str, str], np.ndarray] = {}
    try:
        for v in names:
            build.embed_text = VARIANTS[v]
            for n in list(dev) + list(BEIR):
                if n in dev:
                    site = dev[n][0]
                else:
                    site = work / n
                    if not site.is_dir():
                        beir_site(ROOT / "exporter" / "data" / n, site)
                out = work / f"{'ad-' if args.adapt else ''}{v}-{n}"
                if not (out / "index.json").is_file():
                    build.build_index(site, out, model=model, progress=False, adapt={} if args.adapt else None)
                ix = SiteIndex(out)
                for mode in ("hybrid", "semantic"):
                    if n in dev:
                        res[(v, n, mode)] = np.asarray([rr([h["url"] for h in ix.search(q["query"], 10, mode, excerpts=False)],
                                                           q["answers"]) for q in dev[n][1]])
                    else:
                        data = load_beir(ROOT / "exporter" / "data" / n)
                        res[(v, n, mode)] = ndcg10([[h["url"].removeprefix("/doc/").removesuffix(".html")
                                                     for h in ix.search(q, 10, mode, excerpts=False)]
                                                    for q in data.query_texts], data)
            print(v, " ".join(f"{n} {m} {res[(v, n, m)].mean():.4f}" for n in list(dev) + list(BEIR)
                              for m in ("hybrid", "semantic")), flush=True)
    finally:
        build.embed_text = keep
    rng = np.random.default_rng(SEED)
    for v in names:
        if v == "plain":
            continue
        for mode in ("hybrid", "semantic"):
            a = np.concatenate([res[(v, n, mode)] for n in dev])
            b = np.concatenate([res[("plain", n, mode)] for n in dev])
            c = paired(a, b, rng)
            guard = " ".join(f"{n} {res[(v, n, mode)].mean() - res[('plain', n, mode)].mean():+.4f}" for n in BEIR)
            print(f"{v} {mode}: development sites pooled {a.mean():.4f} against {b.mean():.4f}, {c['diff']:+.4f} "
                  f"[{c['lo']:+.4f}, {c['hi']:+.4f}]; {guard}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
