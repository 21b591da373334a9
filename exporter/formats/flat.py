"""The flat binary: a 64-byte little-endian header and 64-byte-aligned sections (see docs/format.md).

Version 1: fp32, fp16, int8, int4. Version 2: pqM only (a second 64-byte header block, the codebooks section);
the fixed quants are still written as version 1, byte for byte as before.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError
from exporter.formats.table import QUANTS, QuantizedTable, pq_subspaces

MAGIC = b"EDGEMBED"
VERSION = 1  # fp32, fp16, int8, int4
VERSION_PQ = 2  # pqM: quant code 4, the PQ block at offset 64, codebooks section
VERSIONS = (VERSION, VERSION_PQ)
HEADER = struct.Struct("<8sIIIIII QQQQ".replace(" ", ""))  # 64 bytes
PQ_BLOCK = struct.Struct("<IIII QQ".replace(" ", ""))  # at offset 64 in version 2, zero-padded to 64 bytes
QUANT_PQ = 4
ALIGN = 64
FLAG_NORMALIZE = 1
_DTYPES = {"fp32": np.dtype("<f4"), "fp16": np.dtype("<f2"), "int8": np.dtype("i1"), "int4": np.dtype("u1")}
assert HEADER.size == 64 and PQ_BLOCK.size <= 64


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def row_bytes(quant: str, dims: int) -> int:
    m = pq_subspaces(quant)
    if m is not None:
        return m
    return (dims + 1) // 2 if quant == "int4" else dims * _DTYPES[quant].itemsize


def write_flat(path: Path, qt: QuantizedTable, normalize: bool) -> None:
    """Write a quantized table in the flat format."""
    if qt.codebooks is not None:
        return _write_pq(path, qt, normalize)
    rb = row_bytes(qt.quant, qt.dims)
    table = np.ascontiguousarray(qt.data, dtype=_DTYPES[qt.quant])
    assert table.nbytes == rb * qt.vocab_size
    t_off = _align(HEADER.size)
    s_off = _align(t_off + table.nbytes) if qt.scales is not None else 0
    s_bytes = 4 * qt.vocab_size if qt.scales is not None else 0
    header = HEADER.pack(MAGIC, VERSION, qt.vocab_size, qt.dims, QUANTS.index(qt.quant),
                         FLAG_NORMALIZE if normalize else 0, rb, t_off, table.nbytes, s_off, s_bytes)
    with open(path, "wb") as f:
        f.write(header)
        f.write(b"\0" * (t_off - HEADER.size))
        f.write(table.tobytes())
        if qt.scales is not None:
            f.write(b"\0" * (s_off - t_off - table.nbytes))
            f.write(np.ascontiguousarray(qt.scales, dtype="<f4").tobytes())


def _write_pq(path: Path, qt: QuantizedTable, normalize: bool) -> None:
    """Version 2: header, PQ block, codes uint8[V, M], norms float32[V], codebooks float32[M, 256, D/M]."""
    assert qt.scales is not None and qt.codebooks is not None
    m, k, ds = qt.codebooks.shape
    codes = np.ascontiguousarray(qt.data, dtype=np.uint8)
    norms = np.ascontiguousarray(qt.scales, dtype="<f4")
    books = np.ascontiguousarray(qt.codebooks, dtype="<f4")
    t_off = 2 * ALIGN
    s_off = _align(t_off + codes.nbytes)
    c_off = _align(s_off + norms.nbytes)
    header = HEADER.pack(MAGIC, VERSION_PQ, qt.vocab_size, qt.dims, QUANT_PQ, FLAG_NORMALIZE if normalize else 0, m,
                         t_off, codes.nbytes, s_off, norms.nbytes)
    block = PQ_BLOCK.pack(m, k, ds, 0, c_off, books.nbytes)
    with open(path, "wb") as f:
        f.write(header + block + b"\0" * (ALIGN - len(block)))
        for off, arr in ((t_off, codes), (s_off, norms), (c_off, books)):
            f.write(b"\0" * (off - f.tell()))
            f.write(arr.tobytes())


@dataclass
class FlatModel:
    """A memory-mapped flat file: ``table`` and ``scales`` are views into the mapping, not copies."""

    table: QuantizedTable
    normalize: bool


def read_flat(path: Path) -> FlatModel:
    """Map a flat file and validate its header against its size."""
    path = Path(path)
    try:
        buf = np.memmap(path, dtype=np.uint8, mode="r")
    except (OSError, ValueError) as e:
        raise EdgembedError(f"cannot read flat file {path}: {e}") from None
    if buf.size < HEADER.size:
        raise EdgembedError(f"{path} is not an edgembed flat file: {buf.size} bytes, shorter than the header")
    magic, ver, vocab, dims, qcode, flags, rb, t_off, t_bytes, s_off, s_bytes = HEADER.unpack(bytes(buf[: HEADER.size]))
    if magic != MAGIC:
        raise EdgembedError(f"{path} is not an edgembed flat file (bad magic)")
    if ver not in VERSIONS:
        raise EdgembedError(f"{path} has flat format version {ver}; this edgembed reads versions 1 and 2 "
                            "(a newer edgembed wrote it: upgrade)")
    if ver == VERSION_PQ or qcode == QUANT_PQ:
        return _read_pq(path, buf, ver, vocab, dims, qcode, flags, rb, t_off, t_bytes, s_off, s_bytes)
    if qcode >= len(QUANTS):
        raise EdgembedError(f"{path} has an unknown quant code {qcode}")
    quant = QUANTS[qcode]
    if rb != row_bytes(quant, dims) or t_bytes != rb * vocab or t_off + t_bytes > buf.size:
        raise EdgembedError(f"{path} is truncated or corrupt: header says {vocab}x{dims} {quant} but the sections do not fit {buf.size} bytes")
    has_scales = quant in ("int8", "int4")
    if has_scales and (s_bytes != 4 * vocab or s_off + s_bytes > buf.size or s_off % 4):
        raise EdgembedError(f"{path} is truncated or corrupt: bad scales section")
    data = buf[t_off : t_off + t_bytes].view(_DTYPES[quant]).reshape(vocab, -1)
    scales = buf[s_off : s_off + s_bytes].view("<f4") if has_scales else None
    return FlatModel(QuantizedTable(quant, dims, data, scales), bool(flags & FLAG_NORMALIZE))


def _read_pq(path: Path, buf, ver, vocab, dims, qcode, flags, rb, t_off, t_bytes, s_off, s_bytes) -> FlatModel:
    """Version 2 (pqM): validate the PQ block and map codes, norms and codebooks."""
    if ver != VERSION_PQ or qcode != QUANT_PQ:
        raise EdgembedError(f"{path} is corrupt: version {ver} with quant code {qcode} (pq is quant 4 in version 2 only)")
    if buf.size < 2 * ALIGN:
        raise EdgembedError(f"{path} is truncated: {buf.size} bytes, shorter than the version 2 header")
    m, k, ds, _, c_off, c_bytes = PQ_BLOCK.unpack(bytes(buf[ALIGN : ALIGN + PQ_BLOCK.size]))
    ok = (m >= 1 and k == 256 and ds >= 1 and m * ds == dims and rb == m and t_bytes == vocab * m
          and t_off + t_bytes <= buf.size and s_bytes == 4 * vocab and s_off % 4 == 0 and s_off + s_bytes <= buf.size
          and c_bytes == 4 * m * k * ds and c_off % 4 == 0 and c_off + c_bytes <= buf.size)
    if not ok:
        raise EdgembedError(f"{path} is truncated or corrupt: header says {vocab}x{dims} pq{m} ({k} centroids of {ds} dims) "
                            f"but the sections do not fit {buf.size} bytes")
    codes = buf[t_off : t_off + t_bytes].reshape(vocab, m)
    norms = buf[s_off : s_off + s_bytes].view("<f4")
    books = buf[c_off : c_off + c_bytes].view("<f4").reshape(m, k, ds)
    return FlatModel(QuantizedTable(f"pq{m}", dims, codes, norms, books), bool(flags & FLAG_NORMALIZE))
