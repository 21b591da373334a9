"""BEIR folders (corpus.jsonl, queries.jsonl, qrels/test.tsv) and the @10 retrieval metrics over them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError
from exporter.inputs import read_jsonl

K = 10


@dataclass
class Beir:
    """A BEIR test collection, keeping only the queries that have at least one judgement with relevance > 0."""

    name: str
    doc_ids: list[str]
    doc_texts: list[str]
    query_ids: list[str]
    query_texts: list[str]
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> relevance grade


def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise EdgembedError(f"missing BEIR file: {path}")
    return read_jsonl(path, "_id")


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """qrels/test.tsv: query-id, corpus-id, score (a header line first)."""
    if not path.is_file():
        raise EdgembedError(f"missing BEIR file: {path}")
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\r\n").split("\t")
            if n == 1 and not parts[-1].lstrip("-").isdigit():
                continue  # header
            if len(parts) != 3:
                if line.strip():
                    raise EdgembedError(f"{path}:{n}: expected 3 tab-separated fields (query-id, corpus-id, score)")
                continue
            try:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
            except ValueError:
                raise EdgembedError(f"{path}:{n}: score '{parts[2]}' is not a whole number") from None
    return qrels


def load_beir(folder: str | Path, split: str = "test") -> Beir:
    """Read a BEIR folder; documents are embedded as title + " " + text, as BEIR does."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EdgembedError(f"--data {folder} is not a folder (expected a BEIR folder with corpus.jsonl, queries.jsonl, qrels/)")
    corpus = _jsonl(folder / "corpus.jsonl")
    queries = {str(q["_id"]): str(q.get("text", "")) for q in _jsonl(folder / "queries.jsonl")}
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    judged = {q: r for q, r in qrels.items() if q in queries and any(v > 0 for v in r.values())}
    if not corpus or not judged:
        raise EdgembedError(f"{folder} has no documents or no judged queries")
    doc_ids = [str(d["_id"]) for d in corpus]
    doc_texts = [(str(d.get("title") or "") + " " + str(d.get("text") or "")).strip() for d in corpus]
    qids = [q for q in queries if q in judged]
    return Beir(folder.name, doc_ids, doc_texts, qids, [queries[q] for q in qids], judged)


def cosine_scores(queries: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """Cosine similarity [Q, N] in float64 (zero vectors score 0)."""
    def unit(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float64)
        n = np.linalg.norm(x, axis=1, keepdims=True)
        return np.divide(x, n, out=np.zeros_like(x), where=n > 0)

    return unit(queries) @ unit(docs).T


def evaluate(scores: np.ndarray, data: Beir) -> dict[str, float]:
    """Mean NDCG@10 (gain = grade), recall@10 and MRR@10 over the judged queries.

    Ranking: descending score, ties broken by corpus order (stable sort)."""
    doc_index = {d: i for i, d in enumerate(data.doc_ids)}
    top = np.argsort(-scores, axis=1, kind="stable")[:, :K]
    discount = 1.0 / np.log2(np.arange(2, K + 2))
    ndcg, recall, mrr = [], [], []
    for qi, qid in enumerate(data.query_ids):
        rel = np.zeros(len(data.doc_ids))
        for d, g in data.qrels[qid].items():
            if d in doc_index:
                rel[doc_index[d]] = max(g, 0)
        grades = sorted((g for g in data.qrels[qid].values() if g > 0), reverse=True)[:K]
        gains = rel[top[qi]]
        ideal = float(np.dot(grades, discount[: len(grades)]))
        ndcg.append(float(np.dot(gains, discount[: len(gains)])) / ideal)  # a corpus of fewer than 10 documents
        n_rel = sum(1 for g in data.qrels[qid].values() if g > 0)
        recall.append(float((gains > 0).sum()) / n_rel)
        hits = np.flatnonzero(gains > 0)
        mrr.append(1.0 / (hits[0] + 1) if hits.size else 0.0)
    return {"ndcg@10": float(np.mean(ndcg)), "recall@10": float(np.mean(recall)), "mrr@10": float(np.mean(mrr))}
