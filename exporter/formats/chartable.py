"""The character table (``chartable.bin``): what the exporting Python `tokenizers` does to every code point.

The JS runtime tokenizes WordPiece models itself (``web/runtime/wordpiece.mjs``), and it must agree with
the Rust library that made the export, whose Unicode tables are older than any browser's. So nothing in
the runtime asks the JS engine about Unicode: every character property it needs is probed here, from the
installed `tokenizers`, over all 1,112,064 scalar values, and stored in this table (layout: docs/format.md).

What is probed:
- the normalizer on each code point alone (``normalize_str``): BertNormalizer and no normalizer are local
  to each character except for the canonical reordering inside NFD (accent stripping), so the per-point
  output plus the canonical order of the few combining marks that survive stripping reproduce it on any string;
- the pre-tokenizer classes: ``char::is_whitespace`` (WhitespaceSplit, BertPreTokenizer), BERT punctuation,
  and the regex classes ``\\w`` / ``\\s`` (Whitespace, and the ``single_word``/``lstrip``/``rstrip`` rules of
  added tokens).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Callable

import numpy as np

MAGIC = b"EDGECHAR"
VERSION = 1
HEADER = struct.Struct("<8sIIIIII")  # magic, version, flags, class_runs, norm_runs, pool_len, body_bytes
LAST = 0x110000
SURROGATES = range(0xD800, 0xE000)
SUPPORTED_NORMALIZERS = (None, "BertNormalizer")
SUPPORTED_PRE_TOKENIZERS = (None, "BertPreTokenizer", "Whitespace", "WhitespaceSplit")

# class bits (one byte per code point, run-length coded)
REGEX_WORD, REGEX_SPACE, REGEX_OTHER = 0, 1, 2  # bits 0-1: \w, \s, neither (the Whitespace pre-tokenizer)
IS_WHITESPACE = 4  # bit 2: char::is_whitespace (BertPreTokenizer, WhitespaceSplit split and drop it)
BERT_PUNCT = 8  # bit 3: BertPreTokenizer isolates it

# normalizer run kinds: a run is a range of code points that share one rule
K_DELTA, K_STR, K_NOOP, K_PAD, K_HANGUL, K_SPECIAL = range(6)
FLAG_REORDER = 1  # the normalizer strips accents: NFD's canonical reordering applies


def exact_path(spec: dict) -> str | None:
    """Why the runtime cannot tokenize SPEC (a parsed tokenizer.json) itself, or None when it can."""
    model = (spec.get("model") or {}).get("type")
    norm = (spec.get("normalizer") or {}).get("type")
    pre = (spec.get("pre_tokenizer") or {}).get("type")
    if model != "WordPiece":
        return f"model {model} is not WordPiece"
    if norm not in SUPPORTED_NORMALIZERS:
        return f"normalizer {norm} is not BertNormalizer"
    if pre not in SUPPORTED_PRE_TOKENIZERS:
        return f"pre-tokenizer {pre} is not one of BertPreTokenizer, Whitespace, WhitespaceSplit"
    return None


def scalar_values() -> list[int]:
    """Every Unicode scalar value (code points minus surrogates): 1,112,064 of them."""
    return [c for c in range(LAST) if c not in SURROGATES]


Tick = Callable[[int], Any]  # progress: called with the number of code points just probed


def _none(_: int) -> None:
    pass


def _classes(cps: list[int], tick: Tick = _none) -> np.ndarray:
    """One class byte per code point (index = code point), probed from the installed pre-tokenizers."""
    from tokenizers import pre_tokenizers as P

    cls = np.zeros(LAST, dtype=np.uint8)
    probes = {"ws": P.Whitespace(), "split": P.WhitespaceSplit(), "bert": P.BertPreTokenizer()}
    step = 20000
    for i in range(0, len(cps), step):
        chunk = cps[i : i + step]
        text = "".join("x" + chr(c) for c in chunk) + "x"  # 'x' is a word character in every probe
        pos = np.arange(1, 2 * len(chunk), 2)
        got = {}
        for name, pre in probes.items():
            covered = np.zeros(len(text), dtype=np.uint8)  # 0 dropped, 1 inside a longer piece, 2 alone
            for _, (s, e) in pre.pre_tokenize_str(text):
                covered[s:e] = 2 if e - s == 1 else 1
            got[name] = covered[pos]
        b = np.asarray(chunk)
        ws = got["ws"]
        cls[b] = np.where(ws == 1, REGEX_WORD, np.where(ws == 0, REGEX_SPACE, REGEX_OTHER))
        cls[b] |= np.where(got["split"] == 0, IS_WHITESPACE, 0).astype(np.uint8)
        bert_ws = got["bert"] == 0
        if not np.array_equal(bert_ws, got["split"] == 0):
            raise RuntimeError("BertPreTokenizer and WhitespaceSplit disagree on whitespace")
        cls[b] |= np.where(got["bert"] == 2, BERT_PUNCT, 0).astype(np.uint8)
        tick(len(chunk))
    return cls


def _nonstarter_ranks(chars: set[str]) -> dict[str, int]:
    """The canonical combining class order (as ranks 1..K) of the non-starters in CHARS, probed with NFD."""
    from functools import cmp_to_key

    from tokenizers.normalizers import NFD

    nfd = NFD()

    items = sorted(chars)
    after = _each(nfd, [u + "\u0334" for u in items])  # ccc(u) > 1 moves u after U+0334 (ccc 1)
    before = _each(nfd, ["\u0301" + u for u in items])  # 0 < ccc(u) < 230 moves u before U+0301 (ccc 230)
    moved = {u for u, a, b in zip(items, after, before) if a != u + "\u0334" or b != "\u0301" + u}

    def cmp(a: str, b: str) -> int:
        if nfd.normalize_str(a + b) == b + a:
            return 1
        if nfd.normalize_str(b + a) == a + b:
            return -1
        return 0

    ns = sorted(moved, key=cmp_to_key(cmp))
    ranks: dict[str, int] = {}
    rank = 0
    for i, u in enumerate(ns):
        if i == 0 or cmp(ns[i - 1], u) != 0:
            rank += 1
        ranks[u] = rank
    return ranks


SEP = "\U0001F600"  # a starter that every normalizer here keeps as it is, and that no other character becomes


def _each(normalizer: Any, items: list[str], step: int = 50000, tick: Tick = _none) -> list[str]:
    """normalizer.normalize_str on each item, many items per call: joined by SEP, which blocks NFD reordering."""
    out: list[str] = []
    for i in range(0, len(items), step):
        chunk = items[i : i + step]
        odd = {j for j, x in enumerate(chunk) if SEP in x}
        got = normalizer.normalize_str(SEP.join("" if j in odd else x for j, x in enumerate(chunk))).split(SEP)
        if len(got) != len(chunk):  # an item became SEP: one call each
            got = [normalizer.normalize_str(x) for x in chunk]
        for j in odd:
            got[j] = normalizer.normalize_str(chunk[j])
        out.extend(got)
        tick(len(chunk))
    return out


def _normalizer_rules(spec: dict, cps: list[int], tick: Tick = _none) -> tuple[list[Any], bool]:
    """Per code point: ('out', str) [a starter: ends any run of marks], ('noop',), or ('special', units)."""
    from tokenizers import Tokenizer
    from tokenizers.normalizers import NFD, BertNormalizer

    norm_spec = spec.get("normalizer")
    rules: list[Any] = [None] * LAST
    if norm_spec is None:
        for c in cps:
            rules[c] = ("out", chr(c))
        return rules, False
    normalizer = Tokenizer.from_str(json.dumps(spec)).normalizer
    full = _each(normalizer, [chr(c) for c in cps], tick=tick)
    lower = bool(norm_spec.get("lowercase", True))
    strip = norm_spec.get("strip_accents")
    strip = lower if strip is None else bool(strip)
    if not strip:
        for c, out in zip(cps, full):
            rules[c] = ("out", out) if out else ("noop",)
        return rules, False
    # Accent stripping: pre = clean_text + chinese chars; then NFD; then drop Mn; then lowercase, per char.
    pre_n = BertNormalizer(clean_text=bool(norm_spec.get("clean_text", True)),
                           handle_chinese_chars=bool(norm_spec.get("handle_chinese_chars", True)),
                           strip_accents=False, lowercase=False)
    fate_n = BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=lower)
    nfd = NFD()
    decomposed = dict(zip(cps, _each(nfd, _each(pre_n, [chr(c) for c in cps], tick=tick), tick=tick)))
    pieces = sorted({u for d in decomposed.values() for u in d})
    fate = dict(zip(pieces, _each(fate_n, pieces)))
    ranks = _nonstarter_ranks(pieces)
    for c, out in zip(cps, full):
        d = decomposed[c]
        if d == out and len(d) == 1 and d not in ranks:  # most code points: a starter that stays itself
            rules[c] = ("out", out)
            continue
        if "".join(fate[u] for u in d) != out:
            raise RuntimeError(f"U+{c:04X}: the normalizer is not NFD + mark removal + lowercase per character")
        units = [(ranks.get(u, 0), fate[u]) for u in d if not (u in ranks and fate[u] == "")]  # removed marks: no-ops
        if any(r > 0 for r, _ in units):
            rules[c] = ("special", units)
        elif units:
            rules[c] = ("out", out)  # a starter, kept or removed: it ends a run of marks
        else:
            rules[c] = ("noop",)
    return rules, True


def _hangul(c: int) -> str | None:
    """The canonical decomposition of a precomposed Hangul syllable (Unicode ch. 3.12), else None."""
    s = c - 0xAC00
    if not 0 <= s < 11172:
        return None
    lead, vowel, trail = 0x1100 + s // 588, 0x1161 + (s % 588) // 28, 0x11A7 + s % 28
    return chr(lead) + chr(vowel) + (chr(trail) if trail != 0x11A7 else "")


PASSES = 4  # the probe's passes over every code point: pre-tokenizers, normalizer, and (accent stripping) its two halves


def build_chartable(tokenizer_json: str, tick: Tick = _none) -> bytes:
    """Probe the installed `tokenizers` for the normalizer and pre-tokenizer of TOKENIZER_JSON; the table's bytes.

    TICK is called with the number of code points each step probed (up to PASSES x 1,112,064 in all)."""
    spec = json.loads(tokenizer_json)
    why = exact_path(spec)
    if why:
        raise ValueError(f"no character table for this tokenizer: {why}")
    cps = scalar_values()
    cls = _classes(cps, tick)
    rules, reorder = _normalizer_rules(spec, cps, tick)

    pool: list[int] = []
    pooled: dict[tuple, int] = {}

    def intern(seq: tuple[int, ...]) -> int:
        if seq not in pooled:
            pooled[seq] = len(pool)
            pool.extend(seq)
        return pooled[seq]

    def encode(c: int, rule: Any) -> tuple[int, int, Any]:
        """(kind, payload, key): consecutive code points with equal keys share one run."""
        if c in SURROGATES:
            return K_NOOP, 0, ("noop",)
        if rule[0] == "noop":
            return K_NOOP, 0, ("noop",)
        if rule[0] == "special":
            seq = [len(rule[1])]
            for rank, out in rule[1]:
                seq += [rank, intern((len(out), *map(ord, out)))]
            off = intern(tuple(seq))
            return K_SPECIAL, off, ("special", off)
        out = rule[1]
        if len(out) == 1:
            return K_DELTA, ord(out) - c, ("delta", ord(out) - c)
        if len(out) == 3 and out[0] == out[2] == " ":  # handle_chinese_chars (and NFD of a compatibility ideograph)
            return K_PAD, ord(out[1]) - c, ("pad", ord(out[1]) - c)
        if out == _hangul(c):  # (None for every code point but a precomposed syllable)
            return K_HANGUL, 0, ("hangul",)
        off = intern((len(out), *map(ord, out)))
        return K_STR, off, ("str", off)

    norm_runs: list[tuple[int, int, int]] = []
    last_key = None
    for c in range(LAST):
        kind, payload, key = encode(c, rules[c])
        if key != last_key:
            norm_runs.append((c, kind, payload))
            last_key = key
    class_runs = [c for c in range(LAST) if c == 0 or cls[c] != cls[c - 1]]

    body = bytearray()
    prev = 0
    for c in class_runs:  # (gap to the previous run's start, class byte)
        body += _varint(c - prev) + bytes([int(cls[c])])
        prev = c
    prev = 0
    for c, kind, payload in norm_runs:  # (gap, zigzag(payload) << 3 | kind)
        body += _varint(c - prev) + _varint((_zigzag(payload) << 3) | kind)
        prev = c
    for v in pool:
        body += _varint(v)
    header = HEADER.pack(MAGIC, VERSION, FLAG_REORDER if reorder else 0, len(class_runs), len(norm_runs), len(pool), len(body))
    return header + bytes(body)


def _varint(v: int) -> bytes:
    """LEB128: 7 bits a byte, low bits first, the high bit set on every byte but the last."""
    out = bytearray()
    while True:
        low, v = v & 0x7F, v >> 7
        if not v:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def _zigzag(v: int) -> int:
    return 2 * v if v >= 0 else -2 * v - 1


def chartable_for(tokenizer_json: str) -> bytes:
    """build_chartable, cached on disk: the table depends only on the normalizer and the `tokenizers` version."""
    import hashlib

    import tokenizers

    from exporter.sources.default_model import cache_dir
    from exporter.errors import EdgembedError
    from exporter.fsutil import atomic_file

    norm = json.dumps(json.loads(tokenizer_json).get("normalizer"), sort_keys=True)
    key = hashlib.sha256(f"{VERSION}|varint|{tokenizers.__version__}|{norm}".encode()).hexdigest()[:24]
    path = cache_dir() / "chartable" / f"{key}.bin"
    try:
        data = path.read_bytes()
        if data[:8] == MAGIC:
            return data
    except OSError:
        pass
    with _progress(path) as bar:
        data = build_chartable(tokenizer_json, bar.update)
    try:  # best effort: a read-only cache only costs the probe again
        with atomic_file(path) as tmp:
            tmp.write_bytes(data)
    except (OSError, EdgembedError):
        pass
    return data


def _progress(cached: Path):
    """A bar on stderr when it is a terminal; otherwise one line saying what the probe is and that it runs once."""
    import sys

    import tokenizers
    from tqdm import tqdm

    what = f"edgembed: probing tokenizers {tokenizers.__version__} for the character table"
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        print(f"{what} (every code point; 10-30 s, once: cached in {cached.parent})", file=sys.stderr, flush=True)
    return tqdm(total=PASSES * (LAST - len(SURROGATES)), desc=what, unit="cp", unit_scale=True, disable=None,
                file=sys.stderr, leave=False)


FILE = "chartable.bin"


def write_chartable(out: Path, tokenizer_json: str) -> tuple[dict[str, str], dict[str, str]]:
    """Write OUT/chartable.bin when the JS runtime can tokenize exactly; (manifest file entries, manifest "tokenizer").

    The "tokenizer" entry tells every runtime which path it takes: "exact" (edgembed's WordPiece, proven equal to
    the `tokenizers` version named) or "library" (@huggingface/tokenizers; equality with Python is not proven)."""
    import tokenizers

    why = exact_path(json.loads(tokenizer_json))
    if why:
        return {}, {"runtime": "library", "reason": why}
    (out / FILE).write_bytes(chartable_for(tokenizer_json))
    return {"chartable": FILE}, {"runtime": "exact", "tokenizers": tokenizers.__version__}
