"""The quantized table every artifact is written from, and the names of its quantizations."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from exporter.errors import EdgembedError

QUANTS = ("fp32", "fp16", "int8", "int4")  # the fixed quants; product quantization is spelled pqM (see pq.py)


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
