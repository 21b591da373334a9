"""Sizing a per-chunk "top terms" list for hybrid's keyword feedback (docs/search.md, "Feedback gate, measured"): each
chunk's L heaviest non-weak terms with their counts (and its term count), stored with the chunk's vector so that
feedback needs no text shard. Printed per site: the list's raw bytes a chunk (term, NUL, a count byte; 2 bytes of
length), and on how many of the site's questions that feed back (feedback_min_terms) the 3 feedback terms from the
truncated lists equal query.py's, in order.

    python3 benchmarks/size_topterms.py NAME=INDEX [NAME=INDEX ...]   (NAME: a benchmarks/sites/ question set)"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_sites import load_questions  # noqa: E402

from exporter.search.build import FEEDBACK_MIN_TERMS  # noqa: E402  (an index built before the gate)
from exporter.search.query import SiteIndex, feedback_weights  # noqa: E402

for spec in sys.argv[1:]:
    name, folder = spec.split("=", 1)
    ix = SiteIndex(folder)
    weak = ix.analyzer.weak
    terms = {}
    def full(c):
        if c not in terms:
            ch = ix.chunk(c)[2]
            terms[c] = [t for t in ix.analyzer.terms(ch["h"] + " " + ch["t"]) if t not in weak]
        return terms[c]
    n = ix.meta["chunks"]
    for L in (8, 16):
        sizes = []
        for c in range(n):
            ts = full(c); cnt = {}
            for t in ts: cnt[t] = cnt.get(t, 0) + 1
            top = sorted(cnt.items(), key=lambda x: (-x[1], x[0]))[:L]
            sizes.append(2 + sum(len(t.encode()) + 2 for t, _ in top))  # term + NUL + count byte, + 2-byte length
        same = tot = 0
        for q in load_questions(name):
            qt = ix.query_terms(q["query"])
            if sum(1 for t in qt if t not in weak) < int(ix.meta["fusion"].get("feedback_min_terms", FEEDBACK_MIN_TERMS)):
                continue
            f = dict(ix.meta["fusion"]); ix.meta["fusion"] = {**f, "feedback_docs": 0}
            fb = [c for c, _ in ix.ranked_chunks(q["query"], "hybrid", 10)[0][:10]]
            ix.meta["fusion"] = f
            lists = [full(c) for c in fb]
            want = [t for t, _ in feedback_weights(lists)[:3]]
            # truncated: each chunk's top-L terms keep their share of the chunk's full length
            wt = {}
            for ts in lists:
                if not ts: continue
                cnt = {}
                for t in ts: cnt[t] = cnt.get(t, 0) + 1
                for t, k in sorted(cnt.items(), key=lambda x: (-x[1], x[0]))[:L]:
                    wt[t] = wt.get(t, 0) + k / len(ts) / len(lists)
            got = [t for t, _ in sorted(wt.items(), key=lambda x: (-x[1], x[0]))[:3]]
            same += got == want; tot += 1
        print(f"{name}: L={L}: {np.mean(sizes):.0f} bytes a chunk (raw), feedback's 3 terms equal on {same}/{tot} firing questions", flush=True)
