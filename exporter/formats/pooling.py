"""What an export computes: the mean of a text's dequantized table rows (then L2 normalization when the model
normalizes), in numpy. The flat runtime and the web demo's corpus vectors both use it."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from exporter.formats.quantize import dequantize_rows
from exporter.formats.table import QuantizedTable

_BLAS = None


def one_blas_thread():
    """Run numpy's BLAS on one thread: idle BLAS threads spin on the cores the tokenizer needs next."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


def mean_rows(table: QuantizedTable, ids: Sequence[Sequence[int]], normalize: bool) -> np.ndarray:
    """float32 [len(ids), dims]: per id list, the mean of its rows (no ids: the zero vector), L2-normalized if asked.

    sum = counts[text, distinct token] @ rows of the distinct tokens (each row dequantized once)."""
    out = np.zeros((len(ids), table.dims), dtype=np.float32)
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    if lengths.sum():
        flat = np.fromiter((t for x in ids for t in x), dtype=np.int64, count=int(lengths.sum()))
        uniq, inv = np.unique(flat, return_inverse=True)
        rows = np.repeat(np.arange(len(ids)), lengths) * len(uniq) + inv
        counts = np.bincount(rows, minlength=len(ids) * len(uniq)).reshape(len(ids), len(uniq))
        with one_blas_thread():
            sums = counts.astype(np.float32) @ dequantize_rows(table, uniq)
        out[:] = sums / np.maximum(lengths, 1)[:, None].astype(np.float32)
    if normalize:
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.maximum(norms, np.float32(1e-12))
    return out
