"""The references parity compares against, in numpy (no torch): EmbeddingBag(mode='mean') over the source table
with the source tokenizer, accumulated in float64 and rounded to float32 once, then F.normalize when the model
normalizes. Written independently of the runtimes (formats/pooling.py) and of the export's files."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from exporter.sources.tokenizer import encode_ids, load_tokenizer


def bag_mean(table: np.ndarray, tokenizer_json: str, normalize: bool, texts: Sequence[str]) -> np.ndarray:
    """float32 [len(texts), dims]: per text, the float64 mean of its tokens' rows of TABLE (no tokens: zeros),
    then division by max(L2 norm, 1e-12) when NORMALIZE."""
    tok = load_tokenizer(tokenizer_json)
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float64)
    for lo in range(0, len(texts), 512):
        for i, ids in enumerate(encode_ids(tok, texts[lo : lo + 512]), lo):
            if ids:
                out[i] = table[np.asarray(ids, dtype=np.int64)].astype(np.float64).mean(axis=0)
    if normalize:
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out.astype(np.float32)
