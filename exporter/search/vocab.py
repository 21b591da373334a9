"""vocab/: the WordPiece vocabulary a word of letters and digits can meet, so that the browser tokenizes a question's
word the site lacks (and the vocabulary lacks whole) without the model's tokenizer pack (search_ids.mjs).

A lower-case word of [a-z0-9] is tokenized by WordPiece alone (the BERT normalizer and pre-tokenizer leave it as it
is, word_ids_tokenizer): longest match first, from the word's start, then the continuation prefix + the longest match
from where that one ended, and so on. The tokens such a walk can meet are made of [a-z0-9] after the optional prefix:
those, in code-point order, cut into shards of about VOCAB_SHARD_BYTES bounded as the ids and terms shards are (a
token is in shard ``bisect_right(bounds, token)``). A position's candidates (prefix + word[i:e] for every e) are
looked up each in its own shard, known from the bounds: the shards of one position are fetched together.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from exporter.search.store import word_id_shards, write_shards

VOCAB_SHARD_BYTES = 2048  # target size of vocab/<k>.bin (~1.1 kB gzipped): a piece of a word reads one to three
BODY = re.compile(r"[a-z0-9]+")


def write_vocab(root: Path, tok) -> dict | None:
    """Write ROOT/vocab/ for TOK (a word_ids_tokenizer) and return index.json's word_ids.vocab ({shards, bounds,
    prefix, unk, max_chars}); None when its WordPiece has no usable unk token or continuation prefix (the browser then
    takes the tokenizer pack for such words)."""
    model = json.loads(tok.to_str())["model"]
    prefix, unk = model.get("continuing_subword_prefix"), model.get("unk_token")
    vocab = tok.get_vocab()
    if not prefix or BODY.search(prefix) or not prefix.isascii() or not prefix.isprintable() or unk not in vocab:
        return None
    names = sorted(t for t in vocab if BODY.fullmatch(t[len(prefix):] if t.startswith(prefix) else t))
    bufs, bounds = word_id_shards(((t, [vocab[t]]) for t in names), VOCAB_SHARD_BYTES)
    write_shards(root / "vocab", bufs)
    max_chars = model.get("max_input_chars_per_word")
    return {"shards": len(bufs), "bounds": bounds, "prefix": prefix, "unk": vocab[unk],
            "max_chars": max_chars if isinstance(max_chars, int) else 100}
