"""The built-in hostile text set every backend is checked on."""

from __future__ import annotations

_WORDS = "the quick brown fox jumps over lazy dogs while static embeddings average token vectors".split()


def long_text(n_words: int = 20_000) -> str:
    """A deterministic text of n_words words."""
    return " ".join(_WORDS[(i * 7 + i // 13) % len(_WORDS)] for i in range(n_words))


def hostile_texts() -> list[str]:
    """Empty and blank strings, CJK (astral too), RTL, Indic, ZWJ emoji, combining marks, control characters, HTML,
    casing traps, a 20,000-word text."""
    return [
        "",
        " ",
        "\t\n  \r\n",
        "A man is playing a guitar.",
        "Static embedding models are fast on CPUs, browsers and phones.",
        "静的埋め込みモデルはブラウザで動きます。",
        "中文文本嵌入测试，包含标点符号！",
        "한국어 문장도 포함됩니다",
        "مرحبا بالعالم، هذا نص عربي",
        "שלום עולם, זה טקסט בעברית",
        "family: 👩‍👩‍👧‍👦, flags 🇫🇷🇯🇵, skin tones 👍🏽, 🏳️‍🌈",
        "café naïve résumé Ångström façade",
        "cafe\u0301 nai\u0308ve Z\u0335\u0321a\u0336l\u0337g\u0338o\u0489",
        "control\x00chars\x07 bell\x1b[31m escape \x7f del \u200b zero-width \ufeff bom",
        "<img src=x onerror=alert(1)> <script>alert('x')</script> &amp; &lt;b&gt;",
        "Ünïcödé ÀÉÎÕÜ ß ﬁ ligature ①②③ ＦＵＬＬＷＩＤＴＨ",
        "a",
        "42",
        "!!!???...",
        "e-mail: someone@example.com, url: https://example.com/a?b=c#d",
        "𠮷野家 and 𡈽 met 毛泽东 and 安倍晋三; ＣＪＫ Ext B 𠀀𠀁𠀂 and compatibility 丽 丸",  # astral CJK: one token each
        "بِسْمِ ٱللَّهِ ٱلرَّحْمَٰنِ ٱلرَّحِيمِ ۝ ࣓ marks ࣔࣕ",  # Quranic marks; U+08D3.. are new to some Unicode tables
        "తెలుగు ఒక ద్రావిడ భాష, nukta ఫ఼",  # U+0C3C TELUGU SIGN NUKTA: a mark in current Unicode, not in older tables
        "Σίσυφος ΟΔΥΣΣΕΥΣ İstanbul ǅ ẞ ß",  # final sigma, dotted I, titlecase digraphs: per-character lowercase
        "a\u0301\u0316\u0334\u1dfa\u08d4\U0001d165 piles of marks in several orders \U0001d165\u08d4",
        "lone surrogates are not Python strings; astral: \U0001f9d1\u200d\U0001f4bb \U000e0041",
        long_text(),
    ]
