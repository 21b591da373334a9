"""``--target mobile``: the .ort model runs like the .onnx one and its operator config matches the graph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from exporter.runtimes.backends import load
from exporter.runtimes.onnx import OnnxEmbedder
from exporter.errors import EdgembedError
from exporter.pipeline import export
from exporter.targets.mobile import read_config, write_mobile

CASES = [("fp32", 256), ("fp16", 256), ("int8", 256), ("int4", 256), ("int4", 101), ("pq16", 64)]  # odd dims: int4 Slice


@pytest.fixture(scope="module", params=CASES, ids=[f"{q}-{d}" for q, d in CASES])
def mobile_export(request, distilled_dir, tmp_path_factory) -> Path:
    quant, dims = request.param
    out = tmp_path_factory.mktemp(f"mobile-{quant}-{dims}") / "export"
    export(distilled_dir, out, dims=dims, quant=quant, target="mobile", demo=False)
    return out


def _tok(folder: Path) -> str:
    return (folder / "tokenizer.json").read_text(encoding="utf-8")


def test_manifest_lists_mobile_files(mobile_export):
    man = json.loads((mobile_export / "manifest.json").read_text())
    assert man["files"]["ort"] == "mobile/model.ort"
    assert man["files"]["ort_config"] == "mobile/required_operators.config"
    for key in ("ort", "ort_config", "flat", "tokenizer"):
        rel = man["files"][key]
        assert (mobile_export / rel).is_file() and rel in man["sha256"]
    assert "/tmp" not in (mobile_export / man["files"]["ort_config"]).read_text()


def test_ort_matches_onnx(mobile_export, texts):
    onnx_emb = OnnxEmbedder(mobile_export / "onnx" / "model.onnx", _tok(mobile_export)).encode(texts)
    ort_emb = OnnxEmbedder(mobile_export / "mobile" / "model.ort", _tok(mobile_export)).encode(texts)
    assert ort_emb.shape == onnx_emb.shape
    assert np.abs(ort_emb - onnx_emb).max() <= 1e-6
    flat = load(mobile_export, backend="flat").encode(texts)
    assert np.abs(ort_emb - flat).max() <= 1e-5
    assert np.abs(ort_emb[3]).max() > 0 and not ort_emb[0].any()  # a real text embeds, the empty one is zero


def test_required_operators_match_graph(mobile_export):
    import onnx

    model = onnx.load(str(mobile_export / "onnx" / "model.onnx"))
    opsets = {imp.domain or "ai.onnx": imp.version for imp in model.opset_import}
    expected: dict[str, dict[int, set[str]]] = {}
    for node in model.graph.node:
        domain = node.domain or "ai.onnx"
        schema = onnx.defs.get_schema(node.op_type, opsets[domain], "" if domain == "ai.onnx" else domain)
        expected.setdefault(domain, {}).setdefault(schema.since_version, set()).add(node.op_type)
    assert read_config(mobile_export / "mobile" / "required_operators.config") == expected


def test_ort_config_uses_bitwise_ops_only_for_int4(mobile_export):
    ops = set().union(*read_config(mobile_export / "mobile" / "required_operators.config")["ai.onnx"].values())
    quant = json.loads((mobile_export / "manifest.json").read_text())["quant"]
    assert ({"BitwiseAnd", "BitShift"} <= ops) == (quant == "int4")


def test_bad_onnx_is_one_line_error(tmp_path):
    (tmp_path / "onnx").mkdir()
    (tmp_path / "onnx" / "model.onnx").write_bytes(b"not an onnx model")
    with pytest.raises(EdgembedError) as err:
        write_mobile(tmp_path, "onnx/model.onnx")
    assert "\n" not in str(err.value) and "ORT-format conversion failed" in str(err.value)
    assert not (tmp_path / "mobile" / "model.ort").exists()


def test_cli_mobile_export_is_quiet(distilled_dir, tmp_path, capfd):
    from exporter.cli import main

    out = tmp_path / "exp"
    argv = ["export", str(distilled_dir), "--quant", "int8", "--dims", "64", "--out", str(out), "--no-demo", "--target", "mobile"]
    assert main(argv) == 0
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out.count("\n") == 1 and "ort=mobile/model.ort" in captured.out
    assert (out / "mobile" / "model.ort").is_file()
