"""The general English text the default model is fitted to (scripts/build_default_model.py --fit), regenerated from
Debian packages that install offline; never an evaluation set, nor the docs of Python, Material for MkDocs or the
projects behind the benchmark sites (tests/data/sites).

    wordnet   WordNet 3.0 glosses (Debian `wordnet-base`, /usr/share/wordnet/data.*): "lemma, lemma: gloss; examples",
              one text a synset: the whole of English vocabulary, science and engineering included
    man       English man pages (/usr/share/man/man[1-8]), roff markup stripped, one text a paragraph

Texts are shuffled with a fixed seed, so the same packages give the same corpus."""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
MAN = Path("/usr/share/man")
# the projects whose docs the benchmarks hold out: never trained on
EXCLUDE = re.compile(r"python|pydoc|pytest|py\.test|flask|mkdocs|material|httpx|typer|starlette|uvicorn|sphinx|jekyll|hugo|furo",
                     re.I)
_ROFF = re.compile(r"\\f(?:\[[^]]*\]|\(..|.)|\\s[-+]?\d|\\\(..|\\\[[^]]*\]|\\[&|^~%:]|\\-|\\e")


def wordnet_texts() -> list[str]:
    """One text a WordNet synset: its lemmas, then its gloss (definition; examples)."""
    out = []
    for pos in ("noun", "verb", "adj", "adv"):
        path = WORDNET / f"data.{pos}"
        if not path.exists():
            raise SystemExit(f"{path} is missing: apt-get install wordnet-base")
        for line in path.read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):  # the licence header
                continue
            head, _, gloss = line.partition(" | ")
            f = head.split()
            words = [re.sub(r"\(.*\)$", "", f[4 + 2 * i]).replace("_", " ") for i in range(int(f[3], 16))]
            out.append(f"{', '.join(dict.fromkeys(words))}: {gloss.strip()}")
    return out


def _man_paragraphs(path: Path) -> list[str]:
    try:
        raw = gzip.decompress(path.read_bytes()).decode("utf-8", "replace") if path.suffix == ".gz" else path.read_text("utf-8", "replace")
    except (OSError, EOFError, gzip.BadGzipFile):
        return []
    paras, cur = [], []
    for line in raw.splitlines():
        if line.startswith((".", "'")):
            macro = line[1:3]
            if macro in ("PP", "P ", "LP", "SH", "SS", "TP", "IP", "br", "sp", "Sh", "Pp") or line.strip() in (".P", ".PP", ".LP"):
                paras.append(" ".join(cur))
                cur = []
            if macro in ("B ", "I ", "BR", "IR", "RB", "BI", "IB", "RI", "Nm", "Ar", "Fl"):
                cur.append(line[3:].replace('"', ""))
            continue
        cur.append(line)
    paras.append(" ".join(cur))
    out = []
    for p in paras:
        p = re.sub(r"\s+", " ", _ROFF.sub("", p).replace("\\", "")).strip()
        if len(p) >= 80 and sum(c.isalpha() for c in p) > 0.6 * len(p):
            out.append(p[:1500])
    return out


def man_texts() -> list[str]:
    """Paragraphs of the English man pages, the held-out projects' pages left out."""
    out = []
    for section in sorted(MAN.glob("man[1-8]")):
        for path in sorted(section.iterdir()):
            if not EXCLUDE.search(path.name) and not path.name.startswith("gcloud"):  # gcloud: 10k near-copies
                out.extend(_man_paragraphs(path))
    return list(dict.fromkeys(out))


def corpus(n_wordnet: int, n_man: int, seed: int = 0) -> list[str]:
    """The first N_WORDNET glosses and N_MAN man-page paragraphs of each pool shuffled with SEED (a larger N keeps
    the smaller N's texts, so cached teacher features stay valid as the corpus grows)."""
    texts = []
    for pool, n in ((wordnet_texts(), n_wordnet), (man_texts() if n_man else [], n_man)):
        random.Random(seed).shuffle(pool)
        texts += pool[:n]
    return texts
