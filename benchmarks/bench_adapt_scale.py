"""Time and peak memory of ``edgembed index SITE --adapt`` on a site of N pages, then of a re-run in place after
M pages changed (the feature cache and the earlier fit reused), and the quality of both indexes.

The site is BEIR-derived: the cranfield and cisi documents, one page each, then pages made of two documents
joined (drawn with the seed) until N pages; the queries of both collections judge the semantic NDCG@10 of each
index (a joined page counts for neither document: it is padding for the scale). The M changed pages get a sentence
appended. The feature cache starts empty (XDG_CACHE_HOME in the work folder). Each run is a child process under
/usr/bin/time (wall seconds, CPU seconds: user + system, peak RSS); on a shared machine the CPU
seconds are the steadier figure.

    python3 benchmarks/bench_adapt_scale.py [--pages 5000] [--changed 50] [--seed 0] [--out results.json]"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_adapt import ndcg10  # noqa: E402
from exporter.proof.retrieval import load_beir  # noqa: E402
from search_site import beir_corpus, write_site  # noqa: E402

SETS = ("cranfield", "cisi")
EDIT = " This page was edited after the site was first indexed, with a sentence on a new topic."


def make_site(out: Path, pages: int, seed: int) -> tuple[dict[str, str], list[str]]:
    """The site (url -> "set/doc id" for the real documents) and the ids of its pages, in order."""
    ids, titles, texts = [], [], []
    for name in SETS:
        i, t, x = beir_corpus(ROOT / "exporter" / "data" / name)
        ids += [f"{name}-{d}" for d in i]
        titles += t
        texts += x
    rng = random.Random(seed)
    n_real = len(ids)
    while len(ids) < pages:
        a, b = rng.randrange(n_real), rng.randrange(n_real)
        ids.append(f"joined-{len(ids)}")
        titles.append(f"{titles[a]} / {titles[b]}")
        texts.append(f"{texts[a]} {texts[b]}")
    urls = write_site(ids[:pages], titles[:pages], texts[:pages], out)
    return urls, ids[:pages]


def edit(site: Path, page_ids: list[str], changed: int, seed: int) -> list[str]:
    picked = random.Random(seed + 1).sample(page_ids, changed)
    for d in picked:
        f = site / "doc" / f"{d}.html"
        f.write_text(f.read_text(encoding="utf-8").replace("</p></main>", EDIT + "</p></main>"), encoding="utf-8")
    return picked


def index(site: Path, out: Path, cache: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    args = ["/usr/bin/time", "-f", "TIME %e %M %U %S", sys.executable, "-m", "exporter", "index", str(site), "--out",
            str(out), "--adapt", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, env=env)
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    wall, kb, user, system = re.findall(r"TIME ([\d.]+) (\d+) ([\d.]+) ([\d.]+)", proc.stderr)[-1]
    meta = json.loads((out / "index.json").read_text())
    return {"seconds": round(time.perf_counter() - t0, 1), "cpu_seconds": round(float(user) + float(system), 1),
            "peak_rss_mb": round(int(kb) / 1024), "chunks": meta["chunks"], "load_average": os.getloadavg(),
            "log": [ln for ln in proc.stderr.splitlines() if ln.startswith("edgembed:")]}


def quality(out: Path, urls: dict[str, str]) -> dict:
    from exporter.search.query import SiteIndex

    ix = SiteIndex(out)
    res = {}
    for name in SETS:
        data = load_beir(ROOT / "exporter" / "data" / name)
        ranked = [[urls.get(h["url"], "").removeprefix(f"{name}-") for h in ix.search(q, 10, "semantic", excerpts=False)]
                  for q in data.query_texts]
        res[name] = round(float(ndcg10(ranked, data).mean()), 4)
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=5000)
    ap.add_argument("--changed", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", default=None, help="work folder (default: a temporary one, removed)")
    ap.add_argument("--out", default=None, help="write the results as JSON")
    args = ap.parse_args()
    print(f"seed {args.seed}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-adapt-scale-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        site = work / "site"
        urls, page_ids = make_site(site, args.pages, args.seed)
        res = {"pages": args.pages, "changed": args.changed, "seed": args.seed, "cpus": os.cpu_count(),
               "load_average_before": os.getloadavg()}
        res["first"] = index(site, work / "idx", work / "cache")
        res["first"]["ndcg@10"] = quality(work / "idx", urls)
        print(json.dumps(res), file=sys.stderr, flush=True)
        res["changed_pages"] = edit(site, page_ids, args.changed, args.seed)
        res["rerun"] = index(site, work / "idx", work / "cache")
        res["rerun"]["ndcg@10"] = quality(work / "idx", urls)
        res["load_average_after"] = os.getloadavg()
    print(json.dumps({k: v for k, v in res.items() if k != "changed_pages"}, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(res, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
