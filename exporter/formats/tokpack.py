"""The tokenizer pack (``tokenizer.bin``): what the JS runtime's exact tokenizer needs, ready to use, in one
gzip-compressed file (layout: docs/format.md).

tokenizer.json holds the vocabulary as a JSON object; the pack holds it as one byte array in id order (UTF-8, tokens
separated by NUL: no JSON parse of the vocabulary, no string per token), the rest of the tokenizer
(normalizer and pre-tokenizer options, WordPiece settings, added tokens, truncation) as a short ASCII JSON, and
the character table (chartable.bin) itself, so one request brings everything. It is written only for tokenizers
the exact tokenizer runs (formats/chartable.py ``exact_path``); tokenizer.json stays in every export.
"""

from __future__ import annotations

import gzip
import json
import struct
from pathlib import Path

MAGIC = b"EDGETOKP"
VERSION = 1
FILE = "tokenizer.bin"
HEADER = struct.Struct("<8sIIIIIII")  # magic, version, flags, ids, entries, config_bytes, token_bytes, chartable_bytes
HEADER_BYTES = 64
ALIGN = 8
SEP = b"\0"


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def config_of(spec: dict) -> dict:
    """The tokenizer.json minus its vocabulary (the pack's config section)."""
    model = {k: v for k, v in (spec.get("model") or {}).items() if k != "vocab"}
    keep = ("normalizer", "pre_tokenizer", "added_tokens", "truncation")
    return {**{k: spec.get(k) for k in keep}, "model": model}


def build_pack(tokenizer_json: str, chartable: bytes) -> bytes:
    """The uncompressed pack of a WordPiece tokenizer.json (the runtime copy) and its chartable.bin bytes."""
    spec = json.loads(tokenizer_json)
    vocab: dict[str, int] = spec["model"]["vocab"]
    n_ids = max(vocab.values(), default=-1) + 1
    if n_ids >= 1 << 20:
        raise ValueError("a vocabulary of a million ids or more: no tokenizer pack (the runtime reads tokenizer.json)")
    encoded: list[bytes] = [b""] * n_ids
    for token, i in vocab.items():
        if not token or "\0" in token:
            raise ValueError(f"the vocabulary holds a token the pack cannot store ({token!r}): no tokenizer pack")
        encoded[i] = token.encode("utf-8")
    tokens = SEP.join(encoded)  # an id with no token is an empty entry
    config = json.dumps(config_of(spec), ensure_ascii=True, separators=(",", ":")).encode("ascii")
    header = HEADER.pack(MAGIC, VERSION, 0, n_ids, len(vocab), len(config), len(tokens), len(chartable))
    out = bytearray(header + b"\0" * (HEADER_BYTES - len(header)))
    for section in (config, tokens, chartable):
        out += section + b"\0" * (_align(len(section)) - len(section))
    return bytes(out)


def write_pack(out: Path, tokenizer_json: str, chartable: bytes) -> dict[str, str]:
    """Write OUT/tokenizer.bin (gzip level 9, no timestamp: two exports are byte-identical); manifest file entries."""
    data = gzip.compress(build_pack(tokenizer_json, chartable), compresslevel=9, mtime=0)
    (Path(out) / FILE).write_bytes(data)
    return {"tokenizer_pack": FILE}


def read_pack(data: bytes) -> dict:
    """Parse a pack (gzip-compressed or not): {"config", "vocab": {token: id}, "entries", "chartable"}."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic, version, flags, n_ids, entries, n_config, n_tokens, n_chars = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError("not an edgembed tokenizer pack (bad magic or version)")
    at = HEADER_BYTES
    config = json.loads(data[at : at + n_config].decode("ascii"))
    at += _align(n_config)
    vocab = {}
    for i, tok in enumerate(data[at : at + n_tokens].split(SEP)):
        if tok:
            vocab[tok.decode("utf-8")] = i
    if i + 1 != n_ids:
        raise ValueError("truncated or corrupt tokenizer pack: the vocabulary does not hold the ids the header says")
    at += _align(n_tokens)
    return {"config": config, "vocab": vocab, "entries": entries, "chartable": data[at : at + n_chars]}


def tokenizer_json_of(data: bytes) -> str:
    """The runtime tokenizer.json (no post-processor, no padding) rebuilt from a pack: what Python needs to tokenize
    as the JS runtime's exact tokenizer does, where only the pack ships (an index's model/, docs/search.md)."""
    pack = read_pack(data)
    cfg = pack["config"]
    spec = {"version": "1.0", "truncation": cfg.get("truncation"), "padding": None,
            "added_tokens": cfg.get("added_tokens") or [], "normalizer": cfg.get("normalizer"),
            "pre_tokenizer": cfg.get("pre_tokenizer"), "post_processor": None, "decoder": None,
            "model": {**cfg["model"], "vocab": pack["vocab"]}}
    return json.dumps(spec, ensure_ascii=False)
