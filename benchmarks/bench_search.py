"""Site search, side by side in one run: Pagefind (npm `pagefind`, defaults) and `edgembed index` on the bundled
cranfield and cisi collections written out as one HTML page a document; bm25s (k1 1.2, b 0.75, stop words,
Snowball stemmer) and the default model alone (exhaustive cosine) as references.

    python3 benchmarks/bench_search.py [--datasets cranfield,cisi] [--site5k] [--big 100000] [--out FILE.json]

Quality: NDCG@10 and recall@100 over every judged query, natural-language queries and their first three content
words (Pagefind needs every query word to match). Bytes: index pieces on disk, and on the wire for the first query
on a fresh page (everything: scripts, wasm, tokenizer, model, index pieces) and the mean of queries 2-11, counted as a
static host sends them (benchmarks/search_browser.py). Latency: p50/p95 in Chromium against a local keep-alive
server, and again with every piece in memory (the ranking's own time). Build time: wall time of each indexer."""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from exporter.proof.retrieval import load_beir  # noqa: E402
from search_browser import run_pages, wire_bytes, write_host_page  # noqa: E402
from search_site import beir_site, write_site  # noqa: E402

PAGEFIND = ROOT / "web" / "node_modules" / ".bin" / "pagefind"
BROWSER_QUERIES = 11
SEED = 0  # paired bootstrap of hybrid and keyword against bm25s


def metrics(ranked: list[list[str]], data) -> dict:
    disc = 1.0 / np.log2(np.arange(2, 12))
    nd, rc, empty = [], [], 0
    for qid, r in zip(data.query_ids, ranked):
        rel = data.qrels[qid]
        empty += not r
        gains = [max(rel.get(d, 0), 0) for d in r[:10]]
        ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:10]
        nd.append(float(np.dot(gains, disc[: len(gains)])) / float(np.dot(ideal, disc[: len(ideal)])))
        rc.append(sum(1 for d in r[:100] if rel.get(d, 0) > 0) / sum(1 for g in rel.values() if g > 0))
    return {"ndcg@10": float(np.mean(nd)), "recall@100": float(np.mean(rc)), "empty": empty, "queries": len(ranked),
            "per_query_ndcg@10": nd}


def paired(a: list[float], b: list[float], seed: int = SEED, n: int = 10000) -> dict:
    """Mean of a - b over queries with its paired bootstrap 95 % interval (N resamples, SEED)."""
    d = np.asarray(a) - np.asarray(b)
    means = d[np.random.default_rng(seed).integers(0, len(d), size=(n, len(d)))].mean(1)
    return {"diff": float(d.mean()), "lo": float(np.quantile(means, 0.025)), "hi": float(np.quantile(means, 0.975)), "seed": seed}


def content_words(q: str, analyzer, n: int = 3) -> str:
    from exporter.search.analyze import STOP_WORDS

    question = {"what", "how", "why", "when", "which", "who", "whom", "where", "can", "do", "does", "did", "has", "have",
                "been", "any", "some", "there", "i", "am", "would", "should", "could", "give", "find", "about", "made"}
    out = [w for w in analyzer.words(q) if analyzer.term(w) is not None and w not in question and w not in STOP_WORDS]
    return " ".join(out[:n])


def bm25s_ranking(data) -> list[list[str]]:
    import bm25s
    import Stemmer

    stem = Stemmer.Stemmer("english")
    ret = bm25s.BM25(k1=1.2, b=0.75)
    ret.index(bm25s.tokenize(data.doc_texts, stopwords="en", stemmer=stem, show_progress=False), show_progress=False)
    res, _ = ret.retrieve(bm25s.tokenize(data.query_texts, stopwords="en", stemmer=stem, show_progress=False),
                          k=100, show_progress=False)
    return [[data.doc_ids[i] for i in row] for row in res]


def dense_ranking(data, export: Path) -> list[list[str]]:
    from exporter.proof.retrieval import cosine_scores
    from exporter.runtimes.backends import load

    m = load(export, backend="flat")
    s = cosine_scores(m.encode(data.query_texts), m.encode(data.doc_texts))
    top = np.argsort(-s, axis=1, kind="stable")[:, :100]
    return [[data.doc_ids[i] for i in row] for row in top]


def dir_bytes(folder: Path, gz: bool = False) -> int:
    from search_browser import TEXT

    total = 0
    for p in folder.rglob("*"):
        if p.is_file():
            total += len(gzip.compress(p.read_bytes(), 6, mtime=0)) if gz and p.name.endswith(TEXT) else p.stat().st_size
    return total


def build(site: Path, export: Path) -> dict:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--model", str(export), "--quiet"],
                   check=True, cwd=ROOT, capture_output=True)
    t_e = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([str(PAGEFIND), "--site", str(site)], check=True, capture_output=True)
    t_p = time.perf_counter() - t0
    ix = site / "_edgembed"
    pieces = [ix / n for n in ("index.json", "analyzer.bin", "terms", "typo", "codes", "text", "vecs") if (ix / n).exists()]
    own = sum(dir_bytes(p) if p.is_dir() else p.stat().st_size for p in pieces)
    own_gz = sum(dir_bytes(p, True) if p.is_dir() else len(gzip.compress(p.read_bytes(), 6, mtime=0)) if p.suffix == ".json" else p.stat().st_size for p in pieces)
    return {"edgembed_build_s": t_e, "pagefind_build_s": t_p, "edgembed_index_bytes": own, "edgembed_index_wire_bytes": own_gz,
            "edgembed_model_bytes": dir_bytes(ix / "model"), "edgembed_js_bytes": dir_bytes(ix / "js"),
            "pagefind_bytes": dir_bytes(site / "pagefind")}


def pagefind_urls(site: Path, ids: list[str]) -> list[str]:
    out = []
    for i in ids:
        raw = gzip.decompress((site / "pagefind" / "fragment" / f"{i}.pf_fragment").read_bytes())
        out.append(json.loads(raw[raw.index(b"{"):])["url"])
    return out


def browser_costs(site: Path, page: dict, skip: tuple[str, ...]) -> dict:
    q = page["queries"]
    first = page["loadRequests"] + q[0]["requests"]
    later = [wire_bytes(site, x["requests"]) for x in q[1:BROWSER_QUERIES]]
    ms = sorted(x["ms"] for x in q[1:])
    warm = sorted(x["warmMs"] for x in q if "warmMs" in x)
    pct = lambda a, p: a[min(len(a) - 1, int(round(p * (len(a) - 1))))] if a else None  # noqa: E731
    part = lambda key: wire_bytes(site, [u for u in first if f"/_edgembed/{key}/" in u])  # noqa: E731
    return {"first_query_bytes": wire_bytes(site, first, skip), "first_query_model_bytes": part("model"),
            "first_query_js_bytes": part("js"),
            "first_query_ms": q[0]["ms"], "queries_2_11_mean_bytes": statistics.mean(later) if later else None,
            "p50_ms": pct(ms, 0.5), "p95_ms": pct(ms, 0.95), "warm_p50_ms": pct(warm, 0.5), "warm_p95_ms": pct(warm, 0.95)}


def run_dataset(name: str, export: Path, work: Path, browser: bool) -> dict:
    from exporter.search.analyze import Analyzer
    from exporter.search.query import SiteIndex

    data = load_beir(ROOT / "exporter" / "data" / name)
    site = work / name
    urls = beir_site(ROOT / "exporter" / "data" / name, site)
    out = {"dataset": name, "docs": len(data.doc_ids), "queries": len(data.query_ids), **build(site, export)}
    an = Analyzer()
    short = [content_words(q, an) for q in data.query_texts]
    out["bm25s"] = metrics(bm25s_ranking(data), data)
    out["dense"] = metrics(dense_ranking(data, export), data)
    ix = SiteIndex(site / "_edgembed")
    for mode in ("keyword", "hybrid", "semantic"):
        r10 = [[urls[h["url"]] for h in ix.search(q, 10, mode, excerpts=False)] for q in data.query_texts]
        r100 = [[urls[h["url"]] for h in ix.search(q, 100, mode, excerpts=False)] for q in data.query_texts]
        m10, m100 = metrics(r10, data), metrics(r100, data)
        out[f"edgembed_{mode}"] = {"ndcg@10": m10["ndcg@10"], "recall@100": m100["recall@100"], "empty": m10["empty"],
                                   "minus_bm25s": paired(m10["per_query_ndcg@10"], out["bm25s"]["per_query_ndcg@10"])}
        rs = [[urls[h["url"]] for h in ix.search(q, 10, mode, excerpts=False)] for q in short]
        out[f"edgembed_{mode}_3words"] = metrics(rs, data)
    if not browser:
        return out
    epage, ppage = write_host_page(site), write_host_page(site, "_pf.html", engine="pagefind")
    qs = data.query_texts[:BROWSER_QUERIES + 9]
    pages = run_pages(site, [
        {"name": "pf-ids", "url": ppage, "engine": "pagefind", "queries": data.query_texts + short, "idsOnly": True},
        {"name": "pf", "url": ppage, "engine": "pagefind", "queries": qs, "repeat": True},
        {"name": "pf-3", "url": ppage, "engine": "pagefind", "queries": short[: len(qs)], "repeat": True},
        {"name": "em-hybrid", "url": epage, "engine": "edgembed", "queries": qs, "mode": "hybrid", "repeat": True},
        {"name": "em-keyword", "url": epage + "?preload=0", "engine": "edgembed", "queries": qs, "mode": "keyword", "repeat": True},
    ], timeout=3000)
    for p in pages:
        if p.get("error") or p["pageErrors"]:
            raise SystemExit(f"{name} {p['name']}: {p.get('error') or p['pageErrors']}")
    ids = pages[0]["queries"]
    nl = [pagefind_urls(site, [h["id"] for h in x["hits"]]) for x in ids[: len(data.query_texts)]]
    sh = [pagefind_urls(site, [h["id"] for h in x["hits"]]) for x in ids[len(data.query_texts):]]
    out["pagefind"] = metrics([[urls[u] for u in r] for r in nl], data)
    out["pagefind_3words"] = metrics([[urls[u] for u in r] for r in sh], data)
    skip = ("_search.html", "_pf.html")
    out["browser"] = {p["name"]: browser_costs(site, p, skip) for p in pages[1:]}
    return out


def synthetic_site(n: int, out: Path, seed: int = 0) -> tuple[dict[str, str], list[str]]:
    """N pages mixed from the cranfield and cisi corpora: the real documents, then halves of two random ones."""
    rng = random.Random(seed)
    docs = []
    for name in ("cranfield", "cisi"):
        d = load_beir(ROOT / "exporter" / "data" / name)
        docs += [(t.split(" . ")[0][:120], t) for t in d.doc_texts if t]
    ids, titles, texts = [], [], []
    for i in range(n):
        if i < len(docs):
            t, x = docs[i]
        else:
            (t, a), (_, b) = rng.sample(docs, 2)
            wa, wb = a.split(" "), b.split(" ")
            x = " ".join(wa[: len(wa) // 2] + wb[len(wb) // 2:])
        ids.append(str(i))
        titles.append(t)
        texts.append(x)
    queries = [q for name in ("cranfield", "cisi") for q in load_beir(ROOT / "exporter" / "data" / name).query_texts]
    return write_site(ids, titles, texts, out), queries


def run_site5k(export: Path, work: Path) -> dict:
    site = work / "site5k"
    _, queries = synthetic_site(5000, site)
    res = {"pages": 5000, **build(site, export)}
    rng = random.Random(1)
    qs = rng.sample(queries, BROWSER_QUERIES + 9)
    epage, ppage = write_host_page(site), write_host_page(site, "_pf.html", engine="pagefind")
    pages = run_pages(site, [{"name": "em-hybrid", "url": epage, "engine": "edgembed", "queries": qs, "mode": "hybrid", "repeat": True},
                             {"name": "em-keyword", "url": epage + "?preload=0", "engine": "edgembed", "queries": qs, "mode": "keyword"},
                             {"name": "pf", "url": ppage, "engine": "pagefind", "queries": qs, "repeat": True}], timeout=3000)
    res["browser"] = {p["name"]: browser_costs(site, p, ("_search.html", "_pf.html")) for p in pages}
    return res


def run_crossover(export: Path, work: Path, sizes=(100, 300, 1000, 3000)) -> list[dict]:
    """Sharded pieces (what 11 hybrid queries read, each piece once, as the browser caches them) against the whole
    index in one download, at several site sizes: where one file would be cheaper."""
    from exporter.search.query import SiteIndex

    rng = random.Random(2)
    out = []
    for n in sizes:
        site = work / f"cross{n}"
        _, queries = synthetic_site(n, site)
        subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--model", str(export), "--quiet"],
                       check=True, cwd=ROOT, capture_output=True)
        ix = SiteIndex(site / "_edgembed")
        first = None
        for i, q in enumerate(rng.sample(queries, BROWSER_QUERIES)):
            ix.search(q, 10, "hybrid")
            if i == 0:
                first = len(ix.files_read)
        root = site / "_edgembed"
        fixed = ["index.json", json.loads((root / "index.json").read_text())["analyzer"]["chartable"]]
        sharded = wire_bytes(root, fixed + ix.files_read)
        first_b = wire_bytes(root, fixed + ix.files_read[:first])
        pieces = [root / d for d in ("terms", "codes", "text", "vecs")]
        whole = wire_bytes(root, fixed) + len(gzip.compress(b"".join(p.read_bytes() for d in pieces for p in sorted(d.iterdir())), 6, mtime=0))
        out.append({"pages": n, "first_query_sharded": first_b, "eleven_queries_sharded": sharded, "whole_index_one_file": whole})
    return out


def run_big(n: int, export: Path, work: Path) -> dict:
    import resource

    site = work / f"site{n}"
    synthetic_site(n, site)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--model", str(export), "--quiet"], check=True, cwd=ROOT)
    secs = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"pages": n, "index_s": secs, "pages_per_s": n / secs, "peak_rss_bytes": rss,
            "index_bytes": sum(dir_bytes(site / "_edgembed" / d) for d in ("terms", "codes", "text", "vecs"))}


def report(res: list[dict]) -> None:
    print("\n| dataset | system | NDCG@10 | recall@100 | empty results | 3 content words: NDCG@10 | recall@100 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in res:
        rows = [("Pagefind 1.6, defaults", "pagefind", "pagefind_3words"), ("bm25s (stemmed)", "bm25s", None),
                ("default model alone (exhaustive cosine)", "dense", None), ("edgembed keyword", "edgembed_keyword", "edgembed_keyword_3words"),
                ("**edgembed hybrid**", "edgembed_hybrid", "edgembed_hybrid_3words"), ("edgembed semantic", "edgembed_semantic", "edgembed_semantic_3words")]
        for label, k, k3 in rows:
            if k not in r:
                continue
            m, m3 = r[k], r.get(k3) if k3 else None
            short = f"{m3['ndcg@10']:.4f} | {m3['recall@100']:.4f}" if m3 else "| "
            print(f"| {r['dataset']} | {label} | {m['ndcg@10']:.4f} | {m['recall@100']:.4f} | {m.get('empty', 0)} | {short} |")
        for mode in ("keyword", "hybrid"):
            c = r.get(f"edgembed_{mode}", {}).get("minus_bm25s")
            if c:
                print(f"{r['dataset']}: {mode} - bm25s NDCG@10 {c['diff']:+.4f} [{c['lo']:+.4f}, {c['hi']:+.4f}] (paired bootstrap "
                      f"95 %, 10,000 resamples, seed {c['seed']}); ratio {r[f'edgembed_{mode}']['ndcg@10'] / r['bm25s']['ndcg@10']:.3f}")
        if "pagefind" in r:
            h, pf, b = r["edgembed_hybrid"]["ndcg@10"], r["pagefind"]["ndcg@10"], r["bm25s"]["ndcg@10"]
            print(f"\n{r['dataset']}: hybrid / bm25s NDCG@10 = {h / b:.3f}; hybrid / Pagefind = {h / max(pf, 1e-9):.1f}x; "
                  f"semantic / dense = {r['edgembed_semantic']['ndcg@10'] / r['dense']['ndcg@10']:.4f}\n")
    print("| dataset | build edgembed s | build pagefind s | edgembed index bytes (wire) | model bytes | js bytes | pagefind bytes |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in res:
        if "edgembed_build_s" in r:
            print(f"| {r.get('dataset', r.get('pages'))} | {r['edgembed_build_s']:.1f} | {r['pagefind_build_s']:.1f} | {r['edgembed_index_bytes']:,} ({r['edgembed_index_wire_bytes']:,}) "
                  f"| {r['edgembed_model_bytes']:,} | {r['edgembed_js_bytes']:,} | {r['pagefind_bytes']:,} |")
    print("\n| site | engine | first query bytes | of which model / edgembed JS | queries 2-11 mean bytes | p50 / p95 ms | warm p50 / p95 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in res:
        for k, b in r.get("browser", {}).items():
            warm = f"{b['warm_p50_ms']:.1f} / {b['warm_p95_ms']:.1f}" if b["warm_p50_ms"] is not None else ""
            own = f"{b['first_query_model_bytes']:,} / {b['first_query_js_bytes']:,}" if k.startswith("em") else ""
            print(f"| {r.get('dataset', r.get('pages'))} | {k} | {b['first_query_bytes']:,} | {own} | {b['queries_2_11_mean_bytes']:,.0f} "
                  f"| {b['p50_ms']:.1f} / {b['p95_ms']:.1f} | {warm} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datasets", default="cranfield,cisi")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--site5k", action="store_true", help="also a 5,000-page synthetic site (bytes and latency)")
    ap.add_argument("--big", type=int, default=0, help="also index a synthetic site of this many pages (time, memory)")
    ap.add_argument("--crossover", action="store_true", help="also: sharded pieces against one file, 100 to 3,000 pages")
    ap.add_argument("--out", default=None, help="write the results as JSON")
    args = ap.parse_args()
    from exporter.pipeline import export

    work = Path(tempfile.mkdtemp(prefix="edgembed-bench-search-"))
    try:
        model = work / "model"
        export(None, model, quant="int8", demo=False)
        res = [run_dataset(d, model, work, not args.no_browser) for d in args.datasets.split(",") if d]
        if args.site5k:
            res.append(run_site5k(model, work))
        if args.crossover:
            res.append({"crossover": run_crossover(model, work)})
        if args.big:
            res.append({"big": run_big(args.big, model, work)})
        report(res)
        for r in res:
            for c in r.get("crossover", []):
                print(f"crossover {c['pages']:>5} pages: first query {c['first_query_sharded']:>9,} B, 11 queries {c['eleven_queries_sharded']:>9,} B "
                      f"sharded; whole index in one gzipped file {c['whole_index_one_file']:>9,} B")
            if "big" in r:
                b = r["big"]
                print(f"\nindexing {b['pages']:,} pages: {b['index_s']:.0f} s ({b['pages_per_s']:.0f} pages/s), "
                      f"peak RSS {b['peak_rss_bytes'] / 2**20:.0f} MiB, index pieces {b['index_bytes']:,} bytes")
        if args.out:
            Path(args.out).write_text(json.dumps(res, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
