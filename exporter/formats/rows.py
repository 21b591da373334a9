"""Lazy rows (``rows/``): the table of model.edgembed cut into row shards, so that a page fetches only the rows
of the tokens in front of it (layout: docs/format.md).

``rows/index.bin`` says how the rows are cut and holds, per shard, the first 8 bytes of its SHA-256 (the index
itself is covered by the manifest's sha256; the shards are not listed there one by one), plus pq's codebooks.
Shard ``k`` (``rows/<k>.bin``) holds rows ``[k*S, min(V, (k+1)*S))``: their stored bytes (the table section's
rows), zero-padded to a multiple of 4, then their float32 scales (int8, int4; pq: row norms), if the quant has them.
The values are the flat file's bytes: a runtime that adds a shard's rows computes bit-identical embeddings.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path
from typing import Iterator

import numpy as np

from exporter.formats.flat import HEADER, QUANT_PQ, row_bytes, write_flat
from exporter.formats.table import QUANTS, QuantizedTable, pq_subspaces

MAGIC = b"EDGEROWS"
VERSION = 1
DIR = "rows"
INDEX = f"{DIR}/index.bin"
INDEX_HEADER = struct.Struct("<8s15I")  # 68 bytes; see docs/format.md
INDEX_BYTES = 128  # header block, zero-padded
HASH_BYTES = 8
MIN_HASH_BYTES = 4  # a shard's hash: the first 4 bytes of its SHA-256 or more (a corrupt or stale shard passes 1 in 2^32)
SHARD_BYTES = 2048  # target bytes per shard: about what a query pays per distinct token (docs/format.md)
MAX_SHARDS = 4096


def shard_rows(quant: str, dims: int, vocab: int, target: int = SHARD_BYTES, max_shards: int = MAX_SHARDS) -> int:
    """S: a power of two near TARGET bytes per shard, raised until there are at most MAX_SHARDS shards."""
    rec = row_bytes(quant, dims) + (4 if quant in ("int8", "int4") or pq_subspaces(quant) else 0)
    s = 1 << max(0, round(np.log2(max(1.0, target / rec))))
    while -(-vocab // s) > max_shards:
        s *= 2
    return s


def shard_name(k: int, n_shards: int) -> str:
    return f"{DIR}/{k:0{len(str(n_shards - 1))}d}.bin"


def _shards(qt: QuantizedTable, s: int, per_block: int = 512) -> Iterator[memoryview]:
    """Every shard's bytes in order (S rows each, the last one shorter), cut from blocks of PER_BLOCK shards made
    by numpy (a few MB at a time, not a copy of the whole table)."""
    v = qt.vocab_size
    data = np.ascontiguousarray(qt.data).view(np.uint8).reshape(v, -1)
    full = v // s
    spans = [(lo, min(full, lo + per_block), s) for lo in range(0, full, per_block)]
    if v % s:
        spans.append((full, full + 1, v - full * s))  # the last, shorter shard
    for k0, k1, rows in spans:
        lo, hi, count = k0 * s, k0 * s + (k1 - k0) * rows, k1 - k0
        body = data[lo:hi].reshape(count, rows * data.shape[1])
        parts = [body, np.zeros((count, -body.shape[1] % 4), np.uint8)]
        if qt.scales is not None:
            parts.append(np.ascontiguousarray(qt.scales[lo:hi], dtype="<f4").view(np.uint8).reshape(count, 4 * rows))
        block = np.concatenate(parts, axis=1)
        yield from (memoryview(block[k]) for k in range(count))


def write_rows(out: Path, qt: QuantizedTable, normalize: bool, target: int | None = None) -> dict[str, str]:
    """Write OUT/rows/ (index.bin + the shards) for QT, about TARGET bytes a shard; returns the manifest ``files``
    entry. TARGET None: SHARD_BYTES. A smaller target (a site index's model: exporter/search/model.py) cuts
    proportionally more shards (past MAX_SHARDS) and keeps index.bin's size: a shard of half the rows has a hash of half
    the bytes (at least MIN_HASH_BYTES), since the index is read before a first query's rows can be checked.

    Thousands of small files: each is one open, one write and one close relative to the folder's descriptor (no
    per-file Python file object); the export's folder is made whole by one rename at the end (fsutil.atomic_dir)."""
    out = Path(out)
    (out / DIR).mkdir()
    target = SHARD_BYTES if target is None else target
    scale = max(1, SHARD_BYTES // target)
    v, s = qt.vocab_size, shard_rows(qt.quant, qt.dims, qt.vocab_size, target, MAX_SHARDS * scale)
    hash_bytes = max(MIN_HASH_BYTES, HASH_BYTES // scale)
    n = -(-v // s)
    hashes = bytearray()
    digits = len(str(n - 1))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    dfd = os.open(out / DIR, os.O_RDONLY) if os.open in os.supports_dir_fd else None  # (not on Windows)
    base = "" if dfd is not None else os.fspath(out / DIR)
    try:
        for k, b in enumerate(_shards(qt, s)):
            hashes += hashlib.sha256(b).digest()[:hash_bytes]
            _write_all(os.open(os.path.join(base, f"{k:0{digits}d}.bin"), flags, 0o666, dir_fd=dfd), b)
    finally:
        if dfd is not None:
            os.close(dfd)
    m = pq_subspaces(qt.quant) or 0
    qcode = QUANT_PQ if m else QUANTS.index(qt.quant)
    ds = qt.dims // m if m else 0
    header = INDEX_HEADER.pack(MAGIC, VERSION, v, qt.dims, qcode, 1 if normalize else 0, row_bytes(qt.quant, qt.dims),
                               s, n, hash_bytes, 4 if qt.scales is not None else 0, m, 256 if m else 0, ds,
                               digits, 0)
    body = header + b"\0" * (INDEX_BYTES - len(header))
    if m:
        assert qt.codebooks is not None
        body += np.ascontiguousarray(qt.codebooks, dtype="<f4").tobytes()
    (out / INDEX).write_bytes(body + bytes(hashes))
    return {"rows": INDEX}


def _write_all(fd: int, data: memoryview) -> None:
    """Write DATA to the new file FD and close it."""
    try:
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def is_shard(rel: str) -> bool:
    """True for a row shard's path (covered by rows/index.bin, not listed one by one in the manifest)."""
    return rel.startswith(f"{DIR}/") and rel != INDEX


def read_index(data: bytes) -> dict:
    """The fields of rows/index.bin, its codebooks (pq) and its per-shard hashes."""
    if len(data) < INDEX_BYTES or data[:8] != MAGIC:
        raise ValueError("not an edgembed rows index (bad magic)")
    f = INDEX_HEADER.unpack_from(data)
    keys = ("version", "vocab", "dims", "quant", "flags", "row_bytes", "shard_rows", "shards", "hash_bytes",
            "scale_bytes", "subspaces", "centroids", "sub_dims", "name_digits", "reserved")
    idx = dict(zip(keys, f[1:]))
    if idx["version"] != VERSION:
        raise ValueError(f"rows index version {idx['version']}; this edgembed reads version {VERSION}")
    at = INDEX_BYTES
    books = idx["subspaces"] * idx["centroids"] * idx["sub_dims"] * 4
    idx["codebooks"] = data[at : at + books]
    at += books
    idx["hashes"] = [data[at + k * idx["hash_bytes"] : at + (k + 1) * idx["hash_bytes"]] for k in range(idx["shards"])]
    if at + idx["shards"] * idx["hash_bytes"] != len(data):
        raise ValueError("truncated or corrupt rows index")
    return idx


def check_rows(folder: Path) -> list[str]:
    """The shards of FOLDER/rows/ whose bytes do not match the index's hashes (missing ones included)."""
    idx = read_index((Path(folder) / INDEX).read_bytes())
    bad = []
    for k, want in enumerate(idx["hashes"]):
        p = Path(folder) / shard_name(k, idx["shards"])
        try:
            ok = hashlib.sha256(p.read_bytes()).digest()[: idx["hash_bytes"]] == want
        except OSError:
            ok = False
        if not ok:
            bad.append(p.relative_to(folder).as_posix())
    return bad


def read_table(folder: Path) -> tuple[QuantizedTable, bool]:
    """The table of FOLDER/rows/ (index.bin + every shard, each checked against its hash) and the normalize flag:
    what a runtime that fetched every shard holds. ValueError if a shard is missing, short or corrupt."""
    idx = read_index((Path(folder) / INDEX).read_bytes())
    v, s, rb, n = idx["vocab"], idx["shard_rows"], idx["row_bytes"], idx["shards"]
    data, scales = bytearray(), bytearray()
    base = os.fspath(folder)
    for k in range(n):
        try:
            with open(os.path.join(base, shard_name(k, n)), "rb") as f:  # os paths: thousands of shards
                raw = f.read()
        except OSError as e:
            raise ValueError(f"row shard {shard_name(k, n)} cannot be read: {e.strerror or e}") from None
        if hashlib.sha256(raw).digest()[: idx["hash_bytes"]] != idx["hashes"][k]:
            raise ValueError(f"row shard {shard_name(k, n)} does not match rows/index.bin (corrupt or foreign)")
        rows = min(v, (k + 1) * s) - k * s
        data += raw[: rows * rb]
        if idx["scale_bytes"]:
            off = rows * rb + (-(rows * rb) % 4)
            scales += raw[off : off + 4 * rows]
    quant = f"pq{idx['subspaces']}" if idx["quant"] == QUANT_PQ else QUANTS[idx["quant"]]
    dtype = {"fp32": "<f4", "fp16": "<f2", "int8": "i1"}.get(quant, "u1")
    table = np.frombuffer(bytes(data), dtype=dtype).reshape(v, -1)
    sc = np.frombuffer(bytes(scales), dtype="<f4") if idx["scale_bytes"] else None
    books = (np.frombuffer(idx["codebooks"], dtype="<f4").reshape(idx["subspaces"], idx["centroids"], idx["sub_dims"])
             if idx["subspaces"] else None)
    return QuantizedTable(quant, idx["dims"], table, sc, books), bool(idx["flags"] & 1)


def assemble_flat(folder: Path, out: Path) -> None:
    """Rebuild model.edgembed from FOLDER/rows/ alone (what a runtime that fetched every shard holds): for tests."""
    write_flat(out, *read_table(folder))


assert INDEX_HEADER.size <= INDEX_BYTES and HEADER.size == 64
