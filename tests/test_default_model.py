"""The embedded default model: cached under $XDG_CACHE_HOME/edgembed and reused."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import exporter
from exporter.sources import default_model


def test_cache_dir_respects_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_model.cache_dir() == tmp_path / "edgembed"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_model.cache_dir() == Path.home() / ".cache" / "edgembed"


def test_cached_model_is_reused(distilled_dir, monkeypatch):
    def no_distill(*a, **k):
        raise AssertionError("distilled again although cached")

    monkeypatch.setattr("model2vec.distill.distill", no_distill)
    assert default_model.default_model_path() == distilled_dir
    m = exporter.load_model(None)
    assert m.source["kind"] == "default" and m.table.shape == (29525, 256) and m.normalize
    assert np.isfinite(m.table).all()
