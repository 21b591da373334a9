"""The index's binary pieces, read and written the same way in Python and in the browser (search.mjs).

- ``terms/<s>.bin``: the terms in code-point order, cut into ``term_shards`` consecutive shards of about
  TERM_SHARD_BYTES (build.py); ``term_bounds`` (index.json) holds, for each shard after the first, the shortest
  prefix of its first term that sorts after the previous shard's last term, so a term is in shard
  ``bisect_right(term_bounds, term)`` and every term starting with a prefix p lies in the shards from p's to
  p + U+10FFFF's: a word being typed knows its shards before its last key (format 6; until 5 a hash chose the shard).
  ``EMT2``, then per term: varint byte length, UTF-8 bytes, varint df, float32 LE max (the term's best BM25F score),
  then df pairs (varint chunk-id delta, u8 impact); a posting scores impact x (max / 255), in float64.
- ``typo/<s>.bin``: the single-word terms of 3 or more code points whose key (first code point, then the length in
  code points as decimal digits) hashes to s mod ``typo_shards``, sorted. ``EMV1``, then per term: varint byte length,
  UTF-8 bytes, varint df.
- ``codes/<k>.bin``: one bit per dimension (sign of the chunk's vector, LSB first) for the first ``code_dims_a``
  dims, ``code_bytes`` per chunk, ``code_shard`` chunks a shard (the last may be shorter); ``codes/<k>.b.bin``: the
  same for the remaining dims, ``code_bytes_b`` per chunk (absent when there are none).
- ``text/<k>.json``: the text of ``text_chunks[k]`` consecutive chunks (shard k starts where shard k - 1 ends), about
  4 kB a shard (a longer chunk alone): ``{"pages": {"<p>": [url, title, outline?]}, "chunks": [{"h", "a", "t",
  "w"?}]}`` with ``h`` heading, ``a`` anchor, ``t`` text, ``w`` weight (absent when 1), and the url and title of every
  page that has a chunk in the shard. A page that fits in a shard is never split; a longer one is, and when it has at
  most ``outline_chunks`` chunks each of its shards carries its outline ``[[heading, anchor], ...]`` (all its chunks).
  A shown hit costs the shard of its chunk, not the whole page's text; its sub-results nothing more, except on a
  page of more than ``outline_chunks`` chunks, where a sub-result in another shard costs that shard (format 5: an
  outline of hundreds of sections repeated in every shard of a long page was most of a query's bytes there).
- ``bags/<k>.json`` (when index.json has ``term_bags``): the term bags of text shard k's chunks, in order, each
  ``[n, {term: count}]``: the non-weak terms of the chunk's heading and text (analyze.py, ``h + " " + t``), n of them
  with repeats, each distinct term once with its count. What hybrid feedback needs from a chunk (feedback_weights),
  about half the gzip bytes of the text: the browser reads it for a feedback chunk whose text shard it has not
  fetched (no list shows it). Additive: a reader that ignores it reads the text instead, with the same result.
- ``vecs/<k>.bin``: the vectors of chunks k x ``vec_shard`` onward (``vec_shard`` of them, the last shard may hold
  fewer), int8 (max |x| -> 127), ``dims`` bytes each, one after the other. Grouped by chunk, not by page: a
  re-scored candidate costs its own vector (plus the file's headers), not every vector of a long page.
- ``ids/<k>.bin`` (when index.json has ``word_ids``: the model's tokenizer is BERT-like, model.py's
  word_ids_tokenizer): the printable-ASCII pre-tokens of the site's titles, headings and texts (normalized and
  pre-tokenized by the model's tokenizer) and the vocabulary's whole words, with their token ids (the tokenizer's, add_special_tokens off), in
  code-point order, cut into shards of about IDS_SHARD_BYTES (build.py) bounded as the terms shards are
  (``word_ids.bounds``, ``word_ids.shards``; the site's most frequent words also in ``word_ids.common``). ``EMW1``, then per word: varint byte length, ASCII bytes, varint
  number of ids, varint ids. The browser embeds a pasted question from them and the row shards, without the
  tokenizer pack (search_ids.mjs); ``word_ids.max_ids`` and ``word_ids.added`` say when it may not (model.py's
  word_ids_meta).
- ``vocab/<k>.bin`` (when ``word_ids`` has ``vocab``): the vocabulary's tokens of [a-z0-9] (after an optional
  continuation prefix) with their ids, encoded as the ids shards, bounded by ``word_ids.vocab.bounds``: the browser
  tokenizes a word the ids table lacks from them (vocab.py).
All integers are unsigned LEB128 varints unless said otherwise."""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError

FORMAT, VERSION = "edgembed-search", 7  # index.json's "format" and "version" (docs/format.md)
TERMS_MAGIC = b"EMT2"
TYPO_MAGIC = b"EMV1"
IDS_MAGIC = b"EMW1"


def fnv1a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def shard_of(term: str, shards: int) -> int:
    return fnv1a(term.encode("utf-8")) % shards


def term_shard(term: str, bounds: list[str]) -> int:
    """The terms shard that holds TERM (if the index has it): the number of BOUNDS (index.json's term_bounds) <= it."""
    return bisect.bisect_right(bounds, term)


def separator(before: str, first: str) -> str:
    """The shortest prefix of FIRST that sorts after BEFORE (which sorts before FIRST): a shard's bound."""
    for n in range(1, len(first) + 1):
        if first[:n] > before:
            return first[:n]
    raise ValueError(f"{first!r} does not sort after {before!r}")


def typo_key(term: str, length: int) -> str:
    """The typo side table's key of a term of LENGTH code points: its first code point and the length."""
    return term[0] + str(length)


def varint(v: int, out: bytearray) -> None:
    while v >= 128:
        out.append((v & 127) | 128)
        v >>= 7
    out.append(v)


def encode_term(term: str, chunks: np.ndarray, impacts: np.ndarray, top: float, out: bytearray) -> None:
    raw = term.encode("utf-8")
    varint(len(raw), out)
    out += raw
    varint(len(chunks), out)
    out += struct.pack("<f", top)
    prev = 0
    for c, i in zip(chunks.tolist(), impacts.tolist()):
        varint(c - prev, out)
        out.append(i)
        prev = c


def encode_typo(term: str, df: int, out: bytearray) -> None:
    raw = term.encode("utf-8")
    varint(len(raw), out)
    out += raw
    varint(df, out)


def encode_word_ids(word: str, ids: list[int], out: bytearray) -> None:
    raw = word.encode("ascii")
    varint(len(raw), out)
    out += raw
    varint(len(ids), out)
    for i in ids:
        varint(i, out)


def range_shards(pieces: Iterable[tuple[str, bytes]], magic: bytes, target: int) -> tuple[list[bytes], list[str]]:
    """(shards, bounds): PIECES (key, encoded entry), in code-point order of their keys, cut into consecutive MAGIC
    shards of about TARGET bytes (an entry longer alone), and each later shard's bound: the shortest prefix of its
    first key that sorts after the previous shard's last (terms/, ids/, vocab/)."""
    bufs, bounds, cur, last = [], [], bytearray(magic), ""
    for key, piece in pieces:
        if len(cur) > len(magic) and len(cur) + len(piece) > target:
            bufs.append(bytes(cur))
            bounds.append(separator(last, key))
            cur = bytearray(magic)
        cur += piece
        last = key
    bufs.append(bytes(cur))
    return bufs, bounds


def word_id_shards(pairs: Iterable[tuple[str, list[int]]], target: int) -> tuple[list[bytes], list[str]]:
    """range_shards of PAIRS (word, ids) in code-point order, encoded as the ids shards are (ids/, vocab/)."""
    def encoded():
        for w, ids in pairs:
            piece = bytearray()
            encode_word_ids(w, ids, piece)
            yield w, piece
    return range_shards(encoded(), IDS_MAGIC, target)


def write_shards(folder: Path, shards: list[bytes]) -> None:
    """FOLDER/<k>.bin for each shard (FOLDER made here)."""
    folder.mkdir()
    for k, buf in enumerate(shards):
        (folder / f"{k}.bin").write_bytes(buf)


class _Reader:
    def __init__(self, data: bytes, magic: bytes, what: str) -> None:
        if data[:4] != magic:
            raise EdgembedError(f"corrupt search index: a {what} shard has a bad magic")
        self.data, self.at, self.n, self.what = data, 4, len(data), what

    def uv(self) -> int:
        v, shift = 0, 0
        while True:
            if self.at >= self.n:
                raise EdgembedError(f"corrupt search index: a {self.what} shard is truncated")
            b = self.data[self.at]
            self.at += 1
            v |= (b & 127) << shift
            if b < 128:
                return v
            shift += 7

    def take(self, k: int) -> bytes:
        if self.at + k > self.n:
            raise EdgembedError(f"corrupt search index: a {self.what} shard is truncated")
        self.at += k
        return self.data[self.at - k: self.at]


def decode_typo(data: bytes) -> list[tuple[str, int]]:
    """(term, df) of one typo side-table shard."""
    r, out = _Reader(data, TYPO_MAGIC, "typo"), []
    while r.at < r.n:
        term = r.take(r.uv()).decode("utf-8")
        out.append((term, r.uv()))
    return out


def decode_word_ids(data: bytes) -> dict[str, list[int]]:
    """word -> token ids of one ids shard."""
    r, out = _Reader(data, IDS_MAGIC, "ids"), {}
    while r.at < r.n:
        word = r.take(r.uv()).decode("ascii")
        out[word] = [r.uv() for _ in range(r.uv())]
    return out


def decode_terms(data: bytes) -> dict[str, tuple[list[int], list[float]]]:
    """term -> (chunk ids, scores) of one terms shard."""
    r, out = _Reader(data, TERMS_MAGIC, "terms"), {}
    while r.at < r.n:
        term = r.take(r.uv()).decode("utf-8")
        df = r.uv()
        unit = struct.unpack("<f", r.take(4))[0] / 255.0
        ids, sc, prev = [], [], 0
        for _ in range(df):
            prev += r.uv()
            ids.append(prev)
            if r.at >= r.n:
                raise EdgembedError("corrupt search index: a terms shard is truncated")
            sc.append(r.data[r.at] * unit)
            r.at += 1
        out[term] = (ids, sc)
    return out


def pack_codes(vectors: np.ndarray) -> np.ndarray:
    """Sign bits of each row, LSB first: uint8 [rows, ceil(dims / 8)]."""
    return np.packbits(vectors > 0, axis=1, bitorder="little")


def quantize_int8(vectors: np.ndarray) -> np.ndarray:
    """Symmetric int8 per row (max |x| -> 127); the scale is not kept: cosine does not need it."""
    v = vectors.astype(np.float64)
    m = np.abs(v).max(axis=1, keepdims=True)
    m[m == 0] = 1.0
    return np.clip(np.rint(v / m * 127.0), -127, 127).astype(np.int8)

