"""`edgembed bench` smoke test: it runs every method on the same texts and prints ratios (no timing asserts)."""

from __future__ import annotations

import json
import re

import pytest

from exporter import export
from exporter.proof.bench import REFERENCE
from exporter.cli import main


@pytest.fixture(scope="module")
def bench_export(distilled_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "int8"
    export(distilled_dir, out, quant="int8", demo=False)
    return out


def test_bench_prints_ratios(bench_export, tmp_path, capsys):
    texts = tmp_path / "texts.txt"
    texts.write_text("\n".join(f"sentence number {i} about static embeddings and wings" for i in range(96)) + "\n")
    out = tmp_path / "bench.json"
    assert main(["bench", str(bench_export), "--texts", str(texts), "--batch-sizes", "1,32",
                 "--repeat", "1", "--output", str(out)]) == 0
    stdout = capsys.readouterr().out
    methods = ["tokenization only", "edgembed flat", "edgembed onnx", "edgembed torch", REFERENCE,
               "model2vec StaticModel.encode"]
    for batch in (1, 32):
        for m in methods:
            line = next(ln for ln in stdout.splitlines() if re.match(rf"\s*{batch}\s+{re.escape(m)}\s", ln))
            assert re.search(r"\d+\.\d\dx$", line), line
    assert re.search(rf"\s32\s+{re.escape(REFERENCE)}\s.*\s1\.00x$", stdout, re.M)
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert len(rows) == 12 and not result["skipped"]
    for r in rows:
        assert r["sentences_per_s"] > 0 and 0 < r["p50_ms"] <= r["p99_ms"]
        assert r["texts"] == 96 and r["batches"] == (96 if r["batch"] == 1 else 3)


def test_bench_bad_input(bench_export, tmp_path, capsys):
    for argv in (["bench", str(tmp_path)], ["bench", str(bench_export), "--batch-sizes", "0"],
                 ["bench", str(bench_export), "--texts", str(tmp_path / "none.txt")]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("edgembed: error:") and len(err.splitlines()) == 1


def test_bench_default_texts_are_the_bundled_cranfield():
    """One documented default on every machine: the bundled cranfield corpus (title + text) then its 225 queries."""
    from exporter.proof.bench import default_texts
    from exporter.proof.datasets import DATA

    texts, origin = default_texts()
    first = json.loads((DATA / "cranfield" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert len(texts) == 1400 + 225 and "cranfield" in origin
    assert texts[0] == f"{first['title']} {first['text']}".strip()
