"""``edgembed index --adapt``: the static table fitted to the site's own text (exporter/search/adapt.py, teacher.py).

One small site (40 bundled Cranfield documents as --records) is adapted once per module; the teacher's calls are
counted to check the feature cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
    """``edgembed index --records R --adapt`` with a fresh feature cache, then again with 2 records edited; returns
    the folders and the number of texts the teacher encoded in each run."""
    from exporter.cli import main
    from exporter.proof.retrieval import load_beir
    from exporter.search import teacher

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
    try:
        for run in range(2):
            if run == 1:
                _write_records(recs, docs, changed={3, 17})
            counts.append(0)
            assert main(["index", "--records", str(recs), "--out", str(tmp / f"idx{run}"), "--adapt", "--quiet"]) == 0
    finally:
        mp.undo()
    return {"tmp": tmp, "recs": recs, "counts": counts, "docs": docs}


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


def test_the_feature_cache_spares_the_teacher(site):
    """First run: every chunk through the teacher; two records edited: those two (the unchanged site: below)."""
    assert site["counts"] == [N_RECORDS, 2], site["counts"]


def test_parity_passes_on_the_adapted_model(site, tmp_path, monkeypatch):
    """The index's model is an ordinary export: `edgembed parity` (flat backend) passes on the export it is shipped
    from, against the fitted float table.
    The site is unchanged since the fixture's last run: the teacher runs on nothing."""
    from exporter.search import teacher
    from exporter.search.adapt import adapt, site_texts
    from exporter.search.build import build_index

    calls = []
    monkeypatch.setattr(teacher.Teacher, "encode", lambda self, texts: calls.append(len(texts)))

    texts = site_texts(None, tmp_path / "idx", None, site["recs"])
    folder = adapt(texts, None, None, tmp_path / "adapted", progress=False, cache_folder=site["tmp"] / "features")
    build_index(None, tmp_path / "idx", model=str(folder), records_file=site["recs"], progress=False)
    assert calls == []
    # parity reads a full export (the index ships its subset): the same export, whose shipped files must be the index's
    from exporter.pipeline import export
    from exporter.search.model import EXPORT

    export(str(folder), tmp_path / "x", quant=EXPORT["quant"], demo=False)
    shipped = json.loads((tmp_path / "idx" / "model" / "manifest.json").read_text())["sha256"]
    full = json.loads((tmp_path / "x" / "manifest.json").read_text())["sha256"]
    assert shipped and all(full[k] == v for k, v in shipped.items()), (shipped, full)
    proc = subprocess.run([sys.executable, "-m", "exporter", "parity", str(tmp_path / "x"), "--model",
                           str(folder), "--backends", "flat", "--report", str(tmp_path / "parity.md")],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]


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
