"""The flat backend in numpy: the tokens' rows of model.edgembed (memory-mapped), dequantized and averaged: the JS
runtime's twin."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from exporter.formats.pooling import mean_rows
from exporter.sources.tokenizer import encode_ids, load_tokenizer


class FlatEmbedder:
    """numpy reader of the flat binary: gather the tokens' rows, dequantize, mean (formats.pooling)."""

    backend = "flat"

    def __init__(self, table, tokenizer_json: str, normalize: bool):
        self.table, self.normalize, self.dims = table, normalize, table.dims
        self.tokenizer = load_tokenizer(tokenizer_json)

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for lo in range(0, len(texts), batch_size):
            ids = encode_ids(self.tokenizer, texts[lo : lo + batch_size])
            out[lo : lo + len(ids)] = mean_rows(self.table, ids, self.normalize)
        return out
