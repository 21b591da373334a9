"""What the demo's first result waits for, in bytes, and what other encodings of its two big files would save: the
levers for a first result on a link-bound phone profile (docs/web.md, "First result: the bytes are the floor").

    python3 benchmarks/first_result_bytes.py [--dims 256] [--quant int8]

Exports the default model with the demo (as bench_first_load.py does), then for tokenizer.bin and demo/corpus.bin
prints the bytes as exported and under other encodings, each with the milliseconds it would save at the mobile
profile's 1,638 kbit/s (204.8 kB/s): exact ones (zopfli, when the `zopfli` module is installed, with its time;
tokens without their "##"; tokens sorted and front-coded plus the id permutation a lookup then needs; the corpus
column by column, its dimensions ordered by spread) and one lossy one (the corpus at 7 bits, with how often its
top 6 equal the unquantized vectors' for the corpus titles and bench_first_load.py's queries as queries, beside
the 8 bits as exported).
"""

from __future__ import annotations

import argparse
import gzip
import json
import struct
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
LINK = 1638.4 / 8  # kB/s, the mobile profile's downlink


def gz(data: bytes, strategy: int = zlib.Z_DEFAULT_STRATEGY, mem: int = 9) -> int:
    c = zlib.compressobj(9, zlib.DEFLATED, 31, mem, strategy)
    return len(c.compress(data) + c.flush())


def zopfli_size(data: bytes) -> tuple[int, float] | None:
    try:
        import zopfli.gzip as zg
    except ImportError:
        return None
    t = time.perf_counter()
    n = len(zg.compress(data, numiterations=1))
    return n, time.perf_counter() - t


def tokens_of(pack: bytes) -> list[bytes]:
    """The token section of an (unpacked) tokenizer pack, one bytes per id (docs/format.md)."""
    n_config, n_tokens = struct.unpack_from("<2I", pack, 24)
    at = 64 + ((n_config + 7) & ~7)
    return pack[at : at + n_tokens].split(b"\0")


def front_coded(tokens: list[bytes]) -> tuple[bytes, bytes]:
    """The tokens sorted, each as (bytes shared with the one before, the rest), and the ids in that order (uint16)."""
    order = sorted(range(len(tokens)), key=lambda i: tokens[i])
    out, prev = bytearray(), b""
    for i in order:
        x, k = tokens[i], 0
        while k < min(len(x), len(prev), 255) and x[k] == prev[k]:
            k += 1
        out += bytes([k]) + x[k:] + b"\0"
        prev = x
    return bytes(out), np.asarray(order, dtype="<u2").tobytes()


def quantized(vecs: np.ndarray, levels: int) -> tuple[np.ndarray, np.ndarray]:
    scales = (np.abs(vecs).max(axis=1) / levels).astype(np.float32)
    inv = np.divide(1.0, scales, out=np.zeros_like(scales), where=scales > 0)
    return np.clip(np.rint(vecs * inv[:, None]), -levels, levels).astype(np.int8), scales


def agreement(ref: np.ndarray, got: np.ndarray, k: int = 6) -> tuple[float, float]:
    """Share of queries whose top K (in order; as a set) equal the reference's."""
    a = np.argsort(-ref, axis=1, kind="stable")[:, :k]
    b = np.argsort(-got, axis=1, kind="stable")[:, :k]
    return float(np.mean((a == b).all(axis=1))), float(np.mean([set(x) == set(y) for x, y in zip(a, b)]))


def main() -> int:
    from bench_first_load import QUERIES

    from exporter.pipeline import export
    from exporter.targets import web

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--quant", default="int8")
    args = ap.parse_args()
    rows: list[tuple[str, int, str]] = []
    with tempfile.TemporaryDirectory(prefix="edgembed-first-bytes-") as tmp:
        out = Path(tmp) / "m"
        man = export(None, out, dims=args.dims, quant=args.quant, demo=True)
        packed = (out / "tokenizer.bin").read_bytes()
        pack = gzip.decompress(packed)
        base = len(packed)
        rows.append(("tokenizer.bin as exported (gzip -9)", base, ""))
        z = zopfli_size(pack)
        if z:
            rows.append(("tokenizer.bin, zopfli (1 iteration)", z[0], f"{z[1]:.2f} s to compress"))
        toks = tokens_of(pack)
        section = b"\0".join(toks)
        cont = np.array([t.startswith(b"##") for t in toks], dtype=np.uint8)
        stripped = b"\0".join(t[2:] if c else t for t, c in zip(toks, cont))
        rows.append(('tokenizer.bin, tokens without "##" + a bitmap', base - gz(section) + gz(stripped) + gz(np.packbits(cont).tobytes()), ""))
        fc, perm = front_coded(toks)
        rows.append(("tokenizer.bin, tokens sorted, front-coded + id permutation", base - gz(section) + gz(fc) + gz(perm),
                     f"front-coded {gz(fc) / 1e3:.1f} kB, permutation {gz(perm) / 1e3:.1f} kB"))

        meta = json.loads((out / "demo" / "corpus.json").read_text(encoding="utf-8"))
        cpacked = (out / "demo" / "corpus.bin").read_bytes()
        raw = gzip.decompress(cpacked)
        n, d = meta["count"], meta["dims"]
        q = np.frombuffer(raw, dtype=np.int8, count=n * d).reshape(n, d)
        tail = raw[-4 * n :]
        cbase = len(cpacked)
        rows.append(("corpus.bin as exported (int8 rows, gzip -9)", cbase, ""))
        cols = q.T[np.argsort(-q.std(axis=0), kind="stable")].tobytes() + tail
        rows.append(("corpus.bin, column by column, dims by spread", gz(cols), ""))
        rows.append(("corpus.bin, the same, Z_FILTERED, memLevel 8", gz(cols, zlib.Z_FILTERED, 8), ""))
        z = zopfli_size(cols)
        if z:
            rows.append(("corpus.bin, the same, zopfli (1 iteration)", z[0], f"{z[1]:.2f} s to compress"))
        items, _ = web.load_corpus(None)
        vecs = web.embed_corpus(out, man, [it["text"] for it in items])
        queries = list(QUERIES) + [it["title"] for it in items]
        qv = web.embed_corpus(out, man, queries)
        qv /= np.maximum(np.linalg.norm(qv, axis=1, keepdims=True), 1e-12)
        ref = qv @ vecs.T
        for levels, name in ((127, "8 bits (as exported)"), (63, "7 bits (lossy)")):
            qq, sc = quantized(vecs, levels)
            body = qq.tobytes() + b"\0" * (-qq.nbytes % 4) + sc.astype("<f4").tobytes()
            order, same = agreement(ref, qv @ (qq.astype(np.float64) * sc[:, None]).T)
            rows.append((f"corpus.bin at {name}", len(gzip.compress(body, 9, mtime=0)),
                         f"top 6 as unquantized: {order:.3f} in order, {same:.3f} as a set ({len(queries)} queries)"))
        index = (out / "rows" / "index.bin").stat().st_size
        rows.append(("rows/index.bin (8 bytes of SHA-256 a shard)", index, ""))
    ref_of = {"tokenizer.bin": base, "corpus.bin": cbase}
    print("| file, encoding | bytes | saved | at 1.6 Mbit/s | note |\n|---|---:|---:|---:|---|")
    for name, size, note in rows:
        saved = next((ref_of[k] - size for k in ref_of if name.startswith(k)), 0)
        print(f"| {name} | {size / 1e3:,.1f} kB | {saved / 1e3:,.1f} kB | {saved / 1e3 / LINK * 1e3:,.0f} ms | {note} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
