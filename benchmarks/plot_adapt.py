"""The plot of docs/adapt.png: per set, each system's score as a ratio to bm25s (NDCG@10 on cranfield and cisi,
page MRR@10 on the sites), from benchmarks/tune_adapt_fusion.py's JSON; the adapted hybrid at its held-out weight.
With TEACHER.json (benchmarks/bench_teacher.py) the teacher's own semantic and hybrid scores are drawn beside them,
and the issue's 1.15x goal for adapted hybrid on each site as a dashed line.

    python3 benchmarks/plot_adapt.py RESULTS.json docs/adapt.png [TEACHER.json]"""

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
    teacher = json.loads(Path(sys.argv[3]).read_text())["sets"] if len(sys.argv) > 3 else None
    names = list(res["held_out"])
    systems = [("default semantic", "default model, semantic"), ("default hybrid", "default model, hybrid"),
               ("adapted semantic", "--adapt, semantic"), ("held-out", "--adapt, hybrid (held-out weight)")]
    if teacher is not None:
        w = res["all_sets_weight"]  # the teacher at the weight adapted indexes ship
        systems += [("teacher semantic", "teacher (all-MiniLM-L6-v2), semantic"),
                    (f"teacher hybrid {w:g}", f"teacher, hybrid (weight {w:g})")]

    def value(n: str, key: str) -> float:
        if key == "held-out":
            return res["held_out"][n]["score"] / res["means"][n]["bm25s"]
        if key.startswith("teacher"):
            return teacher[n]["vs_bm25s"][key]["ratio"]
        return res["means"][n][key] / res["means"][n]["bm25s"]

    fig, ax = plt.subplots(figsize=(11 if teacher else 10, 4.4), dpi=110)
    x = np.arange(len(names))
    width = 0.8 / len(systems)
    for k, (key, label) in enumerate(systems):
        ax.bar(x + (k - (len(systems) - 1) / 2) * width, [value(n, key) for n in names], width, label=label,
               **({"hatch": "//", "edgecolor": "white"} if key.startswith("teacher") else {}))
    ax.axhline(1.0, color="black", lw=1, label="bm25s")
    if teacher is not None:
        ax.axhline(1.15, color="black", lw=1, ls="--", label="goal on each site: 1.15x")
    ax.set_xticks(x, [f"{n}\n({res['metric'][n]})" for n in names], fontsize=8)
    ax.set_ylabel("ratio to bm25s")
    ax.set_ylim(0.4, max(1.5 if teacher is not None else 1.4, ax.get_ylim()[1]))
    ax.legend(fontsize=8, ncol=3, loc="upper left")
    ax.set_title("edgembed index --adapt vs the default model vs bm25s (benchmarks/tune_adapt_fusion.py"
                 + (", bench_teacher.py)" if teacher is not None else ")"), fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
