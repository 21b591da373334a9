"""Ranking settings on the development sites only (never the report sets): MRR@10 against bm25s, paired bootstrap.

    python3 benchmarks/rank_dev.py [--model EXPORT] [--config "t=1,h=1,cl=0.5" ...]

Sites (benchmarks/dev/*/questions.jsonl, questions written before any system ran on the site):
- pip-md: pip's Markdown pages from Debian's python3-pip (/usr/share/doc/python3-pip/html);
- uvicorn-material: Uvicorn's docs built with MkDocs 1.6.1 + Material 9.8.2 (site.tar.xz, see its README.md);
- requests-sphinx: Requests 2.28.1's Sphinx docs from Debian's python-requests-doc
  (/usr/share/doc/python-requests-doc/html).
A site whose source is not installed is left out (said so). Each --config builds an index with title weight t,
heading weight h and changelog weight cl (exporter/search/build.py); each index is queried in keyword and hybrid mode
for page_alpha 0 and 0.1, identifier_weight 0.5 and 1 and fusion weight 0.75, 1 and 1.5. bm25s (k1 1.2, b 0.75,
stop words, Snowball) ranks each page's indexed text (title, headings, text). Printed: per site and pooled over the
sites, MRR@10 and the paired difference to bm25s with its 95 % interval (10,000 resamples, seed printed)."""

from __future__ import annotations

import argparse
import gzip
import itertools
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_sites import read_questions  # noqa: E402
from rank_search import model_or_default, paired  # noqa: E402

DEV = ROOT / "benchmarks" / "dev"
SEED = 20261206


def sites(work: Path) -> dict[str, tuple[Path, Path]]:
    out = {}
    pip = Path("/usr/share/doc/python3-pip/html")
    if pip.is_dir():
        site = work / "pip-md"
        for f in sorted(pip.rglob("*.md")) + sorted(pip.rglob("*.md.gz")):
            rel = f.relative_to(pip).as_posix().removesuffix(".gz")
            (site / rel).parent.mkdir(parents=True, exist_ok=True)
            (site / rel).write_bytes(gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes())
        out["pip-md"] = (site, DEV / "pip-md" / "questions.jsonl")
    else:
        print("pip-md left out: install Debian's python3-pip")
    with tarfile.open(DEV / "uvicorn-material" / "site.tar.xz") as tar:
        tar.extractall(work / "uvicorn-material", filter="data")
    out["uvicorn-material"] = (work / "uvicorn-material", DEV / "uvicorn-material" / "questions.jsonl")
    req = Path("/usr/share/doc/python-requests-doc/html")
    if req.is_dir():
        out["requests-sphinx"] = (req, DEV / "requests-sphinx" / "questions.jsonl")
    else:
        print("requests-sphinx left out: install Debian's python-requests-doc")
    return out


def norm(url: str) -> str:
    url = url.split("#")[0]
    return url[: -len("index.html")] if url.endswith("index.html") else url


def rr(urls: list[str], answers: list[str]) -> float:
    want = {norm(a) for a in answers}
    return next((1.0 / (k + 1) for k, u in enumerate(urls[:10]) if norm(u) in want), 0.0)


def bm25s_rr(ix, qs: list[dict]) -> np.ndarray:
    import bm25s
    import Stemmer

    pages = [ix.page(p) for p in range(ix.meta["pages"])]
    texts = [" ".join([pg["title"]] + [f"{c['h']} {c['t']}" for c in pg["chunks"]]) for pg in pages]
    stem = Stemmer.Stemmer("english")
    ret = bm25s.BM25(k1=1.2, b=0.75)
    ret.index(bm25s.tokenize(texts, stopwords="en", stemmer=stem, show_progress=False), show_progress=False)
    res, sc = ret.retrieve(bm25s.tokenize([q["query"] for q in qs], stopwords="en", stemmer=stem, show_progress=False),
                           k=min(10, len(pages)), show_progress=False)
    return np.asarray([rr([pages[i]["url"] for i, s in zip(row, srow) if s > 0], q["answers"])
                       for q, row, srow in zip(qs, res, sc)])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", help="an export folder of the default model (default: export it here)")
    ap.add_argument("--config", action="append", help='index settings, e.g. "t=1,h=1,cl=0.5" (repeatable)')
    a = ap.parse_args()
    from exporter.search import build
    from exporter.search.query import SiteIndex

    configs = [{k: float(v) for k, v in (kv.split("=") for kv in c.split(","))} for c in
               (a.config or ["t=1,h=1,cl=1", "t=1,h=1,cl=0.5", "t=1,h=1,cl=0.25", "t=1,h=2,cl=1", "t=1,h=2,cl=0.5"])]
    print(f"bootstrap seed {SEED}")
    rng = np.random.default_rng(SEED)
    per: dict[tuple, np.ndarray] = {}
    keep = (build.TITLE_WEIGHT, build.HEADING_WEIGHT, build.CHANGELOG_WEIGHT)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        model = model_or_default(a.model, work)
        try:
            for name, (site, qfile) in sites(work).items():
                qs = read_questions(qfile)
                for cfg in configs:
                    build.TITLE_WEIGHT, build.HEADING_WEIGHT, build.CHANGELOG_WEIGHT = cfg["t"], cfg["h"], cfg["cl"]
                    ix_dir = work / f"ix-{name}-{cfg['t']}-{cfg['h']}-{cfg['cl']}"
                    build.build_index(site, ix_dir, model=str(model), progress=False)
                    ix = SiteIndex(ix_dir)
                    if (name, "bm25s") not in per:
                        per[(name, "bm25s")] = bm25s_rr(ix, qs)
                        print(f"{name}: {ix.meta['pages']} pages, {len(qs)} questions, bm25s MRR@10 "
                              f"{per[(name, 'bm25s')].mean():.3f}", flush=True)
                    fusion = dict(ix.meta["fusion"])
                    for alpha, iw, fw in itertools.product((0.0, 0.1), (0.5, 1.0), (0.75, 1.0, 1.5)):
                        ix.meta["fusion"] = {**fusion, "page_alpha": alpha, "identifier_weight": iw, "weight": fw}
                        for mode in ("keyword", "hybrid"):
                            if mode == "keyword" and fw != 1.0:
                                continue
                            key = (mode, cfg["t"], cfg["h"], cfg["cl"], alpha, iw, fw)
                            per[(name,) + key] = np.asarray([rr([h["url"] for h in ix.search(
                                q["query"], 10, mode, excerpts=False)], q["answers"]) for q in qs])
        finally:
            build.TITLE_WEIGHT, build.HEADING_WEIGHT, build.CHANGELOG_WEIGHT = keep
    names = sorted({k[0] for k in per})
    base = np.concatenate([per[(n, "bm25s")] for n in names])
    print(f"pooled bm25s MRR@10 {base.mean():.3f}")
    for key in sorted({k[1:] for k in per if k[1] != "bm25s"}):
        mode, t, h, cl, alpha, iw, fw = key
        got = np.concatenate([per[(n,) + key] for n in names])
        c = paired(got, base, rng)
        sites_s = " ".join(f"{n} {per[(n,) + key].mean():.3f}" for n in names)
        print(f"{mode:7s} title {t:g} heading {h:g} changelog {cl:g} page_alpha {alpha:g} identifier {iw:g} fusion "
              f"{fw:g}: pooled {got.mean():.3f} ({c['diff']:+.3f} [{c['lo']:+.3f}, {c['hi']:+.3f}]); {sites_s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
