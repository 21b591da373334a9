"""Seeded text generators for the exhaustive tokenizer tests: every Unicode scalar value, plus hostile mixes."""

from __future__ import annotations

import random
import unicodedata

from exporter.formats.chartable import scalar_values

# whitespace of every kind the normalizers and pre-tokenizers treat differently
SEPARATORS = [" ", " ", " ", "\u00a0", "\u3000", "\u2028", "\u0085", "\x0b", "\r\n", "\t", "\n", "\u200b", "\u2009", "\x1c"]
# combining marks: the current ones, and the ones recent Unicode added (old tables in Rust, new ones in JS)
RECENT_MARKS = [0x0C3C, 0x07FD, 0x1DFA, *range(0x08CC, 0x08E2), *range(0x0897, 0x08A0), 0x1ACF, 0x1AC1, 0x11F00, 0x1E08F]
KEPT_NONSTARTERS = [*range(0x08D4, 0x08E2), 0x1B44, 0x1BAA, 0x1BF2, 0x1BF3, 0x1DFB, 0x302E, 0x302F, 0xA953, 0xA9C0,
                    0x1D165, 0x1D166, *range(0x1D16D, 0x1D173), 0x1E000, 0x1E001, 0x111C0, 0x11235, 0x1134D]
REAL = [
    "毛泽东 and 习近平 met 安倍晋三 in 北京; 𠮷野家 is a restaurant, 𡈽 and 𪚲 are rare.",
    "بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ ۝ ٱلْحَمْدُ لِلَّهِ رَبِّ ٱلْعَٰلَمِينَ ۞",
    "తెలుగు ఒక ద్రావిడ భాష. ఫ఼ిల్మ్ (nukta ఼) ",
    "한국어 문장: 서울특별시, 대한민국. ᄀᄀ ᅡ ᆨ",
    "日本語の文章：東京都、渋谷区。カタカナ ｶﾀｶﾅ ﾊﾟﾋﾟﾌﾟ",
    "ΣΊΣΥΦΟΣ ΟΔΥΣΣΕΥΣ ὈΔΥΣΣΕΎΣ ﬁ ﬂ İstanbul DŽ ǅ ǆ ß ẞ",
    "👩🏽‍💻 👨‍👩‍👧‍👦 🏳️‍⚧️ 🇺🇳 1️⃣ #️⃣ 🫠 🪿",
]


def every_code_point(seed: int, max_len: int = 12) -> list[str]:
    """All 1,112,064 scalar values, shuffled into texts of 1..MAX_LEN code points with random whitespace between."""
    rng = random.Random(seed)
    cps = scalar_values()
    rng.shuffle(cps)
    texts: list[str] = []
    i = 0
    while i < len(cps):
        n = rng.randint(1, max_len)
        parts = []
        for c in cps[i : i + n]:
            parts.append(chr(c))
            if rng.random() < 0.3:
                parts.append(rng.choice(SEPARATORS))
        texts.append("".join(parts))
        i += n
    return texts


def _marks() -> list[int]:
    return [c for c in range(0x300, 0x20000) if unicodedata.category(chr(c)) in ("Mn", "Mc", "Me")] + RECENT_MARKS


def hostile_mixes(seed: int, n: int = 4000) -> list[str]:
    """Piles of combining marks in random order, Hangul, astral CJK, emoji ZWJ sequences, controls and formats,
    words longer than max_input_chars_per_word, embedded added tokens, real text in many scripts."""
    rng = random.Random(seed)
    marks = _marks()
    bases = "aeiouAEIOUçÇnNsSßΣσιΙкКاب" + "가각힣" + "中𠀀"
    controls = [chr(c) for c in [*range(0, 32), 0x7F, *range(0x80, 0xA0), 0xAD, 0x200B, 0x200C, 0x200D, 0x200E, 0x2060,
                                 0xFEFF, 0xFFF9, 0xFFFC, 0xFFFD, 0xE000, 0xF8FF, 0x1D173, 0xE0001, 0xE0041, 0xF0000, 0x10FFFF]]
    emoji = ["👩", "👨", "👧", "👦", "🏽", "🏻", "\u200d", "\ufe0f", "🇫", "🇷", "⚧", "💻", "🏳", "1", "\u20e3"]
    added = ["[MASK]", "[SEP]", "[CLS]", "[UNK]", "[PAD]", "[mask]", "[MASK", "MASK]", "<sep>", "ÉCOLE", "école", "foo"]
    texts = list(REAL)
    for _ in range(n):
        kind = rng.randrange(8)
        if kind == 0:  # a pile of marks on bases, in random order, kept non-starters over-represented
            pool = marks if rng.random() < 0.5 else KEPT_NONSTARTERS + marks[:50]
            texts.append("".join(rng.choice(bases) + "".join(chr(rng.choice(pool)) for _ in range(rng.randint(1, 8)))
                                 for _ in range(rng.randint(1, 4))))
        elif kind == 1:  # Hangul: syllables, conjoining jamo, compatibility jamo
            texts.append("".join(chr(rng.choice([rng.randint(0xAC00, 0xD7A3), rng.randint(0x1100, 0x11FF),
                                                 rng.randint(0x3130, 0x318F)])) for _ in range(rng.randint(1, 10))))
        elif kind == 2:  # astral and compatibility CJK between BMP ideographs and Latin
            texts.append("".join(chr(rng.choice([rng.randint(0x20000, 0x3134F), rng.randint(0x2F800, 0x2FA1F),
                                                 rng.randint(0xF900, 0xFAFF), rng.randint(0x4E00, 0x9FFF)]))
                                 + rng.choice(["", "x", " ", "ab"]) for _ in range(rng.randint(1, 8))))
        elif kind == 3:  # emoji ZWJ sequences
            texts.append("".join(rng.choice(emoji) for _ in range(rng.randint(1, 12))))
        elif kind == 4:  # control and format characters inside words
            texts.append("".join(rng.choice(["word", "Ab", "é", *controls]) for _ in range(rng.randint(1, 10))))
        elif kind == 5:  # words around max_input_chars_per_word (100)
            k = rng.choice([99, 100, 101, 150])
            texts.append(rng.choice(["un", "a", "é", "x", "##", "aff"]) * (k // 2) + " " + "b" * rng.randint(98, 102))
        elif kind == 6:  # embedded added tokens, with spaces around or glued to words
            texts.append("".join(rng.choice(added + ["x", " ", "  ", "é", "\u00a0", "hello", "Foo"]) for _ in range(rng.randint(1, 10))))
        else:  # everything at once
            pool = [rng.choice(REAL)[:12], rng.choice(added), chr(rng.choice(marks)), rng.choice(controls),
                    rng.choice(SEPARATORS), rng.choice(emoji), chr(rng.randint(0x20000, 0x2A6DF))]
            texts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 12))))
    return texts
