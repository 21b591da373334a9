"""Site search ranking against bm25s on cranfield and cisi, per query, with paired bootstrap intervals.

    python3 benchmarks/rank_search.py [--model EXPORT] [--datasets cranfield,cisi] [--tune] [--out FILE.json]

The queries of each collection are split by position: even positions are the development half (what --tune looks
at), odd positions the held-out half; cisi is not tuned on at all. Reported per collection and half, and over all
the queries ("all"):

- NDCG@10 of bm25s (k1 1.2, b 0.75, its English stop words, Snowball), of edgembed keyword and hybrid (the real index,
  queried through SiteIndex: weak words, typo correction, identifiers, per-term quantized impacts), each paired
  against bm25s (mean difference and 95 % bootstrap interval, 10,000 resamples, seed printed);
- the cost of quantization: NDCG@10 of float BM25F over edgembed's own terms and chunks against the stored impacts
  (per-term 8 bits) and against the index-wide 8-bit scale of format version 1, paired, and the number of queries
  whose top 10 holds tied scores;
- --dev SITE QUESTIONS: the development site (benchmarks/dev/pip-md: the Markdown pages of Debian's python3-pip,
  /usr/share/doc/python3-pip/html), MRR@10 for title/heading weights and page_alpha against bm25s;
- --tune: float BM25F NDCG@10 on the development half of cranfield for title weights 1 to 12;
- --pages: the page score from its chunks, on a development site made of cranfield: pages of 4 consecutive documents,
  each a section (its title the heading), a page's grade the best of its documents'; NDCG@10 of pages on the
  development half for page_alpha 0 (best chunk), 0.1, 0.25, 0.5 and 1, keyword and hybrid, paired against 0.
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
from search_site import beir_corpus as corpus, beir_site  # noqa: E402

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
    halves = {"dev": list(range(0, len(data.query_ids), 2)), "test": list(range(1, len(data.query_ids), 2)),
              "all": list(range(len(data.query_ids)))}
    out: dict = {"dataset": name, "docs": len(data.doc_ids), "queries": len(data.query_ids)}
    if tune:
        qi = halves["dev"]
        qs = [data.query_texts[i] for i in qi]
        qids = [data.query_ids[i] for i in qi]
        out["tune_title_weight"] = {}
        for w in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 12.0):
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


def run_pages(model: Path, work: Path, rng: np.random.Generator, group: int = 4) -> dict:
    import html

    from exporter.search.build import build_index
    from exporter.search.query import SiteIndex

    folder = ROOT / "exporter" / "data" / "cranfield"
    data = load_beir(folder)
    ids, titles, texts = corpus(folder)
    site = work / "cran-pages"
    (site / "p").mkdir(parents=True)
    page_of: dict[str, str] = {}
    for k in range(0, len(ids), group):
        url = f"/p/{k // group}.html"
        body = "".join(f"<h2 id=d{d}>{html.escape(t or 'untitled')}</h2><p>{html.escape(x)}</p>"
                       for d, t, x in zip(ids[k:k + group], titles[k:k + group], texts[k:k + group]))
        (site / "p" / f"{k // group}.html").write_text(f"<html><head><title>Part {k // group}</title></head><body><main>"
                                                      f"{body}</main></body></html>", encoding="utf-8")
        for d in ids[k:k + group]:
            page_of[d] = url
    build_index(site, site / "_edgembed", model=str(model), progress=False)
    ix = SiteIndex(site / "_edgembed")
    qi = list(range(0, len(data.query_ids), 2))
    disc = 1.0 / np.log2(np.arange(2, 12))
    out: dict = {"pages": len(set(page_of.values())), "group": group, "queries": len(qi)}
    for mode in ("keyword", "hybrid"):
        per = {}
        for alpha in (0.0, 0.1, 0.25, 0.5, 1.0):
            ix.meta["fusion"]["page_alpha"] = alpha
            nd = []
            for i in qi:
                grade: dict[str, int] = {}
                for d, g in data.qrels[data.query_ids[i]].items():
                    if g > 0 and d in page_of:
                        grade[page_of[d]] = max(grade.get(page_of[d], 0), g)
                got = [grade.get(h["url"], 0) for h in ix.search(data.query_texts[i], 10, mode, excerpts=False)]
                ideal = sorted(grade.values(), reverse=True)[:10]
                nd.append(float(np.dot(got, disc[: len(got)])) / float(np.dot(ideal, disc[: len(ideal)])) if ideal else 0.0)
            per[alpha] = np.asarray(nd)
            out[f"{mode}_alpha_{alpha}"] = float(per[alpha].mean())
            if alpha:
                out[f"{mode}_alpha_{alpha}_vs_0"] = paired(per[alpha], per[0.0], rng)
        print("pages", mode, json.dumps({k: v for k, v in out.items() if k.startswith(mode)}), flush=True)
    return out


def run_dev(site: Path, questions: Path, model: Path, work: Path, rng: np.random.Generator) -> dict:
    """MRR@10 (page level) on a development site for title/heading weights and page_alpha, and bm25s over each page's
    indexed text (title, headings, text)."""
    import bm25s
    import Stemmer

    from exporter.search import build
    from exporter.search.query import SiteIndex

    import gzip

    qs = [json.loads(ln) for ln in questions.read_text(encoding="utf-8").splitlines() if ln.strip()]
    src, site = site, work / "dev-site"  # the Markdown pages, .md.gz unpacked (Debian's python3-pip ships both)
    for f in sorted(src.rglob("*.md")) + sorted(src.rglob("*.md.gz")):
        rel = f.relative_to(src).as_posix().removesuffix(".gz")
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes())

    def rr(urls: list[str], answers: list[str]) -> float:
        want = {a.split("#")[0] for a in answers}
        return next((1.0 / (k + 1) for k, u in enumerate(urls[:10]) if u.split("#")[0] in want), 0.0)

    out: dict = {"questions": len(qs)}
    per: dict[str, np.ndarray] = {}
    keep = (build.TITLE_WEIGHT, build.HEADING_WEIGHT)
    try:
        for tw, hw in ((1.0, 1.0), (2.0, 2.0), (4.0, 4.0), (1.0, 4.0), (2.0, 4.0)):
            build.TITLE_WEIGHT, build.HEADING_WEIGHT = tw, hw
            ix_dir = work / f"dev-{tw}-{hw}"
            build.build_index(site, ix_dir, model=str(model), progress=False)
            ix = SiteIndex(ix_dir)
            if "bm25s" not in per:
                pages = [ix.page(p) for p in range(ix.meta["pages"])]
                texts = [" ".join([pg["title"]] + [f"{c['h']} {c['t']}" for c in pg["chunks"]]) for pg in pages]
                stem = Stemmer.Stemmer("english")
                ret = bm25s.BM25(k1=1.2, b=0.75)
                ret.index(bm25s.tokenize(texts, stopwords="en", stemmer=stem, show_progress=False), show_progress=False)
                res, sc = ret.retrieve(bm25s.tokenize([q["query"] for q in qs], stopwords="en", stemmer=stem,
                                                      show_progress=False), k=10, show_progress=False)
                per["bm25s"] = np.asarray([rr([pages[i]["url"] for i, s in zip(row, srow) if s > 0], q["answers"])
                                           for q, row, srow in zip(qs, res, sc)])
            for alpha in (0.0, 0.1, 0.25, 0.5):
                ix.meta["fusion"]["page_alpha"] = alpha
                for mode in ("keyword", "hybrid"):
                    key = f"{mode} title {tw} heading {hw} alpha {alpha}"
                    per[key] = np.asarray([rr([h["url"] for h in ix.search(q["query"], 10, mode, excerpts=False)],
                                              q["answers"]) for q in qs])
    finally:
        build.TITLE_WEIGHT, build.HEADING_WEIGHT = keep
    for k, v in per.items():
        out[k] = {"mrr@10": float(v.mean()), **({} if k == "bm25s" else {"vs_bm25s": paired(v, per["bm25s"], rng)})}
        print(f"{k:45s} MRR@10 {v.mean():.3f}", "" if k == "bm25s" else
              "{diff:+.3f} [{lo:+.3f}, {hi:+.3f}]".format(**out[k]["vs_bm25s"]), flush=True)
    return out


def model_or_default(model: str | None, work: Path) -> Path:
    """MODEL's export folder, or the default model exported (int8, no demo) into WORK/model."""
    if model:
        return Path(model)
    from exporter.pipeline import export

    export(None, work / "model", quant="int8", demo=False)
    return work / "model"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="an export folder of the default model (default: export it here)")
    ap.add_argument("--datasets", default="cranfield,cisi")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--pages", action="store_true", help="only the page-score measurement (development site)")
    ap.add_argument("--dev", nargs=2, metavar=("SITE", "QUESTIONS"), help="only the development site's measurement")
    ap.add_argument("--out")
    a = ap.parse_args()
    print(f"bootstrap seed {SEED}")
    rng = np.random.default_rng(SEED)
    random.seed(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = model_or_default(a.model, work)
        if a.dev:
            res = [run_dev(Path(a.dev[0]), Path(a.dev[1]), model, work, rng)]
        elif a.pages:
            res = [run_pages(model, work, rng)]
        else:
            res = [run(n, model, work, a.tune and n == "cranfield", rng) for n in a.datasets.split(",")]
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
