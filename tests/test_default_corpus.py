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
