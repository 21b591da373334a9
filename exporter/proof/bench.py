"""``edgembed bench DIR``: sentences/s and per-batch p50/p99 latency of each Python backend of an export,
next to SentenceTransformer.encode and model2vec's StaticModel.encode on the source model, same texts, same run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from exporter.errors import EdgembedError

BATCH_SIZES = (1, 64, 256)
REFERENCE = "SentenceTransformer.encode"


def default_texts() -> tuple[list[str], str]:
    """The bundled cranfield corpus + judged queries (1,625 texts), on every machine (exporter/data/README.md)."""
    from exporter.proof.datasets import bench_texts

    return bench_texts()


def time_pass(fn: Callable[[list[str]], object], batches: list[list[str]]) -> list[float]:
    """Seconds of each FN(batch) call, in order."""
    lat = []
    for b in batches:
        t0 = time.perf_counter()
        fn(b)
        lat.append(time.perf_counter() - t0)
    return lat


def time_methods(methods: dict[str, Callable], texts: Sequence[str], batch: int, repeat: int) -> dict[str, dict]:
    """Each method over consecutive batches of TEXTS; passes are interleaved across methods (so load from
    elsewhere hits all of them alike) and each method's fastest pass is kept. One warm-up call first."""
    batches = [list(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    best: dict[str, list[float]] = {}
    for fn in methods.values():
        fn(batches[0])
    for _ in range(repeat):
        for name, fn in methods.items():
            lat = time_pass(fn, batches)
            if name not in best or sum(lat) < sum(best[name]):
                best[name] = lat
    out = {}
    for name, lat in best.items():
        ms = np.array(lat) * 1e3
        out[name] = {"sentences_per_s": len(texts) / sum(lat), "p50_ms": float(np.percentile(ms, 50)),
                     "p99_ms": float(np.percentile(ms, 99)), "batches": len(batches)}
    return out


def _candidates(folder: Path, man: dict, src) -> dict[str, Callable[[], Callable[[list[str]], object]]]:
    """name -> a factory of the encode function (factories raise to mark the row as skipped)."""
    from exporter.runtimes.backends import load
    from exporter.sources.tokenizer import load_tokenizer

    dims = int(man["dims"])

    def tokenize():
        tok = load_tokenizer(src.tokenizer_json)
        return lambda b: tok.encode_batch_fast(b, add_special_tokens=False)

    def st():
        from sentence_transformers import SentenceTransformer
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding

        path = Path(src.source.get("path", ""))
        if (path / "modules.json").is_file():
            model = SentenceTransformer(str(path), device="cpu")
        elif (path / "model.safetensors").is_file():
            model = SentenceTransformer(modules=[StaticEmbedding.from_model2vec(str(path))], device="cpu")
        else:
            raise EdgembedError(f"source model folder not found: {path}")
        return lambda b: model.encode(b, batch_size=len(b), truncate_dim=dims, convert_to_numpy=True,
                                      show_progress_bar=False)

    def m2v():
        from model2vec import StaticModel

        path = Path(src.source.get("path", ""))
        if (path / "config.json").is_file() and (path / "model.safetensors").is_file() and not (path / "modules.json").is_file():
            model = StaticModel.from_pretrained(path)
        else:  # a sentence-transformers folder: the same table and tokenizer through model2vec's constructor
            model = StaticModel(src.table, load_tokenizer(src.tokenizer_json), normalize=src.normalize)
        return lambda b: model.encode(b, batch_size=len(b), max_length=None, use_multiprocessing=False)

    return {
        "tokenization only": tokenize,
        "edgembed flat": lambda: load(folder, "flat").encode,
        "edgembed onnx": lambda: load(folder, "onnx").encode,
        "edgembed torch": lambda: load(folder, "torch").encode,
        REFERENCE: st,
        "model2vec StaticModel.encode": m2v,
    }


def run_bench(folder: str | Path, texts: Sequence[str] | None = None, batch_sizes: Sequence[int] = BATCH_SIZES,
              repeat: int = 3, model: str | None = None, single_max: int = 500) -> dict:
    """Throughput and latency per (batch size, method); batch size 1 uses the first SINGLE_MAX texts."""
    from exporter.formats.manifest import read_manifest
    from exporter.proof.machine import machine_info
    from exporter.proof.parity import source_model

    folder = Path(folder)
    man = read_manifest(folder) if folder.is_dir() else None
    if man is None:
        raise EdgembedError(f"{folder} is not an edgembed export folder (run 'edgembed export' first)")
    origin = "user texts"
    if texts is None:
        texts, origin = default_texts()
    if not texts:
        raise EdgembedError("no texts to benchmark")
    src = source_model(folder, man, model)
    methods, skipped = {}, {}
    for name, make in _candidates(folder, man, src).items():
        try:
            methods[name] = make()
        except Exception as e:  # a peer library missing or unable to load the source: skipped, with the reason
            skipped[name] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    rows = []
    for b in batch_sizes:
        sample = list(texts[:single_max]) if b == 1 else list(texts)
        for name, stats in time_methods(methods, sample, b, repeat).items():
            rows.append({"batch": b, "method": name, "texts": len(sample), **stats})
        ref = next((r for r in rows if r["batch"] == b and r["method"] == REFERENCE), None)
        for r in rows:
            if r["batch"] == b:
                r["vs_st"] = r["sentences_per_s"] / ref["sentences_per_s"] if ref else None
    return {"export": str(folder), "dims": man["dims"], "quant": man["quant"], "texts": origin,
            "n_texts": len(texts), "tokens_parallel": os.environ.get("TOKENIZERS_PARALLELISM"),
            "repeat": repeat, "rows": rows, "skipped": skipped, "machine": machine_info()}


def format_table(result: dict) -> str:
    m = result["machine"]
    lines = [f"bench {result['export']} ({result['dims']} dims, {result['quant']}); {result['n_texts']} texts: {result['texts']}",
             f"machine: {m['cpu']}, {m['cpu_count']} cores; best of {result['repeat']} passes; "
             f"ratio = sentences/s relative to {REFERENCE} at the same batch size",
             f"{'batch':>5}  {'method':<30} {'sent/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'vs ST':>7}"]
    for r in result["rows"]:
        ratio = f"{r['vs_st']:.2f}x" if r.get("vs_st") else "-"
        lines.append(f"{r['batch']:>5}  {r['method']:<30} {r['sentences_per_s']:>10,.0f} {r['p50_ms']:>9.3f} "
                     f"{r['p99_ms']:>9.3f} {ratio:>7}")
    lines += [f"skipped {k}: {v}" for k, v in result["skipped"].items()]
    return "\n".join(lines)


def add_parser(sub) -> None:
    p = sub.add_parser("bench", help="sentences/s and latency per backend, with ratios to SentenceTransformer.encode")
    p.add_argument("export_dir", help="an export folder")
    p.add_argument("--texts", default=None, help="texts (.txt or .jsonl); default: the bundled cranfield corpus + queries (1,625 texts)")
    p.add_argument("--batch-sizes", default=",".join(map(str, BATCH_SIZES)), help="comma list (default 1,64,256)")
    p.add_argument("--repeat", type=int, default=3, help="timed passes per cell, the fastest is kept (default 3)")
    p.add_argument("--model", default=None, help="the source model (default: the one recorded in the manifest)")
    p.add_argument("--output", default=None, help="also write the results as JSON here (may replace an earlier bench "
                                                  "JSON, never an input)")
    p.add_argument("--force", action="store_true", help="allow --output to replace a file that is not a bench JSON")


def run(args) -> int:
    from exporter.proof.evaluate import _int_list
    from exporter.fsutil import atomic_file, check_out_file
    from exporter.inputs import read_texts

    if args.repeat < 1:
        raise EdgembedError(f"--repeat must be at least 1, got {args.repeat}")
    out = check_out_file(args.output, "bench-json", force=args.force, inputs={
        "the export": args.export_dir, "the --texts file": args.texts, "the --model": args.model}) if args.output is not None else None
    texts = read_texts(args.texts) if args.texts else None
    result = run_bench(args.export_dir, texts, _int_list(args.batch_sizes, "--batch-sizes"), args.repeat, args.model)
    print(format_table(result))
    if out is not None:
        with atomic_file(out) as tmp:
            tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    return 0
