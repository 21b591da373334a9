"""The general English text the default model is fitted to (scripts/build_default_model.py --fit), regenerated from
Debian packages that install offline; never an evaluation set, nor the docs of Python, Material for MkDocs or the
projects behind the benchmark sites (tests/data/sites).

    wordnet   WordNet 3.0 glosses (Debian `wordnet-base`, /usr/share/wordnet/data.*): "lemma, lemma: gloss; examples",
              one text a synset: the whole of English vocabulary, science and engineering included
    man       English man pages (/usr/share/man/man[1-8]), roff markup stripped, one text a paragraph
    docs      the built HTML documentation of DOC_PACKAGES (Debian `-doc` packages of Python libraries other than the
              held-out projects and their own dependencies), read as `edgembed index` reads a site (sections, no
              generated pages), cut into texts of at most 1,500 characters at sentence ends, at most PER_PACKAGE
              texts a package (so that Django's 700 pages do not make the pool one project's)

Texts are shuffled with a fixed seed, so the same packages give the same corpus."""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

WORDNET = Path("/usr/share/wordnet")
DOCS = Path("/usr/share/doc")
# software documentation that installs from Debian: web frameworks, databases, task queues, parsers; not Flask's own
# family (Werkzeug, Jinja, Click: Typer is built on Click), not the dev sites' projects (requests, uvicorn, pip)
DOC_PACKAGES = ("python-django-doc", "python-sqlalchemy-doc", "python-celery-doc", "python-tornado-doc",
                "python-aiohttp-doc", "python-cherrypy3-doc", "python-bottle-doc", "python-attr-doc", "python-babel-doc",
                "python-bs4-doc", "python-webob-doc", "python-pecan-doc", "python-kombu-doc", "python-pymongo-doc",
                "python-psycopg2-doc", "python-scrapy-doc")
PER_PACKAGE = 2500
MAN = Path("/usr/share/man")
# the projects whose docs the benchmarks hold out: never trained on
EXCLUDE = re.compile(r"python|pydoc|pytest|py\.test|flask|mkdocs|material|httpx|typer|starlette|uvicorn|sphinx|jekyll|hugo|furo",
                     re.I)
# gcloud: 10k near-copies; the man pages that the docs pool's packages install (their text is in that pool)
DOCS_MAN = re.compile(r"(cherryd3|bottle)\.")
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


def _prose(text: str) -> bool:
    """A text worth a teacher's time: 80 characters or more, more than 60 % of them letters (not a table or code)."""
    return len(text) >= 80 and sum(c.isalpha() for c in text) > 0.6 * len(text)


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
        if _prose(p):
            out.append(p[:1500])
    return out


def man_texts() -> list[str]:
    """Paragraphs of the English man pages, the held-out projects' pages left out."""
    out = []
    for section in sorted(MAN.glob("man[1-8]")):
        for path in sorted(section.iterdir()):
            if not (EXCLUDE.search(path.name) or path.name.startswith("gcloud") or DOCS_MAN.match(path.name)):
                out.extend(_man_paragraphs(path))
    return list(dict.fromkeys(out))


_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")


def _pieces(text: str, most: int = 1500) -> list[str]:
    """TEXT cut at sentence ends into pieces of at most MOST characters (a longer sentence is cut at MOST)."""
    out, cur = [], ""
    for sentence in _SENTENCE_END.split(text):
        if len(sentence) > most and cur:
            out.append(cur)
            cur = ""
        while len(sentence) > most:
            out.append(sentence[:most])
            sentence = sentence[most:]
        if cur and len(cur) + 1 + len(sentence) > most:
            out.append(cur)
            cur = sentence
        else:
            cur = f"{cur} {sentence}" if cur else sentence
    return out + ([cur] if cur else [])


def doc_texts(seed: int = 0) -> list[str]:
    """Texts of DOC_PACKAGES' HTML documentation (at most PER_PACKAGE a package, drawn with SEED)."""
    import contextlib
    import io

    from exporter.search.extract import pages_of_file, site_files, site_pass

    out = []
    for pkg in DOC_PACKAGES:
        root = DOCS / pkg / "html" if (DOCS / pkg / "html").is_dir() else DOCS / pkg  # webob's pages are not in html/
        if not any(root.glob("*.html")):
            raise SystemExit(f"no HTML in {root}: apt-get install {pkg}")
        files = [f for f in site_files(root) if not EXCLUDE.search(f.relative_to(root).as_posix())]
        texts = []
        with contextlib.redirect_stderr(io.StringIO()):  # the reader's "skipped: generated page" warnings
            info = site_pass(files, root, None)
            for f in files:
                for page in pages_of_file(f, root, None, info):
                    for chunk in page.chunks:
                        for t in _pieces(re.sub(r"\s+", " ", chunk.text).strip()):
                            if _prose(t):
                                texts.append(t)
        texts = list(dict.fromkeys(texts))
        random.Random(seed).shuffle(texts)
        out += texts[:PER_PACKAGE]
    return list(dict.fromkeys(out))


def corpus(n_wordnet: int, n_man: int, n_docs: int = 0, seed: int = 0) -> list[str]:
    """The first N_WORDNET glosses, N_MAN man-page paragraphs and N_DOCS documentation texts of each pool shuffled
    with SEED (a larger N keeps the smaller N's texts, so cached teacher features stay valid as the corpus grows)."""
    texts = []
    for pool, n in ((wordnet_texts(), n_wordnet), (man_texts() if n_man else [], n_man), (doc_texts(seed) if n_docs else [], n_docs)):
        random.Random(seed).shuffle(pool)
        texts += pool[:n]
    return texts
