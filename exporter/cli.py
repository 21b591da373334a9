"""The ``edgembed`` command line. Every user error is one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from exporter.errors import EdgembedError
from exporter.formats.quantize import QUANTS, pq_subspaces


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise EdgembedError(message)


def _dims(value: str) -> int:
    try:
        d = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--dims must be a whole number, got '{value}'") from None
    if d < 1:
        raise argparse.ArgumentTypeError(f"--dims must be at least 1, got {d}")
    return d


def build_parser(commands: bool = True) -> argparse.ArgumentParser:
    """The `edgembed` parser; COMMANDS False: the built-in commands only (export, embed), without importing the
    modules of the others (a start-up cost every `edgembed export` would pay)."""
    p = _Parser(prog="edgembed", description="Ship static embedding models to the browser, the edge and phones.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("export", help="export a model to ONNX + flat binary + tokenizer.json (+ web demo)")
    e.add_argument("model", nargs="?", default=None, help="model folder or hub id (default: the distilled all-MiniLM-L6-v2)")
    e.add_argument("--dims", type=_dims, default=None, help="keep the first N dims (Matryoshka); default: all")
    e.add_argument("--quant", default="int8", help=f"table quantization: {', '.join(QUANTS)}, or pqM (product quantization, M subspaces dividing dims, e.g. pq64) (default int8)")
    e.add_argument("--out", default="edgembed-export",
                   help="output folder: new, empty or an earlier export (replaced atomically); never ., a parent, "
                        "home or the model (default edgembed-export)")
    e.add_argument("--force", action="store_true", help="allow --out to replace a non-empty folder edgembed did not write")
    e.add_argument("--no-demo", dest="demo", action="store_false", help="skip the web demo")
    e.add_argument("--corpus", default=None, help="demo search corpus (.txt or .jsonl)")
    e.add_argument("--target", action="append", default=None,
                   help="web (default), mobile (adds the .ort model), edge (adds the edge worker); repeat or comma-list")
    e.add_argument("--cors-origin", default="*", help="--target edge: the origin(s) the worker allows (default *)")
    e.add_argument("--no-rows", dest="rows", action="store_false",
                   help="skip rows/ (the table as row shards, which pages fetch lazily: only the rows their texts need)")

    m = sub.add_parser("embed", help="embed texts with a model or an export folder")
    m.add_argument("source", help="model folder / hub id (torch backend) or export folder (any backend)")
    m.add_argument("--backend", default="flat", help="torch, onnx or flat (default flat)")
    m.add_argument("--device", default="cpu", help="cpu or cuda (torch, onnx)")
    m.add_argument("--dims", type=_dims, default=None, help="model source only: keep the first N dims")
    m.add_argument("--input", required=True, help=".txt (one text a line) or .jsonl (a 'text' field a line)")
    m.add_argument("--output", required=True, help="output .npy file (float32, one row per text); may replace a .npy, "
                                                   "never an input")
    m.add_argument("--force", action="store_true", help="allow --output to replace a file that is not a .npy")

    for mod in dict.fromkeys(COMMANDS.values()) if commands else ():  # a module may add several commands
        _optional(mod, "add_parser", sub)
    return p


BUILTIN = ("export", "embed")  # the commands defined here
# Commands that live in their own modules (each has add_parser(sub) and run(args)): name -> module.
COMMANDS = {
    "distill": "exporter.sources.distill",
    "serve": "exporter.targets.serve",
    "parity": "exporter.proof.parity",
    "eval": "exporter.proof.evaluate",
    "bench": "exporter.proof.bench",
    "index": "exporter.search.cli",
    "search": "exporter.search.cli",
}


def _optional(modname: str, attr: str, *args):
    import importlib

    try:
        module = importlib.import_module(modname)
    except ModuleNotFoundError as e:
        if e.name == modname:
            return None
        raise
    return getattr(module, attr)(*args)


def cmd_export(args) -> int:
    from exporter.pipeline import export

    if args.quant not in QUANTS and pq_subspaces(args.quant) is None:
        raise EdgembedError(f"unknown --quant '{args.quant}': choose one of {', '.join(QUANTS)} or pqM (e.g. pq64)")
    man = export(args.model, args.out, dims=args.dims, quant=args.quant, demo=args.demo,
                 corpus=args.corpus, target=args.target, cors_origin=args.cors_origin, rows=args.rows, force=args.force)
    total = _tree_bytes(args.out)
    print(f"exported {man['vocab_size']}x{man['dims']} {man['quant']} to {args.out} ({total:,} bytes): "
          + ", ".join(f"{k}={v}" for k, v in man["files"].items()))
    if "edge" in man["files"]:
        from exporter.targets.edge import size_report

        line, warning = size_report(Path(args.out))
        print(line)
        if warning:
            print(f"edgembed: warning: {warning}", file=sys.stderr)
    return 0


def _tree_bytes(folder: str | os.PathLike) -> int:
    """Bytes of the files under FOLDER (one lstat per entry: an export holds thousands of row shards)."""
    total = 0
    with os.scandir(folder) as it:
        for e in it:
            if e.is_dir(follow_symlinks=False):
                total += _tree_bytes(e.path)
            elif e.is_file(follow_symlinks=False):
                total += e.stat(follow_symlinks=False).st_size
    return total


def cmd_embed(args) -> int:
    import numpy as np

    from exporter.runtimes.backends import BACKENDS, load
    from exporter.fsutil import atomic_file, check_out_file
    from exporter.inputs import read_texts

    if args.backend not in BACKENDS:
        raise EdgembedError(f"unknown backend '{args.backend}': choose one of {', '.join(BACKENDS)}")
    out = check_out_file(args.output, "npy", force=args.force,
                         inputs={"the --input file": args.input, "the model or export": args.source})
    texts = read_texts(args.input)
    emb = load(args.source, backend=args.backend, device=args.device, dims=args.dims).encode(texts)
    with atomic_file(out) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, emb)
    print(f"embedded {len(texts)} texts -> {args.output} {emb.shape}")
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "true")
    try:
        given = sys.argv[1:] if argv is None else argv
        args = build_parser(commands=not (given and given[0] in BUILTIN)).parse_args(argv)
        handler = {"export": cmd_export, "embed": cmd_embed}.get(args.command)
        if handler is None:
            return int(_optional(COMMANDS[args.command], "run", args) or 0)
        return handler(args)
    except EdgembedError as e:
        print(f"edgembed: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("edgembed: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
