"""Per-row table quantization (fp32, fp16, int8, int4, product quantization pqM) and the exact dequantization
every backend uses."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from exporter.errors import EdgembedError

QUANTS = ("fp32", "fp16", "int8", "int4")  # the fixed quants; product quantization is spelled pqM (see pq.py)
INT4_GRID = np.linspace(0.55, 1.0, 19, dtype=np.float32)  # candidate scales, as fractions of max|x|/7


@dataclass
class QuantizedTable:
    """``data`` holds the stored rows; ``scales`` one float32 per row (int8/int4: scale, pq: row norm), else None.

    Storage: fp32 float32[V, D]; fp16 float16[V, D]; int8 int8[V, D]; int4 uint8[V, ceil(D/2)] with
    column 2j in the low nibble and 2j+1 in the high nibble, each nibble = q + 8 for q in -8..7;
    pqM uint8[V, M] codes with ``codebooks`` float32[M, 256, D/M] (column j is component j // M of subspace j % M).
    """

    quant: str
    dims: int
    data: np.ndarray
    scales: np.ndarray | None = None
    codebooks: np.ndarray | None = None

    @property
    def vocab_size(self) -> int:
        return int(self.data.shape[0])


def pq_subspaces(quant: str) -> int | None:
    """M for a product quantization spelled ``pqM`` (M >= 1), else None."""
    m = re.fullmatch(r"pq([1-9][0-9]{0,3})", quant)
    return int(m.group(1)) if m else None


def check_quant(quant: str, dims: int | None = None) -> str:
    """QUANT itself, or a one-line error; with DIMS, also checks that pqM's M divides them."""
    if quant not in QUANTS and pq_subspaces(quant) is None:
        raise EdgembedError(f"unknown quant '{quant}': choose one of {', '.join(QUANTS)} or pqM (product quantization "
                            "with M subspaces, e.g. pq64)")
    m = pq_subspaces(quant)
    if m is not None and dims is not None and dims % m:
        raise EdgembedError(f"--quant {quant} needs dims divisible by {m}, got {dims} dims: pick --dims a multiple of {m} "
                            f"or a pqM whose M divides {dims}")
    return quant


def quantize(table: np.ndarray, quant: str, progress: bool | None = None) -> QuantizedTable:
    """Quantize a float32 table row by row (never one scale for the whole table). PROGRESS: pq's k-means bar
    (None: only on a terminal)."""
    table = np.ascontiguousarray(table, dtype=np.float32)
    dims = int(table.shape[1])
    check_quant(quant, dims)
    if pq_subspaces(quant) is not None:
        from exporter.formats.pq import quantize_pq

        return quantize_pq(table, pq_subspaces(quant), progress)
    if quant == "fp32":
        return QuantizedTable(quant, dims, table)
    if quant == "fp16":
        if np.abs(table).max(initial=0) > 65504:
            raise EdgembedError("table values exceed the float16 range (|x| > 65504): use fp32 or int8")
        return QuantizedTable(quant, dims, table.astype(np.float16))
    if quant == "int8":
        amax = np.abs(table).max(axis=1)
        scales = (amax / 127.0).astype(np.float32)
        inv = np.divide(1.0, scales, out=np.zeros_like(scales), where=scales > 0)
        q = np.rint(table * inv[:, None])
        np.clip(q, -127, 127, out=q)
        return QuantizedTable(quant, dims, q.astype(np.int8), scales)
    q, scales = _int4_rows(table)
    return QuantizedTable(quant, dims, pack_int4(q), scales)


def _int4_rows(table: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Levels -8..7 with an error-minimising per-row scale: a grid search, then a least-squares refit."""
    q_all = np.empty(table.shape, dtype=np.int8)
    s_all = np.empty(table.shape[0], dtype=np.float32)
    for lo in range(0, table.shape[0], chunk):
        x = table[lo : lo + chunk]
        base = np.abs(x).max(axis=1) / 7.0
        best_err = np.full(x.shape[0], np.inf, dtype=np.float32)
        best_s = base.copy()
        for frac in INT4_GRID:
            s = base * frac
            inv = np.divide(1.0, s, out=np.zeros_like(s), where=s > 0)
            q = np.clip(np.rint(x * inv[:, None]), -8, 7)
            err = ((q * s[:, None] - x) ** 2).sum(axis=1)
            better = err < best_err
            best_err[better] = err[better]
            best_s[better] = s[better]
        inv = np.divide(1.0, best_s, out=np.zeros_like(best_s), where=best_s > 0)
        q = np.clip(np.rint(x * inv[:, None]), -8, 7)
        qq = (q * q).sum(axis=1)
        refit = np.divide((q * x).sum(axis=1), qq, out=best_s.copy(), where=qq > 0)  # optimal scale for fixed q
        q_all[lo : lo + chunk] = q.astype(np.int8)
        s_all[lo : lo + chunk] = refit.astype(np.float32)
    return q_all, s_all


def pack_int4(q: np.ndarray) -> np.ndarray:
    """Pack int8 values in -8..7 two to a byte (even column low nibble)."""
    v, d = q.shape
    nib = (q.astype(np.int16) + 8).astype(np.uint8)
    if d % 2:
        nib = np.concatenate([nib, np.full((v, 1), 8, np.uint8)], axis=1)
    return np.ascontiguousarray(nib[:, 0::2] | (nib[:, 1::2] << 4))


def unpack_int4(packed: np.ndarray, dims: int) -> np.ndarray:
    """Inverse of pack_int4: int8 values in -8..7, shape (rows, dims)."""
    out = np.empty((packed.shape[0], packed.shape[1] * 2), dtype=np.int8)
    out[:, 0::2] = (packed & 0x0F).astype(np.int8) - 8
    out[:, 1::2] = (packed >> 4).astype(np.int8) - 8
    return out[:, :dims]


def dequantize_rows(qt: QuantizedTable, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
    """float32 values of the given rows, computed exactly as the ONNX graph does (q as float32 times scale)."""
    data = qt.data[rows]
    if qt.quant == "fp32":
        return np.asarray(data, dtype=np.float32)
    if qt.quant == "fp16":
        return data.astype(np.float32)
    assert qt.scales is not None
    if qt.codebooks is not None:
        from exporter.formats.pq import decode_pq

        return decode_pq(data, qt.codebooks) * qt.scales[rows][:, None]
    q = data if qt.quant == "int8" else unpack_int4(data, qt.dims)
    return q.astype(np.float32) * qt.scales[rows][:, None]


def dequantize(qt: QuantizedTable) -> np.ndarray:
    """The whole dequantized float32 table."""
    return dequantize_rows(qt)
