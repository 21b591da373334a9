"""Words and terms of a text, the same in Python and in the browser (web/runtime/search_text.mjs).

Words: BERT-uncased normalization (``BertNormalizer``: clean text, CJK padding, lowercase, accent stripping) then
``BertPreTokenizer`` (split at whitespace, isolate punctuation), both from `tokenizers`; the browser runs the same
rules from a character table probed from this library (chartable.bin). Terms: words that are not stop words and not
a single ASCII character or punctuation mark; words of ``[a-z0-9]`` are stemmed with Snowball English (PyStemmer;
the browser's port is proven equal), other words are kept as they are. Identifiers: words joined by one or two of
``_ . - :`` with no space (``handle_error``, ``os.path.join``, ``std::vector``, ``3.14``) also give the whole
identifier as one more term, unstemmed, after its parts (so ``handle_error`` ranks the chunks holding it whole first,
and ``handle error`` still finds them). Weak words (question words, pronouns, auxiliaries: ``how``, ``do``) are
terms, but a chunk that matches only weak terms is not a result unless the query has nothing else (query.py)."""

from __future__ import annotations

import functools
import json
import re
from collections import Counter

from exporter.errors import EdgembedError

# bm25s's English stop words (the reference BM25 of the benchmark)
STOP_WORDS = ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no",
              "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to",
              "was", "will", "with")
# function words that are not bm25s stop words: they score, but never make a result on their own
WEAK_WORDS = ("how", "what", "why", "when", "where", "which", "who", "whom", "whose", "do", "does", "did", "doing",
              "can", "could", "should", "would", "may", "might", "must", "shall", "i", "me", "my", "we", "our", "you",
              "your", "he", "him", "his", "she", "her", "its", "them", "am", "were", "been", "being", "have", "has",
              "had", "having", "so", "than", "too", "very", "just", "also", "from", "about", "any", "some", "all",
              "each", "other", "want", "need", "get")
CONNECTORS = frozenset("_.-:")  # joiners of an identifier's parts
MAX_COMPOUND = 64  # longest identifier term, in code points
NORMALIZER = {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None,
              "lowercase": True}
ASCII_WORD = re.compile(r"[a-z0-9]+")


def analyzer_tokenizer_json() -> str:
    """A tokenizer.json holding the analyzer's normalizer and pre-tokenizer (what chartable.bin is probed from)."""
    return json.dumps({"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
                       "normalizer": NORMALIZER, "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": None,
                       "decoder": None, "model": {"type": "WordPiece", "unk_token": "[UNK]",
                                                   "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                                                   "vocab": {"[UNK]": 0}}})


def _stemmer():
    try:
        import Stemmer
    except ImportError:
        raise EdgembedError("site search needs PyStemmer (an edgembed dependency): pip install PyStemmer==3.1.0") from None
    return Stemmer.Stemmer("english")


class Analyzer:
    """words(text) and terms(text); one instance caches the stems it has seen."""

    def __init__(self) -> None:
        from tokenizers import normalizers, pre_tokenizers

        self._norm = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=True)
        self._pre = pre_tokenizers.BertPreTokenizer()
        self._stem = _stemmer()
        self._stop = frozenset(STOP_WORDS)
        self._terms: dict[str, str | None] = {}
        self.weak = frozenset(t for t in (self.term(w) for w in WEAK_WORDS) if t is not None)

    def words(self, text: str) -> list[str]:
        """The normalized, pre-tokenized words of TEXT (punctuation marks included, one a word)."""
        return [w for w, _ in self._pre.pre_tokenize_str(self._norm.normalize_str(text))]

    @functools.lru_cache(maxsize=None)
    def _is_punct(self, ch: str) -> bool:
        return len(self._pre.pre_tokenize_str(f"a{ch}a")) == 3

    def term(self, word: str) -> str | None:
        """The index term of one word, or None for a word that is not indexed."""
        got = self._terms.get(word, "")
        if got != "":
            return got
        if word in self._stop or (len(word) == 1 and (ord(word) < 128 or self._is_punct(word))):
            t = None
        elif ASCII_WORD.fullmatch(word):
            t = self._stem.stemWord(word)
        else:
            t = word
        if len(self._terms) < 1_000_000:
            self._terms[word] = t
        return t

    def terms(self, text: str) -> list[str]:
        """The index terms of TEXT, in order (repeats kept), identifiers' whole terms after their parts."""
        norm = self._norm.normalize_str(text)
        out: list[str] = []
        words = conn = start = end = last = 0

        def close() -> None:
            nonlocal words, conn
            if words >= 2 and end - start <= MAX_COMPOUND:
                out.append(norm[start:end])
            words = conn = 0

        for w, (a, b) in self._pre.pre_tokenize_str(norm):
            if len(w) == 1 and self._is_punct(w):
                if words and a == last and w in CONNECTORS and conn < 2:
                    conn += 1
                else:
                    close()
            elif words and a == last and conn:
                words, conn, end = words + 1, 0, b
            else:
                close()
                words, start, end = 1, a, b
            last = b
            t = self.term(w)
            if t is not None:
                out.append(t)
        close()
        return out

    def strong_words(self, text: str) -> int:
        """How many whitespace-separated words of TEXT (runs of pre-tokenized words with no gap between them, so
        ``from_prefixed_env`` is one) hold a term that is not weak: feedback's gate counts an identifier once."""
        norm = self._norm.normalize_str(text)
        n, start, last = 0, -1, -1

        def close() -> int:
            return int(start >= 0 and any(t not in self.weak for t in self.terms(norm[start:last])))

        for _, (a, b) in self._pre.pre_tokenize_str(norm):
            if a != last:
                n += close()
                start = a
            last = b
        return n + close()

    def counts(self, text: str) -> Counter:
        return Counter(self.terms(text))

    def spec(self) -> dict:
        """What index.json says about the analyzer (the browser reads its stop words from here)."""
        return {"normalizer": NORMALIZER, "pre_tokenizer": "BertPreTokenizer", "stemmer": "snowball-english",
                "stem_only": "[a-z0-9]+", "stop_words": list(STOP_WORDS),
                "weak_words": list(WEAK_WORDS), "identifiers": {"connectors": "".join(sorted(CONNECTORS)), "max": MAX_COMPOUND}, "drop": "single ASCII characters, punctuation"}
