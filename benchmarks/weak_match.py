"""The demo's weak-match line (exporter/targets/weak_match.py) on three corpora, and how well it separates.

For each corpus: the line `edgembed export` writes into demo/corpus.json (the 90% quantile of the 60 OFF_TOPIC
queries' best scores), the related pseudo-queries' summary, and, where the corpus comes with real queries, the
share of those real queries the page would mark weak, plus the share of another collection's queries (an
unrelated field, never used to set the line) that the page would show as a match.
Corpora: the demo's default (CPython's documentation topics: the line only, no question set: that documentation
is held out of every test set), and the first 600 passages of the bundled Cranfield (aeronautics) and CISI
(library science) collections, each checked against its own queries and the other's.
Usage: python benchmarks/weak_match.py   (default model, int8, all dims; a few seconds)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.pipeline import export  # noqa: E402
from exporter.targets.web import corpus_rows, default_corpus, embed_corpus, measure_weak  # noqa: E402
from exporter.targets.weak_match import best_scores  # noqa: E402

DATA = ROOT / "exporter" / "data"


def texts(path: Path) -> list[str]:
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export"
        man = export(None, out, quant="int8", demo=False)
        cran, cisi = (texts(DATA / d / "corpus.jsonl")[:600] for d in ("cranfield", "cisi"))
        cran_q, cisi_q = (texts(DATA / d / "queries.jsonl") for d in ("cranfield", "cisi"))
        cases = [("Python documentation topics (the demo's default)", [it["text"] for it in default_corpus()], None, None),
                 ("Cranfield, 600 passages", cran, cran_q, cisi_q), ("CISI, 600 passages", cisi, cisi_q, cran_q)]
        for name, passages, own, other in cases:
            vecs = embed_corpus(out, man, passages)
            weak = measure_weak(out, man, passages, vecs)
            q, scales = corpus_rows(vecs)
            rows = q.astype(np.float64) * scales[:, None]
            line = weak["weak_below"]
            print(f"{name}: line {line:.4f}; unrelated probes {weak['unrelated']}; "
                  f"related pseudo-queries {weak['related']}")
            if own is not None:
                mine, theirs = best_scores(embed_corpus(out, man, own), rows), best_scores(embed_corpus(out, man, other), rows)
                print(f"  its own {len(own)} queries marked weak: {np.mean(mine < line):.1%} (best score p10 "
                      f"{np.quantile(mine, 0.1):.3f}, p50 {np.median(mine):.3f}); the other collection's {len(other)} "
                      f"queries shown as a match: {np.mean(theirs >= line):.1%} (p50 {np.median(theirs):.3f})")
        for query in ("quarterly revenue fell", "how do I catch an exception?"):
            vecs = embed_corpus(out, man, cases[0][1])
            q, scales = corpus_rows(vecs)
            score = best_scores(embed_corpus(out, man, [query]), q.astype(np.float64) * scales[:, None])[0]
            print(f"'{query}' on the default corpus: best score {score:.3f}")


if __name__ == "__main__":
    main()
