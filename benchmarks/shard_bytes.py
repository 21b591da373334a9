"""Bytes a query's index pieces would cost under other shard sizes, replayed in Python over built indexes.

    python3 benchmarks/shard_bytes.py WORK SITES [QUESTIONS]

WORK: a folder where benchmarks/bench_site_rtt.py --work left its sites (WORK/<site>/_edgembed); SITES: comma-separated
names; QUESTIONS: how many of each site's questions make one visit (default 6). Each question is searched (hybrid, 10
results) by one SiteIndex, which keeps what it read as the browser does; its reads (``files_read``) are priced as the
wire would carry them: gzip for JSON (as `edgembed serve` sends it), 300 bytes of headers a file (measured: a 256-byte
vector file is 554-556 bytes in Chromium). Then the same questions are priced for vecs shards of G chunks, text shards
of other target sizes (the index's text re-cut by build.py's _TextShards) and terms shards of other target sizes (the
index's postings re-encoded and re-sharded). Prints the first question's bytes and the median of the later ones.
The model's rows are not counted (Python reads the model another way); bench_site_rtt.py --breakdown measures all.
"""

from __future__ import annotations

import collections
import gzip
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_site_rtt import queries_of  # noqa: E402
from exporter.search import build as B  # noqa: E402
from exporter.search.query import SiteIndex  # noqa: E402
from exporter.search.store import decode_terms, encode_term, separator, term_shard  # noqa: E402

HEADERS = 300


def wire(path: Path) -> int:
    b = path.read_bytes()
    return (len(gzip.compress(b, 6)) if path.suffix == ".json" else len(b)) + HEADERS


def recut_text(folder: Path, target: int, tmp: Path) -> tuple[np.ndarray, list[int]]:
    """The index's text cut into shards of about TARGET bytes: first chunk of each shard, wire bytes of each."""
    B.TEXT_SHARD_BYTES = target
    shutil.rmtree(tmp, ignore_errors=True)
    ts = B._TextShards(tmp)
    meta = json.loads((folder / "index.json").read_text())
    first = np.concatenate([[0], np.cumsum(meta["page_chunks"])])
    chunks, pages = [], {}
    for k in range(len(meta["text_chunks"])):
        d = json.loads((folder / f"text/{k}.json").read_text())
        chunks += d["chunks"]
        pages.update({int(p): e[:2] for p, e in d["pages"].items()})
    for p in range(len(meta["page_chunks"])):
        ts.add_page(p, pages[p][0], pages[p][1], chunks[first[p]:first[p + 1]])
    ts.flush()
    return np.concatenate([[0], np.cumsum(ts.counts)]), [wire(tmp / f"{k}.json") for k in range(len(ts.counts))]


def reshard_terms(folder: Path, target: int) -> tuple[list[str], dict[int, int]]:
    """The bounds build.py would cut the terms at for TARGET (consecutive ranges in code-point order), and each
    shard's wire bytes."""
    meta = json.loads((folder / "index.json").read_text())
    terms: dict = {}
    for s in range(meta["term_shards"]):
        terms.update(decode_terms((folder / f"terms/{s}.bin").read_bytes()))
    bounds: list[str] = []
    sizes, cur, last = [], 4, ""
    for t in sorted(terms):
        b = bytearray()
        encode_term(t, np.array(terms[t][0]), np.zeros(len(terms[t][0]), dtype=np.int64), 0.0, b)
        if cur > 4 and cur + len(b) > target:
            sizes.append(cur)
            bounds.append(separator(last, t))
            cur = 4
        cur += len(b)
        last = t
    sizes.append(cur)
    return bounds, {k: v + HEADERS for k, v in enumerate(sizes)}


def replay(folder: Path, queries: list[str]) -> list[dict]:
    """Per question: the candidates re-scored, the chunks shown, the terms looked up, the files read."""
    ix = SiteIndex(folder)
    cur: dict = {}
    cosine, chunk, postings = ix.exact_cosine, ix.chunk, ix.postings
    ix.exact_cosine = lambda q, c: (cur["cand"].append(c), cosine(q, c))[1]
    ix.chunk = lambda c: (cur["shown"].append(c), chunk(c))[1]
    ix.postings = lambda t: (cur["terms"].add(t), postings(t))[1]
    out = []
    for q in queries:
        cur = {"cand": [], "shown": [], "terms": set()}
        n0 = len(ix.files_read)
        ix.search(q, 10, "hybrid")
        out.append({**cur, "files": ix.files_read[n0:]})
    return out


def report(label: str, per: list[int]) -> None:
    print(f"  {label}: first {per[0]:,}, later median {np.median(per[1:]) if len(per) > 1 else 0:,.0f}")


def main() -> int:
    work, sites = Path(sys.argv[1]), sys.argv[2].split(",")
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 6
    tmp = Path(tempfile.mkdtemp(prefix="edgembed-shard-bytes-"))
    for name in sites:
        folder = work / name / "_edgembed"
        meta = json.loads((folder / "index.json").read_text())
        rec = replay(folder, queries_of(name, n))
        print(f"## {name}: {meta['chunks']} chunks, {meta['pages']} pages, index version {meta['version']}")
        for i, r in enumerate(rec):
            kinds: collections.Counter = collections.Counter()
            for f in r["files"]:
                kinds[f.split("/")[0]] += wire(folder / f)
            print(f"  as built, question {i + 1}: {sum(kinds.values()):,} {dict(kinds)}")
        d, nch = meta["dims"], meta["chunks"]
        for g in (1, 2, 4, 8, 16):
            seen: set = set()
            per = []
            for r in rec:
                new = {c // g for c in r["cand"]} - seen
                seen |= new
                per.append(sum(min(g, nch - k * g) * d + HEADERS for k in new))
            report(f"vecs, {g} chunks a file", per)
        for target in (4096, 2048, 1024):
            tf, sizes = recut_text(folder, target, tmp / "text")
            seen, per = set(), []
            for r in rec:
                new = {int(np.searchsorted(tf, c, side="right") - 1) for c in r["shown"]} - seen
                seen |= new
                per.append(sum(sizes[k] for k in new))
            report(f"text, {target} B shards ({len(sizes)})", per)
        for target in (4096, 2048, 1024, 512):
            bounds, size = reshard_terms(folder, target)
            shards = len(bounds) + 1
            seen, per = set(), []
            for r in rec:
                new = {term_shard(t, bounds) for t in r["terms"]} - seen
                seen |= new
                per.append(sum(size.get(k, 4 + HEADERS) for k in new))
            report(f"terms, {target} B shards ({shards})", per)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
