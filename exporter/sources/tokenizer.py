"""Tokenizer handling: load a tokenizer.json, prepare the runtime copy, turn texts into ids."""

from __future__ import annotations

import itertools
import json
from typing import Sequence

import numpy as np
from tokenizers import Tokenizer

from exporter.errors import EdgembedError


def load_tokenizer(json_text: str, origin: str = "tokenizer.json") -> Tokenizer:
    """Parse a tokenizer.json string and switch padding off (as StaticEmbedding does)."""
    try:
        tok = Tokenizer.from_str(json_text)
    except Exception as e:  # tokenizers raises Exception subclasses with multi-line text
        raise EdgembedError(f"{origin} is not a valid tokenizer.json: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    tok.no_padding()
    return tok


def runtime_tokenizer_json(json_text: str) -> str:
    """The tokenizer.json the runtimes load: padding off, post-processor removed.

    With no post-processor, any tokenizer library run with default options yields the ids of
    ``add_special_tokens=False``. The file's own truncation setting is kept (it is part of the model).
    """
    data = json.loads(json_text)
    data["padding"] = None
    data["post_processor"] = None
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # compact: every runtime fetches it


def encode_ids(tok: Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of each text, without special tokens and without padding."""
    texts = list(texts)
    if not texts:
        return []
    fast = getattr(tok, "encode_batch_fast", None)
    encs = (fast or tok.encode_batch)(texts, add_special_tokens=False)
    return [e.ids for e in encs]


def flatten(ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Flat int64 ids plus int64 bag offsets, the EmbeddingBag input format."""
    lengths = np.fromiter((len(x) for x in ids), dtype=np.int64, count=len(ids))
    offsets = np.zeros(len(ids), dtype=np.int64)
    if len(ids) > 1:
        np.cumsum(lengths[:-1], out=offsets[1:])
    total = int(lengths.sum())
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=total)
    return flat, offsets
