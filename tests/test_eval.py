"""`edgembed eval`: metrics through the exported artifacts, checked against trec_eval (pytrec_eval) and by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from exporter import export, load
from exporter.cli import main

from .conftest import DATA

CRANFIELD, CISI = DATA / "cranfield", DATA / "cisi"


def _read_beir(folder: Path):
    docs = [json.loads(line) for line in open(folder / "corpus.jsonl", encoding="utf-8")]
    queries = {q["_id"]: q["text"] for q in map(json.loads, open(folder / "queries.jsonl", encoding="utf-8"))}
    qrels: dict[str, dict[str, int]] = {}
    for line in list(open(folder / "qrels" / "test.tsv", encoding="utf-8"))[1:]:
        q, d, s = line.split()
        qrels.setdefault(q, {})[d] = int(s)
    return docs, queries, qrels


def _run_cli(model, data: Path, tmp_path: Path, dims: str, quant: str) -> tuple[dict, str]:
    out = tmp_path / f"{data.name}.json"
    assert main(["eval", str(model), "--data", str(data), "--dims", dims, "--quant", quant,
                 "--output", str(out), "--no-progress"]) == 0
    return json.loads(out.read_text()), out


def test_fp32_cell_equals_independent_trec_eval(distilled_dir, tmp_path, capsys):
    """The CLI's fp32 NDCG@10 / recall@10 / MRR@10 on cranfield equal trec_eval's (pytrec_eval) on embeddings
    from a separately made export, to 1e-6; and a by-hand NDCG@10 agrees too."""
    import pytrec_eval

    result, out = _run_cli(distilled_dir, CRANFIELD, tmp_path, "256", "fp32")
    stdout = capsys.readouterr().out
    (cell,) = result["cells"]
    assert set(cell) >= {"dims", "quant", "ndcg@10", "recall@10", "mrr@10", "bytes"}

    docs, queries, qrels = _read_beir(CRANFIELD)
    export(distilled_dir, tmp_path / "exp", dims=256, quant="fp32", demo=False)
    emb = load(tmp_path / "exp", "flat")
    d = emb.encode([(x.get("title", "") + " " + x["text"]).strip() for x in docs]).astype(np.float64)
    qids = [q for q in queries if q in qrels]
    qv = emb.encode([queries[q] for q in qids]).astype(np.float64)
    d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-300)
    qv /= np.maximum(np.linalg.norm(qv, axis=1, keepdims=True), 1e-300)
    scores = qv @ d.T
    run = {q: {x["_id"]: float(scores[i, j]) for j, x in enumerate(docs)} for i, q in enumerate(qids)}
    per_q = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.10"}).evaluate(run)
    top10 = {q: dict(sorted(r.items(), key=lambda kv: -kv[1])[:10]) for q, r in run.items()}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    assert len(per_q) == 225
    assert abs(cell["ndcg@10"] - np.mean([v["ndcg_cut_10"] for v in per_q.values()])) <= 1e-6
    assert abs(cell["recall@10"] - np.mean([v["recall_10"] for v in per_q.values()])) <= 1e-6
    assert abs(cell["mrr@10"] - np.mean([v["recip_rank"] for v in rr.values()])) <= 1e-6

    by_hand = []  # plain NDCG@10 with the grade as gain
    for q in qids:
        ranked = sorted(run[q], key=lambda doc: -run[q][doc])[:10]
        dcg = sum(qrels[q].get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranked))
        ideal = sorted(qrels[q].values(), reverse=True)[:10]
        by_hand.append(dcg / sum(g / math.log2(i + 2) for i, g in enumerate(ideal)))
    assert abs(cell["ndcg@10"] - float(np.mean(by_hand))) <= 1e-6

    sizes = (tmp_path / "exp" / "model.edgembed").stat().st_size + (tmp_path / "exp" / "tokenizer.json").stat().st_size
    assert cell["bytes"] == sizes
    assert f"{cell['ndcg@10']:.4f}" in stdout and "ndcg@10" in stdout
    png = out.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


@pytest.mark.parametrize("data", [CRANFIELD, CISI], ids=["cranfield", "cisi"])
def test_int8_keeps_ndcg(distilled_dir, tmp_path, data):
    """Acceptance: int8@256 keeps >= 99.5% of fp32@256 NDCG@10; smaller cells are smaller bundles.
    `--data cranfield` (a bare name, no such folder here) is the bundled collection."""
    assert not Path(data.name).exists()
    result, _ = _run_cli(distilled_dir, Path(data.name), tmp_path, "256,64", "fp32,int8,int4")
    cells = {(c["dims"], c["quant"]): c for c in result["cells"]}
    assert len(cells) == 6 and result["queries"] == {"cranfield": 225, "cisi": 76}[data.name]
    assert cells[256, "int8"]["ndcg@10"] >= 0.995 * cells[256, "fp32"]["ndcg@10"]
    assert cells[256, "fp32"]["ndcg@10"] > 0.15  # far above chance
    b = [cells[k]["bytes"] for k in [(256, "fp32"), (256, "int8"), (256, "int4"), (64, "int4")]]
    assert b == sorted(b, reverse=True) and len(set(b)) == 4
    assert cells[64, "fp32"]["ndcg@10"] < cells[256, "fp32"]["ndcg@10"]


def test_eval_errors_are_one_line(distilled_dir, tmp_path, capsys):
    bad_data = tmp_path / "beir"
    bad_data.mkdir()
    (bad_data / "corpus.jsonl").write_text('{"_id": "1", "text": "x"}\nnot json\n')
    cases = [
        ["eval", str(distilled_dir), "--data", str(tmp_path / "missing")],
        ["eval", str(distilled_dir), "--data", str(bad_data)],
        ["eval", str(distilled_dir), "--data", str(CRANFIELD), "--dims", "4096"],
        ["eval", str(distilled_dir), "--data", str(CRANFIELD), "--dims", "abc"],
        ["eval", str(distilled_dir), "--data", str(CRANFIELD), "--quant", "int3"],
        ["eval", str(distilled_dir), "--data", str(CRANFIELD), "--backend", "torch"],
    ]
    for argv in cases:
        assert main(argv + ["--no-progress", "--output", str(tmp_path / "o.json")]) == 2, argv
        err = capsys.readouterr().err.strip()
        assert err.startswith("edgembed: error:") and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o.json").exists() and not (tmp_path / "o.png").exists()


def test_metrics_of_a_corpus_smaller_than_ten():
    """Three documents (fewer than the @10 cut-off) used to crash NDCG with a shape error; values checked by hand."""
    from exporter.proof.retrieval import Beir, evaluate

    data = Beir("tiny", ["a", "b", "c"], ["x", "y", "z"], ["q"], ["query"], {"q": {"b": 1, "c": 2}})
    m = evaluate(np.array([[0.9, 0.5, 0.1]]), data)  # ranking a, b, c: relevant at ranks 2 (grade 1) and 3 (grade 2)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert m["ndcg@10"] == pytest.approx((1 / math.log2(3) + 2 / math.log2(4)) / ideal)
    assert m["mrr@10"] == pytest.approx(0.5) and m["recall@10"] == pytest.approx(1.0)
