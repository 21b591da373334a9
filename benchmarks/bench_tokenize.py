"""Tokenization speed: the JS runtime's embed() in Node (one thread) against Rust `tokenizers` encode_batch
on one thread, on the same real passages, in the same run.

    python3 benchmarks/bench_tokenize.py [--model M] [--dims 256] [--quant int8] [--rounds 3] [--passes 5]

Exports the model (default: the default model, int8@256) into a temp folder, then alternates, ROUNDS times,
a Rust pass set (`RAYON_NUM_THREADS=1`, `Tokenizer.encode_batch(texts, add_special_tokens=False)`) and a Node
pass set (web/scripts/bench_tokenize.mjs: `embed()`, the tokenizer alone (a batch, and one text per call), and the
previous runtime's
@huggingface/tokenizers path). Texts: the title + abstract passages of the bundled Cranfield and CISI corpora.
Best-of-passes times; both wall-clock and CPU time are printed (CPU time is steadier on a busy machine).
Target (issue 8): Node embed() >= 3x Rust encode_batch.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RUST = """
import json, sys, time
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1]); texts = json.load(open(sys.argv[2], encoding="utf-8"))
wall = cpu = float("inf")
for _ in range(int(sys.argv[3])):
    c, w = time.process_time(), time.perf_counter()
    tok.encode_batch(texts, add_special_tokens=False)
    wall, cpu = min(wall, time.perf_counter() - w), min(cpu, time.process_time() - c)
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def passages() -> list[str]:
    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir

    return [t for name in ("cranfield", "cisi") for t in load_beir(DATA / name).doc_texts]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--quant", default="int8")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--passes", type=int, default=5)
    args = ap.parse_args()
    from exporter.pipeline import export

    texts = passages()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "export"
        export(args.model, folder, dims=args.dims, quant=args.quant, demo=False)
        (Path(tmp) / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
        env = {**os.environ, "RAYON_NUM_THREADS": "1"}
        rows = []
        for r in range(args.rounds):
            rust = json.loads(subprocess.run([sys.executable, "-c", RUST, str(folder / "tokenizer.json"), str(Path(tmp) / "texts.json"),
                                              str(args.passes)], env=env, check=True, capture_output=True, text=True).stdout)
            node = json.loads(subprocess.run(["node", str(ROOT / "web/scripts/bench_tokenize.mjs"), str(folder),
                                              str(Path(tmp) / "texts.json"), str(args.passes)],
                                             cwd=ROOT / "web", check=True, capture_output=True, text=True).stdout)
            rows.append((rust, node))
            print(f"round {r + 1}: embed / Rust encode_batch = {rust['wall'] / node['embed']['wall']:.2f}x wall, "
                  f"{rust['cpu'] / node['embed']['cpu']:.2f}x CPU", flush=True)
    n = len(texts)
    rust = {k: min(r[0][k] for r in rows) for k in ("wall", "cpu")}
    print(f"\n{n} passages (Cranfield + CISI title + abstract), {rows[0][1]['tokens']:,} tokens; "
          f"model {args.model or 'default'} {args.quant}@{args.dims}; one thread; best of {args.rounds} x {args.passes}\n")
    print("| what | texts/s (wall) | × Rust (wall) | texts/s (CPU) | × Rust (CPU) |")
    print("|---|---:|---:|---:|---:|")
    print(f"| Rust `tokenizers` encode_batch, RAYON_NUM_THREADS=1 | {n / rust['wall']:,.0f} | 1.00 | {n / rust['cpu']:,.0f} | 1.00 |")
    for key, label in (("embed", "edgembed JS `embed()` (tokenize + int8 mean), Node"),
                       ("tokenize", "edgembed JS tokenizer alone, Node"),
                       ("single", "edgembed JS tokenizer, one text per call (no piece reuse), Node"),
                       ("library", "previous runtime: @huggingface/tokenizers + piece cache, Node")):
        best = {k: min(r[1][key][k] for r in rows) for k in ("wall", "cpu")}
        print(f"| {label} | {n / best['wall']:,.0f} | {rust['wall'] / best['wall']:.2f} | {n / best['cpu']:,.0f} | {rust['cpu'] / best['cpu']:.2f} |")


if __name__ == "__main__":
    main()
