"""The flat binary: a 64-byte little-endian header and 64-byte-aligned sections (see docs/format.md)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError
from exporter.quantize import QUANTS, QuantizedTable

MAGIC = b"EDGEMBED"
VERSION = 1
HEADER = struct.Struct("<8sIIIIII QQQQ".replace(" ", ""))  # 64 bytes
ALIGN = 64
FLAG_NORMALIZE = 1
_DTYPES = {"fp32": np.dtype("<f4"), "fp16": np.dtype("<f2"), "int8": np.dtype("i1"), "int4": np.dtype("u1")}
assert HEADER.size == 64


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def row_bytes(quant: str, dims: int) -> int:
    return (dims + 1) // 2 if quant == "int4" else dims * _DTYPES[quant].itemsize


def write_flat(path: Path, qt: QuantizedTable, normalize: bool) -> None:
    """Write a quantized table in the flat format."""
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
    if ver != VERSION:
        raise EdgembedError(f"{path} has flat format version {ver}; this edgembed reads version {VERSION}")
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
