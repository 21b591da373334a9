"""Hybrid search with and without keyword feedback on the same indexes: the six generators' sites (page MRR@10 of
their hand-written questions, as bench_sites.py scores them) and any cranfield / cisi index (NDCG@10), e.g. an
adapted one (``edgembed index --adapt``). Paired bootstrap 95 % intervals of on − off (seed printed). Feedback off =
``index.json``'s ``fusion.feedback_docs`` 0, what an index built before the setting does.

    python3 benchmarks/ablate_feedback.py [--work DIR] [--sites a,b] [--beir cranfield=INDEX --beir cisi=INDEX]
    python3 benchmarks/ablate_feedback.py --bytes NAME=INDEX [--bytes ...] [--kind nl|keyword|typo]

--bytes: what feedback adds to a visit's index pieces (as shard_bytes.py prices them: gzip for JSON, 300 bytes of
headers a file; the model's rows are not counted, feedback fetches none): the site's first 6 natural-language
questions (bench_site_rtt.py's visit; --kind: its first 6 of that kind) searched in hybrid mode by one SiteIndex,
with and without feedback (an index built before a feedback setting gets build.py's, feedback_min_terms included),
and on how many of them feedback fires."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_adapt import bootstrap, ndcg10  # noqa: E402
from bench_sites import SITES, load_questions, norm, ranks  # noqa: E402

SEED = 0


def current(ix):
    """IX with build.py's feedback settings where its index.json (built before them) lacks them."""
    from exporter.search import build as B

    ix.meta["fusion"] = {"feedback_docs": B.FEEDBACK_DOCS, "feedback_terms": B.FEEDBACK_TERMS,
                         "feedback_weight": B.FEEDBACK_WEIGHT, "feedback_min_terms": B.FEEDBACK_MIN_TERMS,
                         **ix.meta["fusion"]}
    return ix


def on_off(ix, score) -> tuple[np.ndarray, np.ndarray]:
    fusion = dict(current(ix).meta["fusion"])
    on = score(ix)
    ix.meta["fusion"] = {**fusion, "feedback_docs": 0}
    off = score(ix)
    ix.meta["fusion"] = fusion
    return on, off


def visit_bytes(specs: list[str], kind: str = "nl") -> int:
    from bench_site_rtt import queries_of
    from shard_bytes import wire

    from exporter.search import build as B
    from exporter.search.query import SiteIndex

    for spec in specs:
        name, folder = spec.split("=", 1)
        qs = queries_of(name, 6) if kind == "nl" else [q["query"] for q in load_questions(name) if q["kind"] == kind][:6]
        got = {}
        for label, docs in (("on", B.FEEDBACK_DOCS), ("off", 0)):
            ix = current(SiteIndex(folder))  # an index built before the settings gets build.py's
            ix.meta["fusion"] = {**ix.meta["fusion"], "feedback_docs": docs}
            per, kinds = [], {}
            for i, q in enumerate(qs):
                n0 = len(ix.files_read)
                ix.search(q, 10, "hybrid")
                per.append((sum(wire(Path(folder) / f) for f in ix.files_read[n0:]), len(ix.files_read) - n0))
                for f in ix.files_read[n0:]:
                    if i > 0:
                        kinds[f.split("/")[0]] = kinds.get(f.split("/")[0], 0) + wire(Path(folder) / f) / (len(qs) - 1)
            got[label], got[label + " kinds"] = per, kinds
        on, off = got["on"], got["off"]
        ix = current(SiteIndex(folder))
        need = int(ix.meta["fusion"]["feedback_min_terms"])
        fires = [ix.feedback_gate(q, ix.query_terms(q)) for q in qs]
        print(f"{name}: feedback fires on {sum(fires)} of the {len(qs)} questions (feedback_min_terms {need}, "
              f"gate {ix.meta['fusion'].get('feedback_gate', 'terms')})")
        extra = {k: round(v - got["off kinds"].get(k, 0)) for k, v in got["on kinds"].items()}
        print(f"{name}: first question {off[0][0]:,} -> {on[0][0]:,} bytes ({off[0][1]} -> {on[0][1]} files); later "
              f"(mean of {len(qs) - 1}) {np.mean([b for b, _ in off[1:]]):,.0f} -> {np.mean([b for b, _ in on[1:]]):,.0f} bytes "
              f"({np.mean([f for _, f in off[1:]]):.1f} -> {np.mean([f for _, f in on[1:]]):.1f} files); later, more bytes by kind {extra}", flush=True)
    return 0


def main() -> int:
    from exporter.proof.retrieval import load_beir
    from exporter.search.query import SiteIndex

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/edgembed-ablate-feedback")
    ap.add_argument("--sites", default=",".join(sorted(p.name[:-len(".tar.xz")] for p in SITES.glob("*.tar.xz"))))
    ap.add_argument("--beir", action="append", default=[], help="NAME=INDEX_FOLDER (cranfield or cisi written as a site)")
    ap.add_argument("--bytes", action="append", default=[], help="NAME=INDEX_FOLDER: bytes of a visit, feedback on and off")
    ap.add_argument("--kind", default="nl", choices=("nl", "keyword", "typo"), help="--bytes: the visit's questions")
    a = ap.parse_args()
    if a.bytes:
        return visit_bytes(a.bytes, a.kind)
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    print(f"bootstrap seed {SEED}")
    pooled_on, pooled_off = [], []
    for name in [s for s in a.sites.split(",") if s]:
        site, index = work / name, work / f"{name}-index"
        if not site.is_dir():
            site.mkdir()
            with tarfile.open(SITES / f"{name}.tar.xz") as tar:
                tar.extractall(site, filter="data")
        if not (index / "index.json").is_file():
            subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--out", str(index), "--quiet"], check=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
        qs = load_questions(name)
        on, off = on_off(SiteIndex(index), lambda ix: ranks([[norm(h["anchor_url"]) for h in ix.search(
            q["query"], limit=10, mode="hybrid", excerpts=False)] for q in qs], qs)[0])
        pooled_on.append(on)
        pooled_off.append(off)
        print(f"{name}: hybrid MRR@10 feedback on {on.mean():.3f}, off {off.mean():.3f}, on − off "
              f"{on.mean() - off.mean():+.3f} {bootstrap(on, off, SEED)}", flush=True)
    if pooled_on:
        on, off = np.concatenate(pooled_on), np.concatenate(pooled_off)
        print(f"all sites ({len(on)} questions): on {on.mean():.3f}, off {off.mean():.3f}, on − off {on.mean() - off.mean():+.3f} "
              f"{bootstrap(on, off, SEED)}")
    for spec in a.beir:
        name, folder = spec.split("=", 1)
        data = load_beir(ROOT / "exporter" / "data" / name)
        ix = SiteIndex(folder)
        on, off = on_off(ix, lambda ix: ndcg10([[h["url"].removeprefix("/doc/").removesuffix(".html") for h in ix.search(
            q, 10, "hybrid", excerpts=False)] for q in data.query_texts], data))
        print(f"{name} ({folder}, fusion weight {ix.meta['fusion']['weight']}): hybrid NDCG@10 feedback on {on.mean():.4f}, "
              f"off {off.mean():.4f}, on − off {on.mean() - off.mean():+.4f} {bootstrap(on, off, SEED)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
