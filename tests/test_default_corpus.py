"""scripts/default_corpus.py: the general English text scripts/build_default_model.py --fit fits the default model to."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import default_corpus  # noqa: E402

needs_wordnet = pytest.mark.skipif(not (default_corpus.WORDNET / "data.noun").exists(),
                                   reason="wordnet-base is not installed (scripts/setup.sh installs it)")


@needs_wordnet
def test_wordnet_texts_are_lemmas_then_gloss():
    texts = default_corpus.wordnet_texts()
    assert len(texts) > 100_000  # WordNet 3.0: 117,659 synsets
    assert texts[0] == ("entity: that which is perceived or known or inferred to have its own distinct existence "
                        "(living or nonliving)")
    assert not any("_" in t.split(":")[0] or "Princeton" in t for t in texts[:1000])


def _man(folder: Path, name: str, roff: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(gzip.compress(roff.encode()))


def test_man_paragraphs_strip_roff_and_leave_the_held_out_projects_out(tmp_path, monkeypatch):
    para = "reads the \\fBfile\\fR named on the command line and writes every line that matches the pattern to output"
    _man(tmp_path / "man1", "grep.1.gz", f'.TH GREP 1\n.SH DESCRIPTION\n.B grep\n{para}\n.PP\nshort\n')
    _man(tmp_path / "man1", "pytest.1.gz", f".SH DESCRIPTION\n{para} in pytest\n")
    _man(tmp_path / "man1", "python3.11.1.gz", f".SH DESCRIPTION\n{para} in python\n")
    monkeypatch.setattr(default_corpus, "MAN", tmp_path)
    assert default_corpus.man_texts() == ["grep " + para.replace("\\fB", "").replace("\\fR", "")]


@needs_wordnet
def test_corpus_is_seeded_and_a_larger_one_keeps_the_smaller(tmp_path, monkeypatch):
    monkeypatch.setattr(default_corpus, "MAN", tmp_path)  # no man pages: WordNet alone
    small, large = default_corpus.corpus(500, 0), default_corpus.corpus(2000, 0)
    assert len(small) == 500 and large[:500] == small  # cached teacher features stay valid as the corpus grows
    assert default_corpus.corpus(500, 0, seed=1) != small


def test_pieces_cut_at_sentence_ends_and_never_exceed_the_limit():
    text = "One sentence here. " * 40 + "x" * 3500
    pieces = default_corpus._pieces(text.strip(), most=200)
    assert all(len(p) <= 200 for p in pieces)
    assert " ".join(pieces).replace(" ", "") == text.strip().replace(" ", "")  # nothing lost, nothing added
    assert pieces[0].endswith("here.")  # cut after a sentence, not inside one


def _doc_page(folder: Path, name: str, title: str, paras: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f"<section id='s{i}'><h2>Part {i}</h2><p>{p}</p></section>" for i, p in enumerate(paras))
    (folder / name).write_text(f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1>{body}"
                               "</main></body></html>", encoding="utf-8")


def test_doc_texts_read_pages_as_a_site_capped_per_package_and_leave_held_out_pages_out(tmp_path, monkeypatch):
    para = "The scheduler sends each task to a worker process and records its result in the backend you configured."
    _doc_page(tmp_path / "pkg-a-doc" / "html", "guide.html", "Guide", [f"{para} ({i})" for i in range(6)] + ["short"])
    _doc_page(tmp_path / "pkg-a-doc" / "html", "flask.html", "Flask", [f"{para} on flask"])  # a held-out project
    _doc_page(tmp_path / "pkg-b-doc", "index.html", "B", [f"{para} in b"])  # pages outside html/ (as webob's)
    monkeypatch.setattr(default_corpus, "DOCS", tmp_path)
    monkeypatch.setattr(default_corpus, "DOC_PACKAGES", ("pkg-a-doc", "pkg-b-doc"))
    monkeypatch.setattr(default_corpus, "PER_PACKAGE", 4)
    texts = default_corpus.doc_texts()
    assert len(texts) == 5 and sum(t.startswith(para + " (") for t in texts) == 4  # 4 of package a's 6, 1 of b
    assert f"{para} in b" in texts and not any("flask" in t or t == "short" for t in texts)
    assert default_corpus.doc_texts(seed=0) == texts and default_corpus.doc_texts(seed=1) != texts
    monkeypatch.setattr(default_corpus, "DOC_PACKAGES", ("pkg-a-doc", "missing-doc"))
    with pytest.raises(SystemExit, match="apt-get install missing-doc"):
        default_corpus.doc_texts()
