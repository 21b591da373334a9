"""The plot of docs/adapt.png: per set, each system's score as a ratio to bm25s (NDCG@10 on cranfield and cisi,
page MRR@10 on the sites), from benchmarks/tune_adapt_fusion.py's JSON; the adapted hybrid at its held-out weight.

    python3 benchmarks/plot_adapt.py RESULTS.json docs/adapt.png"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    res = json.loads(Path(sys.argv[1]).read_text())
    names = list(res["held_out"])
    systems = [("default semantic", "default model, semantic"), ("default hybrid", "default model, hybrid"),
               ("adapted semantic", "--adapt, semantic"), ("held-out", "--adapt, hybrid (held-out weight)")]
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    x = np.arange(len(names))
    width = 0.2
    for k, (key, label) in enumerate(systems):
        vals = [(res["held_out"][n]["score"] if key == "held-out" else res["means"][n][key]) / res["means"][n]["bm25s"]
                for n in names]
        ax.bar(x + (k - 1.5) * width, vals, width, label=label)
    ax.axhline(1.0, color="black", lw=1, label="bm25s")
    ax.set_xticks(x, [f"{n}\n({res['metric'][n]})" for n in names], fontsize=8)
    ax.set_ylabel("ratio to bm25s")
    ax.set_ylim(0.4, max(1.4, ax.get_ylim()[1]))
    ax.legend(fontsize=8, ncol=3, loc="upper left")
    ax.set_title("edgembed index --adapt vs the default model vs bm25s (benchmarks/tune_adapt_fusion.py)", fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
