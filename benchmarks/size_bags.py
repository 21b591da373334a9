"""Size of an exact per-chunk term bag, the only thing feedback reads from a chunk's text, against the text shard.

    python3 benchmarks/size_bags.py INDEX_DIR [INDEX_DIR ...]

For every text shard of the index: gzip size of text/<k>.json, and gzip size of the same chunks' bags (per chunk the
number of its non-weak terms, then each distinct term once, ":count" when above 1; the exact counts query.py's
feedback_weights gets from the text). Prints the means a shard: what a feedback-only text shard would cost as a bag.
"""

from __future__ import annotations

import collections
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from exporter.search.analyze import Analyzer

    an = Analyzer()
    for d in map(Path, sys.argv[1:]):
        meta = json.loads((d / "index.json").read_text())
        text = bags = 0
        n = len(meta["text_chunks"])
        for k in range(n):
            raw = (d / "text" / f"{k}.json").read_bytes()
            out = []
            for ch in json.loads(raw)["chunks"]:
                terms = [t for t in an.terms(ch["h"] + " " + ch["t"]) if t not in an.weak]
                c = collections.Counter(terms)
                out.append(f"{len(terms)}\n" + " ".join(t if v == 1 else f"{t}:{v}" for t, v in c.items()))
            text += len(gzip.compress(raw))
            bags += len(gzip.compress("\n".join(out).encode("utf-8")))
        print(f"{d}: {n} text shards, gzip mean {text / n:,.0f} bytes; the same chunks' term bags {bags / n:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
