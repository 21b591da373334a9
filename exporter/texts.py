"""The built-in hostile text set every backend is checked on."""

from __future__ import annotations

_WORDS = "the quick brown fox jumps over lazy dogs while static embeddings average token vectors".split()


def long_text(n_words: int = 20_000) -> str:
    """A deterministic text of n_words words."""
    return " ".join(_WORDS[(i * 7 + i // 13) % len(_WORDS)] for i in range(n_words))


def hostile_texts() -> list[str]:
    """Empty and blank strings, CJK, RTL, ZWJ emoji, combining marks, control characters, HTML, a 20,000-word text."""
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
        long_text(),
    ]
