"""Hybrid re-scoring of the default model's indexes: dense pseudo-relevance feedback and fusion normalisation,
chosen leave-one-set-out (docs/search.md, "Feedback"): for cranfield, on the development sites + cisi; for cisi, on
the development sites + cranfield. Never on the set a number is reported for.

    python3 benchmarks/tune_prf.py [--work DIR] [--grid terms|pages|small|full|x|gate|gatewords] [--out FILE.json]

Grids: terms = keyword feedback (what query.py ships: terms, docs, weight); gate = the shipped keyword feedback
only for queries of at least N distinct non-weak terms (N 2..8: feedback_min_terms), or only when the first pass's
best re-scored chunk leads the second by less than g (0.02..0.2); gatewords = the same with N counted in words
(an identifier is one word; measured, not shipped); pages = the same with the best chunk of
each of the best pages as feedback documents (not adopted: development sites 1.076 against 1.111); small = dense feedback (Rocchio on the
candidates' vectors: q' = q/|q| + beta x mean of the best k, or their score-weighted mean); full = small + the dense
half normalised within the candidates (z-score, min-max), a per-query weight from the keyword top hit's lead, the
keyword half re-weighted; x = dense feedback that picks candidates again, other fusion weights, deeper re-scoring.
Also printed: the choice on the development sites alone (held out for both collections).

Each set is indexed once with the default model (``--work`` keeps the indexes and the per-query pieces: keyword
scores, query vector, sign-code scores). Every variant then ranks in numpy exactly as query.py's hybrid mode does
(first pass: keyword / max keyword + weight x sign-code cosine over the first plane, the best ``rerank`` chunks
re-scored with their int8 vectors), then re-scores those candidates as the variant says; pages take their best chunk.
Scores: NDCG@10 on cranfield and cisi (one page a document), MRR@10 of the answer pages on the development sites
(benchmarks/dev/, rank_dev.py), each against bm25s. A fold's objective is the mean of the pooled development sites'
ratio to bm25s and the other collection's ratio. Printed: each fold's choice and the held-out score it gets, with a
paired bootstrap 95 % interval against the first pass alone and against bm25s (seed printed). The sign-code pass is
vectorized here (float sums in another order than the browser's: ties may break differently from `edgembed search`);
the report numbers come from bench_search.py."""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

BEIR = ("cranfield", "cisi")
SEED = 20261206


def _index(site: Path, out: Path) -> Path:
    if not (out / "index.json").is_file():
        subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--out", str(out), "--quiet"], check=True,
                       env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    return out


def pieces(name: str, work: Path) -> dict:
    """Per-query pieces of set NAME (kept in WORK/NAME.npz) and its judgements."""
    from exporter.search.query import SiteIndex

    if name in BEIR:
        from exporter.proof.retrieval import load_beir
        from search_site import beir_site

        data = load_beir(ROOT / "exporter" / "data" / name)
        site = work / f"site-{name}"
        if not site.is_dir():
            beir_site(ROOT / "exporter" / "data" / name, site)
        queries = data.query_texts
    else:
        from rank_dev import sites

        site, qfile = sites(work / "dev")[name]
        qs = [json.loads(ln) for ln in Path(qfile).read_text(encoding="utf-8").splitlines() if ln.strip()]
        queries = [q["query"] for q in qs]
    ix = SiteIndex(_index(site, work / f"ix-{name}"))
    urls = [ix.page(p)["url"] for p in range(ix.meta["pages"])]
    kept = work / f"{name}.npz"
    if not kept.is_file():
        m = ix.meta
        n, d, da = m["chunks"], m["dims"], m["code_dims_a"]
        vecs = np.concatenate([ix.vectors(k) for k in range(-(-n // int(m["vec_shard"])))]).reshape(n, d).astype(np.float64)
        bits = np.unpackbits(ix.codes("a"), axis=1, bitorder="little")[:, :da].astype(np.float64) * 2 - 1
        lex, qv = [], []
        for q in queries:
            lex.append(ix.keyword_scores(ix.query_terms(q)))
            qv.append(ix.embed(q).astype(np.float64))
        qv = np.asarray(qv)
        approx = (bits @ qv[:, :da].T).T / (np.linalg.norm(qv[:, :da], axis=1, keepdims=True) * np.sqrt(da) + 1e-300)
        np.savez(kept, vecs=vecs, lex=np.asarray(lex), q=qv, approx=approx, page_of=ix.page_of)
    z = dict(np.load(kept))
    z["bits"] = np.unpackbits(ix.codes("a"), axis=1, bitorder="little")[:, :ix.meta["code_dims_a"]].astype(np.float64) * 2 - 1
    z.update(name=name, ix=ix, urls=urls, queries=queries, rerank=int(ix.meta["fusion"]["rerank"]),
             w=float(ix.meta["fusion"]["weight"]))
    if name in BEIR:
        from bench_search import bm25s_ranking

        z["data"] = data
        z["bm25s"] = ndcg(bm25s_ranking(data), data)
    else:
        from rank_dev import bm25s_rr

        z["qs"] = qs
        z["bm25s"] = bm25s_rr(ix, qs)
    return z


def ndcg(ranked: list[list[str]], data) -> np.ndarray:
    from bench_adapt import ndcg10

    return ndcg10(ranked, data)


def per_query(z: dict, ranked_chunks: list[np.ndarray]) -> np.ndarray:
    """Per-query score of chunk rankings (pages by their best chunk)."""
    pages = []
    for order in ranked_chunks:
        seen: list[int] = []
        for c in order:
            p = int(z["page_of"][c])
            if p not in seen:
                seen.append(p)
                if len(seen) == 10:
                    break
        pages.append([z["urls"][p] for p in seen])
    if z["name"] in BEIR:
        return ndcg([[u.removeprefix("/doc/").removesuffix(".html") for u in r] for r in pages], z["data"])
    from rank_dev import rr

    return np.asarray([rr(r, q["answers"]) for r, q in zip(pages, z["qs"])])


def unit(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.where(n > 0, x / np.where(n > 0, n, 1), 0.0)


def feedback_terms(z: dict, chunks: np.ndarray) -> list[tuple[str, float]]:
    """query.py's feedback terms of CHUNKS (cached term lists of the chunks' heading and text)."""
    ix, cache = z["ix"], z.setdefault("terms_of", {})
    lists = []
    for c in chunks.tolist():
        if c not in cache:
            _, _, ch = ix.chunk(c)
            cache[c] = [t for t in ix.analyzer.terms(ch["h"] + " " + ch["t"]) if t not in ix.analyzer.weak]
        lists.append(cache[c])
    from exporter.search.query import feedback_weights

    return feedback_weights(lists)


def post(z: dict, t: str) -> np.ndarray:
    got = z.setdefault("post", {})
    if t not in got:
        ids, sc = z["ix"].postings(t)
        got[t] = np.zeros(len(z["vecs"]))
        if ids:
            got[t][np.asarray(ids)] = sc
    return got[t]


def rank(z: dict, v: dict) -> list[np.ndarray]:
    """Chunk rankings of every query under variant V (keys: beta, k, fb, expand, norm, gap, lexw, w, depth; terms,
    docs, lam: keyword feedback)."""
    V = unit(z["vecs"])
    out = []
    w = v.get("w", z["w"])
    extra = 0
    depth = max(v.get("depth", z["rerank"]), 10)
    if "strong_terms" not in z:
        weak = z["ix"].analyzer.weak
        z["strong_terms"] = [sum(1 for t in z["ix"].query_terms(q) if t not in weak) for q in z["queries"]]
        z["strong_words"] = [sum(1 for w in q.split() if any(t not in weak for t in z["ix"].analyzer.terms(w)))
                             for q in z["queries"]]
    for qi, (lex, q, approx) in enumerate(zip(z["lex"], z["q"], z["approx"])):
        top = lex.max()
        base = lex / top if top > 0 else np.zeros_like(lex)
        first = base + w * approx
        idx = np.arange(len(first))
        cand = idx[np.lexsort((idx, -first))][:depth]
        cos = V[cand] @ unit(q)
        s = base[cand] + w * cos
        gated = False
        if v.get("min_terms", 0) > 0:  # feedback only for queries of at least min_terms non-weak terms
            gated = z["strong_words" if v.get("words") else "strong_terms"][qi] < v["min_terms"]
        if v.get("max_gap") is not None and len(s) > 1:  # ... or only when the first pass's lead is small
            o2 = np.sort(s)[::-1]
            gated = gated or (o2[0] - o2[1]) >= v["max_gap"]
        if v.get("terms", 0) > 0 and top > 0 and not gated:  # keyword feedback (query.py), then the hybrid pass again
            fb = cand[np.lexsort((cand, -s))]
            if v.get("pages"):  # the best chunk of each of the best pages (what the first pass would show)
                seen: set = set()
                fb = np.asarray([c for c in fb.tolist() if not (int(z["page_of"][c]) in seen or seen.add(int(z["page_of"][c])))], dtype=np.int64)
            fb = fb[:v["docs"]]
            chosen = feedback_terms(z, fb)[:v["terms"]]
            tot = sum(x for _, x in chosen)
            add = np.zeros_like(lex)
            for t, x in chosen:
                add += (x / tot) * post(z, t)
            if add.max() > 0:
                lex2 = lex + (v["lam"] * top / add.max()) * add
                base = lex2 / lex2.max()
                f2 = base + w * approx
                c2 = idx[np.lexsort((idx, -f2))][:depth]
                extra += int((~np.isin(c2, cand)).sum())
                cand = c2
                cos = V[cand] @ unit(q)
                s = base[cand] + w * cos
        if v.get("beta", 0) > 0:
            o = np.lexsort((cand, -s))[:v["k"]]
            if v.get("fb") == "score":  # feedback documents weighted by their first-pass score
                wt = np.maximum(s[o], 0)
                fbv = (wt[:, None] * V[cand[o]]).sum(0) / max(wt.sum(), 1e-12)
            else:
                fbv = V[cand[o]].mean(0)
            q2 = unit(q) + v["beta"] * fbv
            if v.get("expand"):  # candidates again by the sign codes with q2; the new ones' vectors fetched
                da = z["bits"].shape[1]
                a2 = z["bits"] @ q2[:da] / (np.sqrt(da) * np.linalg.norm(q2[:da]))
                c2 = idx[np.lexsort((idx, -(base + w * a2)))][:v["expand"]]
                new = c2[~np.isin(c2, cand)]
                extra += len(new)
                cand = np.concatenate([cand, new])
            cos = V[cand] @ unit(q2)
        dense = cos
        if v.get("norm") == "z":
            sd = cos.std()
            dense = (cos - cos.mean()) / sd * v.get("scale", 0.1) if sd > 0 else cos * 0
        elif v.get("norm") == "minmax":
            span = cos.max() - cos.min()
            dense = (cos - cos.min()) / span * v.get("scale", 0.3) if span > 0 else cos * 0
        wq = w
        if v.get("gap", 0) > 0 and top > 0:
            b = np.sort(base[cand])[::-1]
            wq = w * (1 - v["gap"] * (b[0] - b[1]))
        s = base[cand] * v.get("lexw", 1.0) + wq * dense
        out.append(cand[np.lexsort((cand, -s))])
    z["extra"] = extra / len(out)
    return out


def grid(kind: str) -> list[dict]:
    out = [{}]
    for beta, k, fb in itertools.product((0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0), (1, 2, 3, 5, 10), ("mean", "score")):
        out.append({"beta": beta, "k": k, "fb": fb})
    if kind == "gate":  # the shipped feedback (3 terms, 10 chunks, 0.5), gated; grid fixed before any run
        ship = {"terms": 3, "docs": 10, "lam": 0.5}
        out = [{}, ship]
        out += [{**ship, "min_terms": n} for n in range(2, 9)]
        out += [{**ship, "max_gap": g} for g in (0.02, 0.05, 0.1, 0.2)]
        return out
    if kind == "gatewords":  # the same, N counted in words (whitespace-separated, with a non-weak term): an
        ship = {"terms": 3, "docs": 10, "lam": 0.5}  # identifier is one word however many parts it has
        return [{}, ship] + [{**ship, "min_terms": n, "words": True} for n in range(2, 9)]
    if kind in ("terms", "pages"):
        out = [{}]
        for m, k, lam in itertools.product((3, 5, 10, 20), (3, 5, 10), (0.2, 0.3, 0.5, 0.7, 1.0)):
            out.append({"terms": m, "docs": k, "lam": lam, **({"pages": True} if kind == "pages" else {})})
        return out
    if kind == "x":
        out = [{}]
        out += [{"depth": 100000}, {"depth": 50}, {"depth": 100000, "beta": 1.0, "k": 2}, {"depth": 100000, "beta": 2.0, "k": 5}]
        for beta, k, e in itertools.product((0.5, 1.0, 2.0, 3.0), (2, 3, 5), (10, 20)):
            out.append({"beta": beta, "k": k, "fb": "mean", "expand": e})
        for w, beta, k in itertools.product((0.75, 1.25, 1.5), (0.5, 1.0, 2.0), (2, 5)):
            out.append({"beta": beta, "k": k, "fb": "mean", "w": w})
        return out
    if kind == "full":
        for nm, sc in itertools.product(("z", "minmax"), (0.05, 0.1, 0.15, 0.2, 0.3, 0.5)):
            out.append({"norm": nm, "scale": sc})
        for g in (0.25, 0.5, 0.75, 1.0):
            out.append({"gap": g})
        for lw in (0.5, 0.75, 1.25, 1.5, 2.0):
            out.append({"lexw": lw})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/edgembed-tune-prf")
    ap.add_argument("--grid", default="terms", choices=("small", "full", "x", "terms", "pages", "gate", "gatewords"))
    ap.add_argument("--out")
    a = ap.parse_args()
    from bench_adapt import bootstrap
    from rank_dev import sites

    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    names = list(BEIR) + list(sites(work / "dev"))
    sets = {n: pieces(n, work) for n in names}
    dev = [n for n in names if n not in BEIR]
    variants = grid(a.grid)
    per: dict[str, list] = {n: [] for n in names}
    ext: dict[str, list] = {n: [] for n in names}
    for n in names:
        for v in variants:
            per[n].append(per_query(sets[n], rank(sets[n], v)))
            ext[n].append(round(sets[n]["extra"], 2))
    bm = {n: sets[n]["bm25s"] for n in names}
    dev_bm = np.concatenate([bm[n] for n in dev]).mean()

    def dev_ratio(i: int) -> float:
        return float(np.concatenate([per[n][i] for n in dev]).mean() / dev_bm)

    res = {"seed": SEED, "variants": variants, "table": [], "held_out": {}}
    for i, v in enumerate(variants):
        row = {"variant": v, "dev": dev_ratio(i), "extra": {n: ext[n][i] for n in names}, **{n: float(per[n][i].mean() / bm[n].mean()) for n in BEIR}}
        res["table"].append(row)
        print(json.dumps(row), flush=True)
    for held in BEIR:
        other = next(n for n in BEIR if n != held)
        obj = [(res["table"][i]["dev"] + res["table"][i][other]) / 2 for i in range(len(variants))]
        i = int(np.argmax(obj))
        got, first = per[held][i], per[held][0]
        res["held_out"][held] = {"variant": variants[i], "objective": obj[i], "objective_first_pass": obj[0],
                                 "score": float(got.mean()), "first_pass": float(first.mean()), "bm25s": float(bm[held].mean()),
                                 "ratio": float(got.mean() / bm[held].mean()), "minus_first_pass": bootstrap(got, first, SEED),
                                 "minus_bm25s": bootstrap(got, bm[held], SEED)}
    pooled = [res["table"][i]["dev"] + sum(res["table"][i][n] for n in BEIR) for i in range(len(variants))]
    res["pooled_choice"] = variants[int(np.argmax(pooled))]
    i = int(np.argmax([row["dev"] for row in res["table"]]))  # on the development sites alone: held out for both
    res["dev_choice"] = {"variant": variants[i], **{n: {"score": float(per[n][i].mean()), "ratio": res["table"][i][n],
                                                        "minus_bm25s": bootstrap(per[n][i], bm[n], SEED)} for n in BEIR}}
    print(json.dumps({k: res[k] for k in ("held_out", "pooled_choice", "dev_choice")}, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
