"""The ``--adapt`` fit's settings measured on the development sites (exporter/search/adapt.py; docs/search.md): the
L2 pull toward the base rows (REG) and the sentences added to small sites (SENTENCES). Both ship off (neither won
on the development sites); these tests check that each does what benchmarks/tune_adapt_fit.py measured."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import DATA


def test_sentences_split_dedupe_and_budget():
    from exporter.search import adapt

    texts = ["Guide Install pip with the installer. Then run pip install requests to fetch it! Ok.",
             "One chunk of a single sentence with many words here", "Guide Install pip with the installer."]
    got = adapt.sentences(texts, 10)
    assert got == ["Then run pip install requests to fetch it!"]  # the first is already a text; "ok." is too short
    assert adapt.sentences(texts, 0) == []
    many = [" ".join(f"Sentence {i} {j} has five words." for j in range(3)) for i in range(20)]
    picked = adapt.sentences(many, 7)
    assert len(picked) == 7 and picked[0] == "Sentence 0 0 has five words." and picked[-1] == "Sentence 19 2 has five words."


def test_reg_pulls_the_fitted_rows_toward_the_base(monkeypatch):
    """With REG > 0 the rows move less from the base than without (same texts, targets and seed). The targets are
    learnable: each text's mean of a random vector per token, so the held-out loss improves over many epochs."""
    pytest.importorskip("torch")
    from exporter.proof.retrieval import load_beir
    from exporter.search import adapt
    from exporter.sources.loading import load_model

    seed = 0
    print(f"seed {seed}")
    texts = load_beir(DATA / "cranfield").doc_texts[:60]
    model = load_model(None)
    ids, _ = adapt._token_ids(model.tokenizer_json, texts, 254)
    per_token = np.random.default_rng(seed).standard_normal((len(model.table), 32)).astype(np.float32)
    targets = np.stack([per_token[i].mean(0) for i in ids])
    moves = []
    for reg in (0.0, 10.0):
        monkeypatch.setattr(adapt, "REG", reg)
        monkeypatch.setattr(adapt, "MAX_EPOCHS", 60)
        _, state = adapt.fit_table(model.table, model.tokenizer_json, texts, targets, max_tokens=254, progress=False)
        base = model.table[state["ids"]].astype(np.float32)
        moves.append(float(np.linalg.norm(state["rows"].astype(np.float32) - base, axis=1).mean()))
    print(f"mean row move: reg 0 {moves[0]:.4f}, reg 10 {moves[1]:.4f}")
    assert moves[1] < 0.5 * moves[0]


def test_min_count_keeps_only_frequent_tokens_rows(monkeypatch):
    """MIN_COUNT 3: the fitted rows are those of tokens in at least 3 texts; the rarer tokens keep their base rows."""
    pytest.importorskip("torch")
    from exporter.proof.retrieval import load_beir
    from exporter.search import adapt
    from exporter.sources.loading import load_model

    texts = load_beir(DATA / "cranfield").doc_texts[:40]
    model = load_model(None)
    ids, _ = adapt._token_ids(model.tokenizer_json, texts, 254)
    targets = np.random.default_rng(0).standard_normal((len(texts), 16)).astype(np.float32)
    monkeypatch.setattr(adapt, "MAX_EPOCHS", 3)
    monkeypatch.setattr(adapt, "MIN_COUNT", 3)
    fitted, state = adapt.fit_table(model.table, model.tokenizer_json, texts, targets, max_tokens=254, progress=False)
    counts = np.bincount(np.concatenate([np.unique(i) for i in ids]), minlength=len(model.table))
    assert set(state["ids"].tolist()) == set(np.flatnonzero(counts >= 3).tolist()) - {0}
    rare = np.flatnonzero((counts > 0) & (counts < 3))
    assert len(rare) > 10 and np.array_equal(fitted[rare], np.asarray(model.table[rare], np.float32))
