"""The index's binary pieces, read and written the same way in Python and in the browser (search.mjs).

- ``terms/<s>.bin``: the terms whose FNV-1a hash (of their UTF-8 bytes) mod ``term_shards`` is s. ``EMT1``, then
  per term: varint byte length, UTF-8 bytes, varint df, then df pairs (varint chunk-id delta, u8 impact).
- ``codes/<k>.bin``: one bit per dimension (sign of the chunk's vector, LSB first) for the first ``code_dims_a``
  dims, ``code_bytes`` per chunk, ``code_shard`` chunks a shard (the last may be shorter); ``codes/<k>.b.bin``: the
  same for the remaining dims, ``code_bytes_b`` per chunk (absent when there are none).
- ``pages/<p>.json``: page p's url, title and chunks (``h`` heading, ``a`` anchor, ``t`` text).
- ``vecs/<p>.bin``: page p's chunks' vectors, int8 (max |x| -> 127), ``dims`` bytes each, one after the other.
All integers are unsigned LEB128 varints unless said otherwise."""

from __future__ import annotations

import numpy as np

from exporter.errors import EdgembedError

TERMS_MAGIC = b"EMT1"


def fnv1a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def shard_of(term: str, shards: int) -> int:
    return fnv1a(term.encode("utf-8")) % shards


def varint(v: int, out: bytearray) -> None:
    while v >= 128:
        out.append((v & 127) | 128)
        v >>= 7
    out.append(v)


def encode_term(term: str, chunks: np.ndarray, impacts: np.ndarray, out: bytearray) -> None:
    raw = term.encode("utf-8")
    varint(len(raw), out)
    out += raw
    varint(len(chunks), out)
    prev = 0
    for c, i in zip(chunks.tolist(), impacts.tolist()):
        varint(c - prev, out)
        out.append(i)
        prev = c


def decode_terms(data: bytes) -> dict[str, tuple[list[int], list[int]]]:
    """term -> (chunk ids, impacts) of one terms shard."""
    if data[:4] != TERMS_MAGIC:
        raise EdgembedError("corrupt search index: a terms shard has a bad magic")
    at, n, out = 4, len(data), {}

    def uv() -> int:
        nonlocal at
        v, shift = 0, 0
        while True:
            if at >= n:
                raise EdgembedError("corrupt search index: a terms shard is truncated")
            b = data[at]
            at += 1
            v |= (b & 127) << shift
            if b < 128:
                return v
            shift += 7

    while at < n:
        ln = uv()
        term = data[at: at + ln].decode("utf-8")
        at += ln
        df = uv()
        ids, imp, prev = [], [], 0
        for _ in range(df):
            prev += uv()
            ids.append(prev)
            if at >= n:
                raise EdgembedError("corrupt search index: a terms shard is truncated")
            imp.append(data[at])
            at += 1
        out[term] = (ids, imp)
    return out


def pack_codes(vectors: np.ndarray) -> np.ndarray:
    """Sign bits of each row, LSB first: uint8 [rows, ceil(dims / 8)]."""
    return np.packbits(vectors > 0, axis=1, bitorder="little")


def quantize_int8(vectors: np.ndarray) -> np.ndarray:
    """Symmetric int8 per row (max |x| -> 127); the scale is not kept: cosine does not need it."""
    v = vectors.astype(np.float64)
    m = np.abs(v).max(axis=1, keepdims=True)
    m[m == 0] = 1.0
    return np.clip(np.rint(v / m * 127.0), -127, 127).astype(np.int8)

