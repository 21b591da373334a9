"""Site search ranking against bm25s on cranfield and cisi, per query, with paired bootstrap intervals.

    python3 benchmarks/rank_search.py [--model EXPORT] [--datasets cranfield,cisi] [--tune] [--out FILE.json]

The queries of each collection are split by position: even positions are the development half (what --tune looks
at), odd positions the held-out half; cisi is not tuned on at all. Reported per collection and half:

- NDCG@10 of bm25s (k1 1.2, b 0.75, its English stop words, Snowball), of edgembed keyword and hybrid (the real index,
  queried through SiteIndex: weak words, typo correction, identifiers, per-term quantized impacts), each paired
  against bm25s (mean difference and 95 % bootstrap interval, 10,000 resamples, seed printed);
- the cost of quantization: NDCG@10 of float BM25F over edgembed's own terms and chunks against the stored impacts
  (per-term 8 bits) and against the index-wide 8-bit scale of format version 1, paired, and the number of queries
  whose top 10 holds tied scores;
- --tune: float BM25F NDCG@10 on the development half of cranfield for title weights 1, 1.5, 2, 3, 4.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from exporter.proof.retrieval import load_beir  # noqa: E402
from search_site import beir_site  # noqa: E402

SEED = 20261206


def ndcg_per_query(ranked: list[list[str]], data, qids: list[str]) -> np.ndarray:
    disc = 1.0 / np.log2(np.arange(2, 12))
    out = []
    for qid, r in zip(qids, ranked):
        rel = data.qrels[qid]
        gains = [max(rel.get(d, 0), 0) for d in r[:10]]
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:10]
        out.append(float(np.dot(gains, disc[: len(gains)])) / float(np.dot(ideal, disc[: len(ideal)])))
    return np.asarray(out)


def paired(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, n: int = 10000) -> dict:
    """Mean of a - b with its 95 % paired bootstrap interval."""
    d = a - b
    idx = rng.integers(0, len(d), size=(n, len(d)))
    means = d[idx].mean(axis=1)
    return {"diff": float(d.mean()), "lo": float(np.quantile(means, 0.025)), "hi": float(np.quantile(means, 0.975))}


def bm25s_rank(data, qi: list[int]) -> list[list[str]]:
    import bm25s
    import Stemmer

    stem = Stemmer.Stemmer("english")
    ret = bm25s.BM25(k1=1.2, b=0.75)
    ret.index(bm25s.tokenize(data.doc_texts, stopwords="en", stemmer=stem, show_progress=False), show_progress=False)
    res, _ = ret.retrieve(bm25s.tokenize([data.query_texts[i] for i in qi], stopwords="en", stemmer=stem,
                                         show_progress=False), k=10, show_progress=False)
    return [[data.doc_ids[i] for i in row] for row in res]


def corpus(folder: Path) -> tuple[list[str], list[str], list[str]]:
    ids, titles, texts = [], [], []
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            ids.append(str(o["_id"]))
            titles.append(str(o.get("title") or ""))
            texts.append(str(o.get("text") or ""))
    return ids, titles, texts


def float_scores(folder: Path, queries: list[str], title_weight: float, kind: str) -> tuple[list[str], np.ndarray]:
    """Scores [queries, docs] of BM25F over edgembed's terms: KIND "float", "term8" (stored impacts) or "global8"."""
    from exporter.search.analyze import Analyzer
    from exporter.search.build import _bm25, _impacts, _Postings

    an = Analyzer()
    ids, titles, texts = corpus(folder)
    p = _Postings(title_weight=title_weight)
    for t, x in zip(titles, texts):
        title = " ".join(t.split()) or ""
        p.add(an.terms(title) if title else [], [], an.terms(" ".join(x.split())))
    if kind == "term8":
        term, chunk, imp, _, tmax = _impacts(p)
        s = imp.astype(np.float64) * (tmax.astype(np.float64)[term] / 255.0)
    else:
        term, chunk, s, _ = _bm25(p)
        if kind == "global8":
            s = np.clip(np.rint(s / s.max() * 255.0), 1, 255)
    post: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    bounds = np.flatnonzero(np.diff(np.concatenate([[-1], term, [len(p.vocab) + 1]]))) if len(term) else []
    for a, b in zip(bounds[:-1], bounds[1:]):
        post[int(term[a])] = (chunk[a:b], s[a:b])
    out = np.zeros((len(queries), len(ids)))
    for qi, q in enumerate(queries):
        counts: dict[str, int] = {}
        for t in an.terms(q):
            counts[t] = counts.get(t, 0) + 1
        for t, m in counts.items():
            if t in p.vocab and p.vocab[t] in post:
                c, v = post[p.vocab[t]]
                out[qi, c] += m * v
    return ids, out


def top10(ids: list[str], scores: np.ndarray) -> tuple[list[list[str]], int]:
    ranked, tied = [], 0
    order = np.arange(scores.shape[1])
    for row in scores:
        best = order[np.lexsort((order, -row))][:10]
        best = best[row[best] > 0]
        ranked.append([ids[i] for i in best])
        v = row[best]
        tied += int(len(np.unique(v)) < len(v))
    return ranked, tied


def run(name: str, model: Path, work: Path, tune: bool, rng: np.random.Generator) -> dict:
    from exporter.search.build import TITLE_WEIGHT, build_index
    from exporter.search.query import SiteIndex

    folder = ROOT / "exporter" / "data" / name
    data = load_beir(folder)
    halves = {"dev": list(range(0, len(data.query_ids), 2)), "test": list(range(1, len(data.query_ids), 2))}
    out: dict = {"dataset": name, "docs": len(data.doc_ids), "queries": len(data.query_ids)}
    if tune:
        qi = halves["dev"]
        qs = [data.query_texts[i] for i in qi]
        qids = [data.query_ids[i] for i in qi]
        out["tune_title_weight"] = {}
        for w in (1.0, 1.5, 2.0, 3.0, 4.0):
            ids, s = float_scores(folder, qs, w, "float")
            out["tune_title_weight"][str(w)] = float(ndcg_per_query(top10(ids, s)[0], data, qids).mean())
        print(name, "dev half, float BM25F NDCG@10 by title weight:", out["tune_title_weight"], flush=True)
    site = work / name
    urls = beir_site(folder, site)
    build_index(site, site / "_edgembed", model=str(model), progress=False)
    ix = SiteIndex(site / "_edgembed")
    for half, qi in halves.items():
        qs = [data.query_texts[i] for i in qi]
        qids = [data.query_ids[i] for i in qi]
        res: dict = {"queries": len(qi)}
        base = ndcg_per_query(bm25s_rank(data, qi), data, qids)
        res["bm25s"] = float(base.mean())
        per = {}
        for kind in ("float", "term8", "global8"):
            ids, s = float_scores(folder, qs, TITLE_WEIGHT, kind)
            ranked, tied = top10(ids, s)
            per[kind] = ndcg_per_query(ranked, data, qids)
            res[f"bm25f_{kind}"] = float(per[kind].mean())
            res[f"bm25f_{kind}_tied_queries"] = tied
        res["term8_vs_float"] = paired(per["term8"], per["float"], rng)
        res["global8_vs_float"] = paired(per["global8"], per["float"], rng)
        for mode in ("keyword", "hybrid"):
            got = ndcg_per_query([[urls[h["url"]] for h in ix.search(q, 10, mode, excerpts=False)] for q in qs], data, qids)
            res[mode] = float(got.mean())
            res[f"{mode}_vs_bm25s"] = paired(got, base, rng)
            res[f"{mode}_over_bm25s"] = float(got.mean() / base.mean())
        out[half] = res
        print(name, half, json.dumps(res), flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="an export folder of the default model (default: export it here)")
    ap.add_argument("--datasets", default="cranfield,cisi")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    print(f"bootstrap seed {SEED}")
    rng = np.random.default_rng(SEED)
    random.seed(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = Path(a.model) if a.model else None
        if model is None:
            from exporter.pipeline import export

            model = work / "model"
            export(None, model, quant="int8", demo=False)
        res = [run(n, model, work, a.tune and n == "cranfield", rng) for n in a.datasets.split(",")]
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
