"""How site search's ranking was chosen, on cranfield and cisi (NDCG@10, every judged query, full score matrices):

- lexical: BM25 over stemmed words (the analyzer's terms) with and without query term counts, against BM25 over the
  exact tokenizer's ids (with the stop words' ids removed);
- fusion of BM25 with the default model's cosine: max-normalized BM25 + w x cosine (what the index uses), min-max of
  both, z-scores of both, reciprocal rank fusion (k = 60), over a grid of weights;
- the sign-code pass: candidates ranked by 1-bit codes (first 128 dims, or all), the best R re-scored with int8
  vectors, against scoring every document exactly.

    python3 benchmarks/tune_search.py
"""

from __future__ import annotations

import math
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.proof.retrieval import cosine_scores, evaluate, load_beir  # noqa: E402


def bm25(docs: list[list], queries: list[list], qtf: bool = True, k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    n = len(docs)
    tfs = [Counter(d) for d in docs]
    df = Counter(t for c in tfs for t in c)
    dl = np.array([len(d) for d in docs], float)
    avg = max(dl.mean(), 1e-9)
    post: dict = {}
    for i, c in enumerate(tfs):
        for t, f in c.items():
            post.setdefault(t, []).append((i, f))
    s = np.zeros((len(queries), n))
    for qi, q in enumerate(queries):
        for t, m in Counter(q).items():
            idf = math.log(1 + (n - df.get(t, 0) + 0.5) / (df.get(t, 0) + 0.5))
            for i, f in post.get(t, []):
                s[qi, i] += (m if qtf else 1) * idf * f * (k1 + 1) / (f + k1 * (1 - b + b * dl[i] / avg))
    return s


def rrf(*scores: np.ndarray, k: int = 60) -> np.ndarray:
    out = np.zeros_like(scores[0])
    for s in scores:
        ranks = np.argsort(np.argsort(-s, axis=1, kind="stable"), axis=1)
        out += 1.0 / (k + 1 + ranks)
    return out


def main() -> int:
    from tokenizers import Tokenizer

    from exporter.pipeline import export
    from exporter.runtimes.backends import load
    from exporter.search.analyze import STOP_WORDS, Analyzer
    from exporter.search.store import quantize_int8

    an = Analyzer()
    with tempfile.TemporaryDirectory() as tmp:
        export(None, Path(tmp) / "m", quant="int8", demo=False)
        model = load(Path(tmp) / "m", backend="flat")
        tok = Tokenizer.from_file(str(Path(tmp) / "m" / "tokenizer.json"))
        for name in ("cranfield", "cisi"):
            data = load_beir(ROOT / "exporter" / "data" / name)
            nd = lambda s: evaluate(s, data)["ndcg@10"]  # noqa: E731
            dt, qt = [an.terms(t) for t in data.doc_texts], [an.terms(t) for t in data.query_texts]
            bw = bm25(dt, qt)
            stop_ids = {tok.token_to_id(w) for w in STOP_WORDS} - {None}
            ids = lambda texts: [[i for i in e.ids if i not in stop_ids] for e in tok.encode_batch(texts, add_special_tokens=False)]  # noqa: E731
            print(f"\n{name}: BM25 stemmed words {nd(bw):.4f} (without query term counts {nd(bm25(dt, qt, qtf=False)):.4f}), "
                  f"BM25 token ids {nd(bm25(ids(data.doc_texts), ids(data.query_texts))):.4f}")
            dv, qv = model.encode(data.doc_texts), model.encode(data.query_texts)
            cos = cosine_scores(qv, dv)
            print(f"{name}: dense cosine {nd(cos):.4f}, RRF k=60 {nd(rrf(bw, cos)):.4f}")
            bmax = bw / np.maximum(bw.max(1, keepdims=True), 1e-12)
            mm = lambda s: (s - s.min(1, keepdims=True)) / np.maximum(np.ptp(s, axis=1, keepdims=True), 1e-12)  # noqa: E731
            z = lambda s: (s - s.mean(1, keepdims=True)) / np.maximum(s.std(1, keepdims=True), 1e-12)  # noqa: E731
            print("| w | bm25/max + w cos | min-max | z-score |\n|---:|---:|---:|---:|")
            for w in (0.1, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0):
                print(f"| {w} | {nd(bmax + w * cos):.4f} | {nd(mm(bw) + w * mm(cos)):.4f} | {nd(z(bw) + w * z(cos)):.4f} |")
            q8 = quantize_int8(dv).astype(np.float64)
            c8 = cosine_scores(qv, q8)
            for dims, label in ((128, "first 128 dims"), (dv.shape[1], "all dims")):
                qd = qv[:, :dims] / np.maximum(np.linalg.norm(qv[:, :dims], axis=1, keepdims=True), 1e-12)
                code = qd @ np.sign(dv[:, :dims]).T / math.sqrt(dims)
                for mode, base in (("hybrid", bmax), ("semantic", 0 * bmax)):
                    exact = nd(base + c8)
                    row = []
                    for r in (10, 20, 50, 100, 150):
                        top = np.argsort(-(base + code), axis=1, kind="stable")[:, :r]
                        final = np.full_like(code, -9.0)
                        rows = np.arange(len(qv))[:, None]
                        final[rows, top] = base[rows, top] + c8[rows, top]
                        row.append(f"R={r} {nd(final):.4f}")
                    print(f"{name} {mode}, sign codes of the {label}: exact int8 {exact:.4f}; " + ", ".join(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
