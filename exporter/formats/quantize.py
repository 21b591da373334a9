"""Per-row table quantization (fp32, fp16, int8, int4, product quantization pqM) and the exact dequantization
every backend uses."""

from __future__ import annotations

import numpy as np

from exporter.errors import EdgembedError
from exporter.formats.pq import decode_pq, quantize_pq
from exporter.formats.table import QUANTS, QuantizedTable, check_quant, pq_subspaces

__all__ = ["QUANTS", "QuantizedTable", "check_quant", "pq_subspaces", "quantize", "dequantize", "dequantize_rows"]

INT4_GRID = np.linspace(0.55, 1.0, 19, dtype=np.float32)  # candidate scales, as fractions of max|x|/7


def quantize(table: np.ndarray, quant: str, progress: bool | None = None) -> QuantizedTable:
    """Quantize a float32 table row by row (never one scale for the whole table). PROGRESS: pq's k-means bar
    (None: only on a terminal)."""
    table = np.ascontiguousarray(table, dtype=np.float32)
    dims = int(table.shape[1])
    check_quant(quant, dims)
    if pq_subspaces(quant) is not None:
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
        return decode_pq(data, qt.codebooks) * qt.scales[rows][:, None]
    q = data if qt.quant == "int8" else unpack_int4(data, qt.dims)
    return q.astype(np.float32) * qt.scales[rows][:, None]


def dequantize(qt: QuantizedTable) -> np.ndarray:
    """The whole dequantized float32 table."""
    return dequantize_rows(qt)
