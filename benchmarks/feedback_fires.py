"""On how many of a site's questions hybrid feedback fires, by kind, counting words (the shipped gate) and terms.

    python3 benchmarks/feedback_fires.py SITE=INDEX_DIR [SITE=INDEX_DIR ...]

SITE names benchmarks/sites/SITE/questions.jsonl; INDEX_DIR is an `edgembed index` of that site. Prints per kind of
question (nl, keyword, typo): questions, fired with the terms count, fired with the words count (SiteIndex.feedback_gate,
feedback_min_terms of the index)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from exporter.search.query import SiteIndex

    total: dict[str, list[int]] = {}
    for arg in sys.argv[1:]:
        name, folder = arg.split("=", 1)
        ix = SiteIndex(folder)
        per: dict[str, list[int]] = {}
        for line in (ROOT / "benchmarks" / "sites" / name / "questions.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            qt = ix.query_terms(q["query"])
            row = per.setdefault(q["kind"], [0, 0, 0])
            row[0] += 1
            row[1] += ix.feedback_gate(q["query"], qt, "terms")
            row[2] += ix.feedback_gate(q["query"], qt, "words")
        for kind, row in per.items():
            t = total.setdefault(kind, [0, 0, 0])
            for i in range(3):
                t[i] += row[i]
        print(name, {k: f"{a} questions, terms {b}, words {c}" for k, (a, b, c) in per.items()})
    print("all", {k: f"{a} questions, terms {b}, words {c}" for k, (a, b, c) in total.items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
