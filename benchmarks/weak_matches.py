"""Where the search box calls a result weak: the score of each top-10 page relative to the first one, on development
sets (cranfield, cisi: one page a document, the default model), split by relevance.

    python3 benchmarks/weak_matches.py [--out FILE.json]

For each mode (keyword, hybrid) and each rank 2..10 it records score / first score and whether the page is relevant
(qrels); it prints, for candidate thresholds, the share of relevant and of non-relevant hits that fall below it. The
box (web/runtime/search_ui.mjs, WEAK_RATIO) marks a hit weak below the threshold chosen from these numbers."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from search_site import beir_site  # noqa: E402


def qrels(folder: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        q, d, s = line.split("\t")[:3]
        if float(s) > 0:
            out.setdefault(q, set()).add(d)
    return out


def run(name: str, work: Path) -> dict:
    from exporter.search.build import build_index
    from exporter.search.query import SiteIndex

    folder = ROOT / "exporter" / "data" / name
    site = work / name
    urls = beir_site(folder, site)
    build_index(site, site / "_edgembed", progress=False)
    ix = SiteIndex(site / "_edgembed")
    rel = qrels(folder)
    rows: dict[str, list] = {"keyword": [], "hybrid": []}
    for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        o = json.loads(line)
        if str(o["_id"]) not in rel:
            continue
        want = rel[str(o["_id"])]
        for mode in rows:
            hits = ix.search(o["text"], 10, mode)
            if not hits or hits[0]["score"] <= 0:
                continue
            top = hits[0]["score"]
            for r, h in enumerate(hits[1:], 2):
                rows[mode].append([h["score"] / top, h["score"], urls.get(h["url"]) in want, r])
    return rows


def summary(rows: list) -> list[dict]:
    rel = [r for r in rows if r[2]]
    non = [r for r in rows if not r[2]]
    out = []
    for t in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8):
        out.append({"below": t, "relevant_below": round(sum(r[0] < t for r in rel) / max(1, len(rel)), 3),
                    "nonrelevant_below": round(sum(r[0] < t for r in non) / max(1, len(non)), 3),
                    "precision_of_weak": round(sum(not r[2] for r in rows if r[0] < t) / max(1, sum(r[0] < t for r in rows)), 3)})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="cranfield,cisi")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    res = {}
    with tempfile.TemporaryDirectory(prefix="edgembed-weak-") as work:
        for name in a.datasets.split(","):
            rows = run(name, Path(work))
            res[name] = {m: {"hits": len(r), "relevant": sum(x[2] for x in r), "thresholds": summary(r)} for m, r in rows.items()}
            print(name, json.dumps(res[name], indent=1), flush=True)
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
