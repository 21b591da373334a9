"""``edgembed index --adapt``: the static table fitted to the site's own text (exporter/search/adapt.py, teacher.py).

One small site (40 bundled Cranfield documents as --records) is adapted once per module, then re-indexed in place
with two records edited; the teacher's calls are counted to check the feature cache, the fits to check that the
re-run keeps the first fit, and `edgembed parity` runs on the adapted index's model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import DATA, ROOT
from tests.test_default_model import NO_HEAVY

pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

N_RECORDS = 40


def _write_records(path, docs: list[str], changed: set[int] = frozenset()) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, text in enumerate(docs):
            if i in changed:
                text = text + " this paragraph was edited after the first index."
            f.write(json.dumps({"url": f"/doc/{i}/", "title": f"Document {i}", "text": text}) + "\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``edgembed index --records R --adapt`` with a fresh feature cache, then again in place with 2 records edited;
    returns the folders, the number of texts the teacher encoded in each run and each run's messages."""
    from exporter.cli import main
    from exporter.proof.retrieval import load_beir
    from exporter.search import adapt, teacher

    tmp = tmp_path_factory.mktemp("adapt")
    docs = load_beir(DATA / "cranfield").doc_texts[:N_RECORDS]
    recs = tmp / "records.jsonl"
    _write_records(recs, docs)
    counts = []
    real = teacher.Teacher.encode

    def counting(self, texts):
        counts[-1] += len(texts)
        return real(self, texts)

    mp = pytest.MonkeyPatch()
    mp.setattr(teacher, "feature_cache_dir", lambda: tmp / "features")  # a fresh feature cache
    mp.setattr(teacher.Teacher, "encode", counting)
    fits = []
    real_fit = adapt.fit_table

    def recording(*a, **k):
        table, state = real_fit(*a, **k)
        fits.append(state["epochs"])
        return table, state

    mp.setattr(adapt, "fit_table", recording)
    try:
        for run in range(2):
            if run == 1:
                _write_records(recs, docs, changed={3, 17})
                shutil.copytree(tmp / "idx0", tmp / "idx1")  # re-indexed in place: the earlier index at OUT
            counts.append(0)
            assert main(["index", "--records", str(recs), "--out", str(tmp / f"idx{run}"), "--adapt", "--quiet"]) == 0
    finally:
        mp.undo()
    return {"tmp": tmp, "recs": recs, "counts": counts, "docs": docs, "fits": fits}


def test_adapted_model_differs_from_the_default_and_searches(site):
    from exporter.search.model import load_model as load_index_model
    from exporter.search.query import SiteIndex
    from exporter.search.model import cached_default

    adapted = load_index_model(site["tmp"] / "idx0" / "model").table
    default = load_index_model(cached_default()).table  # the default model's index export: int8 too
    assert (adapted.quant, adapted.data.shape) == (default.quant, default.data.shape)
    moved = (adapted.data != default.data).any(axis=1)
    print(f"rows changed by the fit: {int(moved.sum())} of {len(moved)}")
    assert 50 < moved.sum() < 5000  # the rows of the tokens the 40 documents hold, and only those
    hits = SiteIndex(site["tmp"] / "idx0").search(site["docs"][5][:200], limit=3, mode="semantic", excerpts=False)
    assert hits and hits[0]["url"] == "/doc/5/"
    chunks = [json.loads((site["tmp"] / f"idx{r}" / "index.json").read_text())["chunks"] for r in range(2)]
    assert chunks == [N_RECORDS, N_RECORDS]
    from exporter.search.build import ADAPTED_FUSION_WEIGHT

    fusion = json.loads((site["tmp"] / "idx0" / "index.json").read_text())["fusion"]
    assert fusion["weight"] == ADAPTED_FUSION_WEIGHT
    assert fusion["feedback_docs"] == 0  # adapted indexes rank in one pass (keyword feedback lowered adapted cisi)


def test_the_feature_cache_spares_the_teacher(site):
    """First run: every chunk through the teacher; two records edited: those two (the unchanged site: below)."""
    assert site["counts"] == [N_RECORDS, 2], site["counts"]


def test_a_rerun_with_few_changes_keeps_the_fit(site):
    """The second run (2 of 40 records edited: at most REFIT_FRACTION) kept the first run's fit (OUT/adapted/): no fit
    ran, the moved rows are the same; the edited chunks' features were computed (for the refit to come)."""
    from exporter.search import adapt
    from exporter.sources.loading import read_safetensors

    assert 2 <= adapt.REFIT_FRACTION * N_RECORDS
    assert len(site["fits"]) == 1, site["fits"]
    first, second = (read_safetensors(site["tmp"] / f"idx{r}" / "adapted" / "model.safetensors") for r in range(2))
    assert all(np.array_equal(first[k], second[k]) for k in ("ids", "rows", "keys"))
    assert json.loads((site["tmp"] / "idx1" / "adapted" / "config.json").read_text())["changed_since"] == 2


def test_a_rerun_with_many_changes_fits_again(site, tmp_path, monkeypatch):
    """More than REFIT_FRACTION of the chunks changed: the fit is done from the base again."""
    from exporter.search import adapt, teacher
    from exporter.search.build import build_index

    recs = tmp_path / "records.jsonl"
    _write_records(recs, site["docs"], changed=set(range(10)))  # 10 of 40
    monkeypatch.setattr(teacher, "feature_cache_dir", lambda: site["tmp"] / "features")
    fits = []
    real = adapt.fit_table
    monkeypatch.setattr(adapt, "fit_table", lambda *a, **k: fits.append(1) or real(*a, **k))
    idx = tmp_path / "idx"
    shutil.copytree(site["tmp"] / "idx1", idx)
    build_index(None, idx, records_file=recs, progress=False, adapt={})
    assert fits == [1]
    assert json.loads((idx / "adapted" / "config.json").read_text())["changed_since"] == 0


def test_an_unchanged_site_keeps_the_fit_and_parity_passes(site, tmp_path, monkeypatch):
    """The site unchanged since the fixture's last run: neither the teacher nor the fit runs, the fitted model is the
    same. The index's model is an ordinary export: `edgembed parity` (flat backend) passes on INDEX/model with the
    source its manifest records (INDEX/adapted/), found even after the index moved."""
    from exporter.search import adapt, teacher
    from exporter.search.build import build_index

    calls = []
    monkeypatch.setattr(teacher.Teacher, "encode", lambda self, texts: calls.append(len(texts)))
    monkeypatch.setattr(adapt, "fit_table", lambda *a, **k: calls.append("fit"))
    monkeypatch.setattr(teacher, "feature_cache_dir", lambda: site["tmp"] / "features")
    idx = tmp_path / "idx"
    shutil.copytree(site["tmp"] / "idx1", idx)  # the earlier index at OUT, as a re-run finds it
    build_index(None, idx, records_file=site["recs"], progress=False, adapt={})
    assert calls == []
    assert ((idx / "adapted" / "model.safetensors").read_bytes()
            == (site["tmp"] / "idx1" / "adapted" / "model.safetensors").read_bytes())
    moved = tmp_path / "moved"
    idx.rename(moved)  # the manifest's absolute path is gone: parity finds ../adapted
    proc = subprocess.run([sys.executable, "-m", "exporter", "parity", str(moved / "model"), "--backends", "flat",
                           "--report", str(tmp_path / "parity.md")],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    report = json.loads((tmp_path / "parity.json").read_text())
    assert report["passed"] and report["source"]["format"] == "edgembed-adapted", report["source"]
    assert report["source"]["path"] == str((moved / "adapted").resolve())


def test_parity_fails_against_the_base_model(site, tmp_path):
    """The check has teeth: the adapted export against the default model (not its source) fails."""
    proc = subprocess.run([sys.executable, "-m", "exporter", "parity", str(site["tmp"] / "idx0" / "model"),
                           "--model", str(DATA / "default_model"), "--backends", "flat"],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode != 0, proc.stdout[-2000:]


def test_an_adapted_model_on_another_base_is_refused(site, tmp_path):
    """The adapted folder holds rows over its base: a base that changed since is a one-line error, not a wrong model."""
    from exporter.errors import EdgembedError
    from exporter.sources.loading import load_model

    folder = tmp_path / "adapted"
    shutil.copytree(site["tmp"] / "idx0" / "adapted", folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["base_sha256"] = "0" * 64
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(EdgembedError, match="fitted on another"):
        load_model(str(folder))


def _cli(args: list[str], prelude: str = "", env: dict | None = None) -> subprocess.CompletedProcess:
    code = prelude + "import sys\nfrom exporter.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_without_torch_one_line_naming_the_extra(site, tmp_path):
    proc = _cli(["index", "--records", str(site["recs"]), "--out", str(tmp_path / "i"), "--adapt"], prelude=NO_HEAVY)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'edgembed[distill]'" in lines[0], proc.stderr
    assert not (tmp_path / "i").exists()


def test_a_hub_teacher_offline_is_one_line(site, tmp_path):
    proc = _cli(["index", "--records", str(site["recs"]), "--out", str(tmp_path / "i"), "--adapt", "--teacher",
                 "nobody-here/no-such-teacher"], env={"HF_HUB_OFFLINE": "1", "XDG_CACHE_HOME": str(tmp_path / "c")})
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-teacher" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
