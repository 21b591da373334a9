"""Product quantization (``--quant pqM``): per-row norms kept, unit directions coded by M k-means codebooks.

Row i is stored as ``norm[i]`` (float32) and M one-byte codes; its dequantized value is
``float32(codebooks[j % M, code[i, j % M], j // M]) * norm[i]`` for column j (float32 product). Subspace m
holds the interleaved columns m, m + M, m + 2M, ...: a Matryoshka/PCA table's variance falls with the column
index, so interleaving gives every subspace the same share of it (measured: higher cosine and NDCG@10 than
contiguous blocks).

k-means is plain numpy Lloyd, fully deterministic: a fixed seed per subspace, float64 distances (a GEMM
against ``[-2c, |c|^2]`` per cache-sized chunk), centroid updates by ``np.bincount`` (fixed summation order),
one BLAS thread. Subspaces are independent, so they run on a small thread pool without changing a bit.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from exporter.formats.table import QuantizedTable

CENTROIDS = 256  # one uint8 code per subspace
ITERATIONS = 20
SEED = 0
CHUNK = 1024  # rows per distance block: 1024 x 256 float64 = 2 MiB, cache-sized


def kmeans(x: np.ndarray, seed: int, k: int = CENTROIDS, iterations: int = ITERATIONS) -> np.ndarray:
    """Lloyd's k-means on float64 rows X; returns float64 centroids [k, dims] (deterministic for a seed)."""
    n, ds = x.shape
    rng = np.random.default_rng([SEED, seed])
    c = np.zeros((k, ds))
    pick = rng.choice(n, size=min(n, k), replace=False)
    c[: len(pick)] = x[np.sort(pick)]
    if n <= k:
        return c
    for _ in range(iterations):
        a = assign(x, c)
        count = np.bincount(a, minlength=k).astype(np.float64)
        keep = count > 0  # an empty cluster keeps its centroid
        for j in range(ds):
            s = np.bincount(a, weights=x[:, j], minlength=k)
            c[keep, j] = s[keep] / count[keep]
    return c


def assign(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Index of the nearest centroid (squared L2; lowest index on a tie) of each row of X, in float64."""
    n, ds = x.shape
    ca = np.empty((ds + 1, len(c)))
    ca[:ds] = -2.0 * c.T
    ca[ds] = (c * c).sum(axis=1)
    xa = np.empty((min(n, CHUNK), ds + 1))
    out = np.empty(n, dtype=np.intp)
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        xa[: hi - lo, :ds] = x[lo:hi]
        xa[: hi - lo, ds] = 1.0
        out[lo:hi] = (xa[: hi - lo] @ ca).argmin(axis=1)
    return out


def quantize_pq(table: np.ndarray, m: int, progress: bool | None = None):
    """The pqM QuantizedTable of a float32 table (dims divisible by M, checked by the caller)."""
    from threadpoolctl import threadpool_limits
    from tqdm import tqdm

    v, d = table.shape
    ds = d // m
    x = table.astype(np.float64)
    norms = np.sqrt((x * x).sum(axis=1))
    units = np.divide(x, norms[:, None], out=np.zeros_like(x), where=norms[:, None] > 0)
    sub = units.reshape(v, ds, m)  # sub[:, :, s] = columns s, s + M, ... (subspace s)
    codebooks = np.empty((m, CENTROIDS, ds), dtype=np.float32)
    codes = np.empty((v, m), dtype=np.uint8)

    def one(s: int) -> int:
        xs = np.ascontiguousarray(sub[:, :, s])
        cb = kmeans(xs, seed=s).astype(np.float32)
        codebooks[s] = cb
        codes[:, s] = assign(xs, cb.astype(np.float64))  # codes for the stored (float32) centroids
        return s

    workers = max(1, min(2, os.cpu_count() or 1, m))
    with threadpool_limits(limits=1, user_api="blas"), \
            tqdm(total=m, desc=f"pq{m} k-means ({v}x{d}, {CENTROIDS} centroids)", unit="subspace",
                 disable=None if progress is None else not progress, file=sys.stderr, leave=False) as bar, \
            ThreadPoolExecutor(workers) as pool:
        for _ in pool.map(one, range(m)):
            bar.update(1)
    return QuantizedTable(f"pq{m}", d, codes, norms.astype(np.float32), codebooks)


def decode_pq(codes: np.ndarray, codebooks: np.ndarray) -> np.ndarray:
    """Unit-direction rows [n, D] (float32) of pq CODES [n, M]: column j = codebooks[j % M, code, j // M]."""
    m, _, ds = codebooks.shape
    vals = codebooks[np.arange(m)[None, :], np.asarray(codes, dtype=np.intp)]  # [n, M, ds]
    return np.ascontiguousarray(vals.transpose(0, 2, 1)).reshape(len(codes), m * ds)
