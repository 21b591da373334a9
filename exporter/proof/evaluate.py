"""``edgembed eval MODEL --data BEIR_DIR``: retrieval quality of every (dims, quant) cell, through the exports.

Each cell is exported (no demo) into a temporary folder and the corpus and queries are embedded by that
export's ``flat`` backend (or ``--backend onnx``): what ships is what is measured. ``bytes`` is the size of
the bundle the JS runtime loads: model.edgembed + tokenizer.json (the ONNX file is reported as onnx_bytes).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import numpy as np

from exporter.errors import EdgembedError
from exporter.formats.quantize import QUANTS, check_quant

DEFAULT_DIMS = (1024, 512, 256, 128, 64)
CHUNK = 256


def _int_list(text: str, flag: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise EdgembedError(f"{flag} must be a comma list of whole numbers, got '{text}'") from None
    if not values or any(v < 1 for v in values):
        raise EdgembedError(f"{flag} must list whole numbers >= 1, got '{text}'")
    return values


def _embed(embedder, texts: Sequence[str], bar) -> np.ndarray:
    parts = []
    for lo in range(0, len(texts), CHUNK):
        parts.append(embedder.encode(texts[lo : lo + CHUNK]))
        bar.update(len(parts[-1]))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dims), np.float32)


def run_eval(model, data_dir: str | Path, dims: Sequence[int] | None = None, quants: Sequence[str] = QUANTS,
             backend: str = "flat", progress: bool = True) -> dict:
    """Evaluate every (dims, quant) cell; returns {"dataset", ..., "cells": [one record per cell]}."""
    from tqdm import tqdm

    from exporter.runtimes.backends import load
    from exporter.proof.datasets import beir_dir
    from exporter.formats.manifest import FILES
    from exporter.pipeline import export
    from exporter.sources.loading import StaticModel, load_model
    from exporter.proof.retrieval import cosine_scores, evaluate, load_beir

    if backend not in ("flat", "onnx"):
        raise EdgembedError(f"--backend must be flat or onnx, got '{backend}'")
    for q in quants:
        check_quant(q)
    data = load_beir(beir_dir(data_dir))
    m = model if isinstance(model, StaticModel) else load_model(model)
    if dims is None:
        dims = [d for d in DEFAULT_DIMS if d <= m.dim] or [m.dim]
    too_big = [d for d in dims if d > m.dim]
    if too_big:
        raise EdgembedError(f"--dims {too_big[0]} is larger than the model's dim ({m.dim})")
    for d in dims:  # pqM needs M to divide dims
        for q in quants:
            check_quant(q, d)
    cells = []
    n_texts = len(data.doc_texts) + len(data.query_texts)
    if progress and not sys.stderr.isatty():  # a log, not a terminal: one line instead of a redrawn bar
        print(f"edgembed eval: exporting and embedding {data.name}: {len(dims) * len(quants)} cells "
              f"({len(dims)} dims x {len(quants)} quants) of {n_texts:,} texts", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="edgembed-eval-") as tmp, \
            tqdm(total=len(dims) * len(quants) * n_texts, desc=f"embedding {data.name}", unit="text",
                 disable=None if progress else True, file=sys.stderr) as bar:
        for d in dims:
            for q in quants:
                out = Path(tmp) / f"{d}-{q}"
                bar.set_postfix_str(f"{d} dims {q}")
                export(m, out, dims=d, quant=q, demo=False, rows=False)
                emb = load(out, backend)
                scores = cosine_scores(_embed(emb, data.query_texts, bar), _embed(emb, data.doc_texts, bar))
                size = {k: (out / rel).stat().st_size for k, rel in FILES.items()}
                cells.append({"dims": d, "quant": q, **evaluate(scores, data),
                              "bytes": size["flat"] + size["tokenizer"], "flat_bytes": size["flat"],
                              "tokenizer_bytes": size["tokenizer"], "onnx_bytes": size["onnx"]})
    return {"dataset": data.name, "data_dir": str(data_dir), "source": m.source, "backend": backend,
            "bytes_is": "model.edgembed + tokenizer.json", "docs": len(data.doc_ids),
            "queries": len(data.query_ids), "vocab_size": m.vocab_size, "cells": cells}


def format_table(result: dict) -> str:
    """The grid as a text table, with each cell's NDCG@10 as a share of fp32's at the same dims."""
    fp32 = {c["dims"]: c["ndcg@10"] for c in result["cells"] if c["quant"] == "fp32"}
    lines = [f"{result['dataset']}: {result['docs']} docs, {result['queries']} judged queries; "
             f"backend {result['backend']}; bytes = {result['bytes_is']}",
             f"{'dims':>5} {'quant':>5} {'ndcg@10':>8} {'recall@10':>9} {'mrr@10':>7} {'bytes':>12} {'ndcg/fp32':>9}"]
    front = {id(c) for c in frontier(result["cells"])}
    for c in result["cells"]:
        ratio = f"{c['ndcg@10'] / fp32[c['dims']]:.4f}" if fp32.get(c["dims"]) else "-"
        lines.append(f"{c['dims']:>5} {c['quant']:>5} {c['ndcg@10']:>8.4f} {c['recall@10']:>9.4f} "
                     f"{c['mrr@10']:>7.4f} {c['bytes']:>12,} {ratio:>9}" + (" *" if id(c) in front else ""))
    lines.append("* on the frontier: no smaller bundle has a higher NDCG@10")
    return "\n".join(lines)


def frontier(cells: Sequence[dict]) -> list[dict]:
    """The cells no smaller cell beats: sorted by bytes, each with a higher NDCG@10 than every smaller one."""
    out: list[dict] = []
    for c in sorted(cells, key=lambda c: (c["bytes"], -c["ndcg@10"])):
        if not out or c["ndcg@10"] > out[-1]["ndcg@10"]:
            out.append(c)
    return out


def plot(result: dict, path: Path) -> None:
    """NDCG@10 against bundle bytes (log x), one line per quant, each point labelled with its dims."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from exporter.fsutil import atomic_file

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for q in dict.fromkeys(c["quant"] for c in result["cells"]):
        cells = sorted((c for c in result["cells"] if c["quant"] == q), key=lambda c: c["bytes"])
        ax.plot([c["bytes"] for c in cells], [c["ndcg@10"] for c in cells], marker="o", label=q)
        for c in cells:
            ax.annotate(str(c["dims"]), (c["bytes"], c["ndcg@10"]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    front = frontier(result["cells"])
    ax.plot([c["bytes"] for c in front], [c["ndcg@10"] for c in front], ls="--", color="0.4", lw=1, zorder=0,
            label="frontier")
    ax.set_xscale("log")
    sizes = [c["bytes"] for c in result["cells"]]
    ticks = [t * 1e6 for t in (0.1, 0.2, 0.5, 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000, 2000)]
    ax.set_xticks([t for t in ticks if min(sizes) / 1.3 <= t <= max(sizes) * 1.3] or [min(sizes)])
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x / 1e6:g} MB"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel(f"bundle bytes ({result['bytes_is']})")
    ax.set_ylabel("NDCG@10")
    ax.set_title(f"{result['dataset']}: quality vs size (labels: dims)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="quant")
    fig.tight_layout()
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="NDCG@10 / recall@10 / MRR@10 per (dims, quant) on a BEIR folder, through the exports")
    p.add_argument("model", nargs="?", default=None, help="model folder or hub id (default: the distilled all-MiniLM-L6-v2)")
    p.add_argument("--data", required=True, help="BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv), or a bundled one: cranfield, cisi")
    p.add_argument("--dims", default=None, help=f"comma list (default {','.join(map(str, DEFAULT_DIMS))}, those <= the model's dim)")
    p.add_argument("--quant", default=",".join(QUANTS), help=f"comma list (default {','.join(QUANTS)}); pqM too, e.g. pq64,pq32")
    p.add_argument("--backend", default="flat", help="export backend that embeds: flat (default) or onnx")
    p.add_argument("--output", default=None, help="write the JSON here (one record per cell under 'cells'); may "
                                                  "replace an earlier eval JSON, never an input")
    p.add_argument("--plot", default=None, help="PNG plot path (default: --output with .png, else eval-DATASET.png); "
                                                "may replace a PNG")
    p.add_argument("--force", action="store_true", help="allow --output/--plot to replace a file of another kind")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")


def run(args) -> int:
    from exporter.fsutil import atomic_file, check_out_file
    from exporter.pipeline import model_path
    from exporter.proof.datasets import beir_dir

    import importlib.util

    can_plot = importlib.util.find_spec("matplotlib") is not None  # an extra: the numbers need none
    if args.plot is not None and not can_plot:
        raise EdgembedError("--plot needs matplotlib: pip install 'edgembed[eval]'")
    dims = _int_list(args.dims, "--dims") if args.dims else None
    quants = [q.strip() for q in args.quant.split(",") if q.strip()]
    inputs = {"the model": model_path(args.model), "the --data folder": beir_dir(args.data)}
    out = check_out_file(args.output, "eval-json", args.force, inputs) if args.output is not None else None
    if args.plot is not None:
        shown = Path(args.plot)
    else:
        shown = Path(args.output).with_suffix(".png") if out is not None else Path(f"eval-{beir_dir(args.data).name}.png")
    if can_plot:
        png = check_out_file(shown, "png", args.force, inputs, flag="--plot")
        if png == out:
            raise EdgembedError(f"--plot {shown} is the --output file: give --plot another path")
    result = run_eval(args.model, args.data, dims, quants, backend=args.backend, progress=args.progress)
    print(format_table(result))
    if out is not None:
        with atomic_file(out) as tmp:
            tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    if not can_plot:
        print("no plot: matplotlib is not installed (pip install 'edgembed[eval]')")
        return 0
    plot(result, png)
    print(f"wrote {shown}")
    return 0
