"""`edgembed parity`: passes on good exports, and fails, naming the right backends, on corrupted ones."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from exporter.cli import main
from exporter.pipeline import export
from exporter.formats.flat import HEADER, read_flat
from exporter.proof.parity import references, run_parity
from exporter.proof.report import render_markdown
from exporter.sources.loading import load_model
from exporter.texts import hostile_texts
from exporter.sources.tokenizer import encode_ids, load_tokenizer

from .conftest import ROOT, st_encode

CPU_BACKENDS = "torch-cpu,torch-cuda,onnx-cpu,onnx-cuda,flat"


def _parity(folder: Path, tmp_path: Path, *extra: str) -> tuple[int, dict, str]:
    """Run the CLI; return (exit code, the JSON report, stdout + stderr)."""
    report = tmp_path / "report.md"
    return_code = main(["parity", str(folder), "--report", str(report), "--backends", CPU_BACKENDS, *extra])
    return return_code, json.loads(report.with_suffix(".json").read_text()), report.read_text()


def _rows(rep: dict) -> dict[str, dict]:
    return {r["backend"]: r for r in rep["backends"]}


@pytest.fixture(scope="module")
def int8_export(distilled_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parity") / "int8"
    export(distilled_dir, out, quant="int8", demo=False)
    return out


def test_reference_truth_is_sentence_transformers(st_dir, texts):
    """The parity truth is SentenceTransformer.encode(truncate_dim=d) itself."""
    model = load_model(st_dir)
    truth, deq = references(model, 128, "fp32", texts)
    assert np.abs(truth - st_encode(st_dir, texts, 128)).max() <= 1e-5
    assert truth is deq


@pytest.mark.parametrize("quant", ["fp32", "fp16", "int8", "int4"])
def test_parity_passes(distilled_dir, tmp_path, capsys, quant):
    out = tmp_path / "exp"
    export(distilled_dir, out, dims=192, quant=quant, demo=False)
    extra = tmp_path / "extra.txt"
    extra.write_text("one more text\nAnother, LONGER text about aircraft wings .\n", encoding="utf-8")
    code, rep, md = _parity(out, tmp_path, "--texts", str(extra))
    printed = capsys.readouterr().out
    assert code == 0, printed
    rows = _rows(rep)
    assert rep["passed"] and rep["texts"] == {"builtin_hostile": len(hostile_texts()), "user": 2, "total": len(hostile_texts()) + 2}
    for name in ("torch-cpu", "onnx-cpu", "flat"):
        r = rows[name]
        assert r["status"] == "pass"
        assert r["to_dequantized"]["max_abs_diff"] <= 1e-5
        if quant == "fp32":
            assert r["to_truth"]["max_abs_diff"] <= 1e-5 and r["to_truth"]["min_cosine"] > 0.99999
        else:  # quantization costs something, and the report says how much
            assert 0 < r["to_truth"]["max_abs_diff"] and 0.95 < r["to_truth"]["min_cosine"] < 1
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:
        cuda = False
    if not cuda:
        assert rows["torch-cuda"]["status"] == "skipped" and "CUDA" in rows["torch-cuda"]["reason"]
    assert rep["machine"]["cpu"] and "numpy" in rep["machine"]["libraries"]
    assert {f["file"] for f in rep["files"]} >= {"model.edgembed", "onnx/model.onnx", "tokenizer.json"}
    assert all(f["status"] == "ok" and len(f["sha256"]) == 64 for f in rep["files"])
    assert "| flat | edgembed's flat runtime in Python (numpy " in md and "## Machine" in md and rep["files"][0]["sha256"] in md
    _assert_says_what_it_measured(printed, rep, rows)


def _assert_says_what_it_measured(printed: str, rep: dict, rows: dict) -> None:
    """The report printed on the terminal names its reference(s), each row's engine with its version, the machine
    and the versions of Python, numpy, onnxruntime, tokenizers (torch when installed) and node."""
    import platform
    from importlib import metadata

    import onnxruntime

    dims, quant = rep["dims"], rep["quant"]
    assert (f"- reference 'truth': numpy over the source model's float32 table truncated to its first {dims} dims" in printed
            and f"SentenceTransformer(source).encode(texts, truncate_dim={dims}, normalize_embeddings=True)" in printed)
    assert (f"- reference 'dequantized': the same, over that truncated table quantized again to {quant}" in printed) is (quant != "fp32")
    assert f"| onnx-cpu | onnxruntime {onnxruntime.__version__}, CPUExecutionProvider | pass |" in printed
    assert f"| flat | edgembed's flat runtime in Python (numpy {np.__version__}) | pass |" in printed
    assert rows["onnx-cpu"]["engine"] == f"onnxruntime {onnxruntime.__version__}, CPUExecutionProvider"
    assert "engine" not in rows["onnx-cuda"] or rows["onnx-cuda"]["status"] != "skipped"
    assert "## Machine" in printed and f"- Python: {platform.python_version()}" in printed
    for lib in ("numpy", "onnxruntime", "tokenizers", "torch"):
        try:
            version = metadata.version(lib)
        except metadata.PackageNotFoundError:
            assert lib == "torch", lib
            continue
        assert f"{lib} {version}" in printed, lib
    node = shutil.which("node")
    assert (f"- Node: {rep['machine']['node']}" in printed and rep["machine"]["node"].startswith("v")) if node else "- Node: none on PATH" in printed
    assert "- browser: none ran" in printed  # no browser row asked for
    assert "sha256" not in printed  # the files' hashes are in --report only


@pytest.mark.parametrize("fixture,dims,quant", [("flagship_dir", 512, "fp32"), ("m2v_dir", None, "int4"), ("st_dir", 64, "fp16")])
def test_parity_source_formats(request, tmp_path, fixture, dims, quant):
    """Legacy sentence-transformers layout with a BERT post-processor, model2vec without normalize, ST with Normalize."""
    out = tmp_path / "exp"
    export(request.getfixturevalue(fixture), out, dims=dims, quant=quant, demo=False)
    rep = run_parity(out, backends=["torch-cpu", "onnx-cpu", "flat"])
    assert rep["passed"], rep["backends"]


def _token_row(folder: Path, word: str) -> int:
    tok = load_tokenizer((folder / "tokenizer.json").read_text(encoding="utf-8"))
    (ids,) = encode_ids(tok, [word])
    assert len(ids) == 1, ids
    return ids[0]


def test_corrupted_table_fails_flat_not_onnx(int8_export, tmp_path, capsys):
    """One flipped byte in the flat table's row for 'guitar': flat (and torch, which reads the flat file) diverge;
    onnx, which has its own copy of the table, still passes."""
    bad = tmp_path / "bad"
    shutil.copytree(int8_export, bad)
    flat = read_flat(bad / "model.edgembed")
    row = _token_row(bad, "guitar")
    t_off = HEADER.unpack(open(bad / "model.edgembed", "rb").read(HEADER.size))[7]
    pos = t_off + row * flat.table.data.shape[1] + 3
    del flat
    data = bytearray((bad / "model.edgembed").read_bytes())
    data[pos] ^= 0x40
    (bad / "model.edgembed").write_bytes(bytes(data))

    code, rep, _ = _parity(bad, tmp_path)
    err = capsys.readouterr().err
    assert code == 1
    rows = _rows(rep)
    assert rows["flat"]["status"] == "fail" and rows["torch-cpu"]["status"] == "fail"
    assert rows["onnx-cpu"]["status"] == "pass"
    assert rows["flat"]["to_dequantized"]["worst_text"] == hostile_texts().index("A man is playing a guitar.")
    verdict = [line for line in err.splitlines() if line.startswith("edgembed: parity failed:")]
    assert len(verdict) == 1, err  # the progress lines name every backend; the verdict names the failed ones only
    assert "diverged: torch-cpu, flat" in verdict[0] and "onnx-cpu" not in verdict[0]
    assert "sha256 mismatch: model.edgembed" in verdict[0]


def _corrupt_tokenizer(folder: Path, how: str) -> None:
    tj = folder / "tokenizer.json"
    data = json.loads(tj.read_text(encoding="utf-8"))
    if how == "lowercase":
        assert data["normalizer"]["lowercase"] is True
        data["normalizer"]["lowercase"] = False
    else:  # swap the ids of two words that occur in different texts
        vocab = data["model"]["vocab"]
        vocab["guitar"], vocab["fast"] = vocab["fast"], vocab["guitar"]
    tj.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("how", ["lowercase", "vocab"])
def test_corrupted_tokenizer_fails_every_backend(int8_export, tmp_path, capsys, how):
    bad = tmp_path / "bad"
    shutil.copytree(int8_export, bad)
    _corrupt_tokenizer(bad, how)
    code, rep, _ = _parity(bad, tmp_path)
    err = capsys.readouterr().err
    assert code == 1
    rows = _rows(rep)
    for name in ("torch-cpu", "onnx-cpu", "flat"):
        assert rows[name]["status"] == "fail" and rows[name]["to_dequantized"]["max_abs_diff"] > 1e-3
    assert "diverged: torch-cpu, onnx-cpu, flat" in err and "tokenizer.json" in err


def test_wrong_normalize_flag_fails(distilled_dir, tmp_path, capsys):
    """An export whose table is right but which does not normalize diverges from the normalizing source."""
    m = load_model(distilled_dir)
    m.normalize = False
    out = tmp_path / "exp"
    export(m, out, quant="fp32", demo=False)
    code, rep, _ = _parity(out, tmp_path, "--model", str(distilled_dir))
    assert code == 1 and {"torch-cpu", "onnx-cpu", "flat"} <= set(rep["failed"])


def test_source_model_missing_is_a_user_error(distilled_dir, tmp_path, capsys):
    src = tmp_path / "model"
    shutil.copytree(distilled_dir, src)
    out = tmp_path / "exp"
    export(src, out, quant="int8", demo=False)
    shutil.rmtree(src)
    assert main(["parity", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("edgembed: error:") and "--model" in err and len(err.splitlines()) == 1
    assert main(["parity", str(out), "--model", str(distilled_dir), "--backends", "flat"]) == 0


def test_bad_input_is_one_line(tmp_path, capsys):
    for argv in (["parity", str(tmp_path / "nope")], ["parity", str(tmp_path)],
                 ["parity", str(tmp_path), "--backends", "gpu-magic"]):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("edgembed: error:") and len(err.splitlines()) == 1


def test_html_report_escapes(int8_export, tmp_path):
    """Paths and error text go into the report as text, never as markup."""
    weird = tmp_path / "<img src=x onerror=alert(1)>"
    shutil.copytree(int8_export, weird)
    (weird / "onnx" / "model.onnx").write_bytes(b"<script>alert(1)</script>")
    report = tmp_path / "r.html"
    assert main(["parity", str(weird), "--report", str(report), "--backends", "onnx-cpu,flat"]) == 1
    page = report.read_text(encoding="utf-8")
    assert "<img src=x" not in page and "<script>alert" not in page and "&lt;img src=x" in page
    rep = json.loads(report.with_suffix(".json").read_text())
    assert _rows(rep)["onnx-cpu"]["status"] == "fail" and _rows(rep)["onnx-cpu"]["reason"].startswith("error:")
    assert _rows(rep)["flat"]["status"] == "pass"
    md = tmp_path / "r.md"
    main(["parity", str(weird), "--report", str(md), "--backends", "flat"])
    assert "<img" not in md.read_text(encoding="utf-8")


@pytest.mark.browser
def test_browser_rows(distilled_dir, tmp_path):
    """Headless Chromium: both browser backends pass on a good export. A flipped byte in the row shard of 'guitar'
    (the page fetches rows lazily) fails browser-flat with the shard named, while browser-onnx passes. Without a demo,
    or without Chromium, the rows are skipped with the reason."""
    from exporter.formats.rows import read_index, shard_name
    from exporter.proof.browser import browser_available

    out = tmp_path / "exp"
    export(distilled_dir, out, quant="int8", demo=True)
    ok, why = browser_available()
    if not ok:
        rep = run_parity(out, backends=["browser-flat"])
        assert _rows(rep)["browser-flat"]["status"] == "skipped" and _rows(rep)["browser-flat"]["reason"] == why
        pytest.skip(why)
    rep = run_parity(out, backends=["browser-onnx", "browser-flat"])
    assert rep["passed"], rep["backends"]
    version = re.fullmatch(r"Chromium (\d+)\.[\d.]+", rep["machine"]["browser"])
    assert version and int(version.group(1)) > 100, rep["machine"]
    ort_web = json.loads((ROOT / "web/node_modules/onnxruntime-web/package.json").read_text())["version"]
    assert _rows(rep)["browser-onnx"]["engine"] == f"{rep['machine']['browser']} (headless), onnxruntime-web {ort_web} (wasm)"
    assert _rows(rep)["browser-flat"]["engine"] == f"{rep['machine']['browser']} (headless), edgembed's flat runtime in JavaScript"
    printed = render_markdown(rep, summary=True)
    assert f"| browser-flat | {rep['machine']['browser']} (headless), edgembed's flat runtime in JavaScript | pass |" in printed
    assert f"- browser: {rep['machine']['browser']}" in printed
    idx = read_index((out / "rows/index.bin").read_bytes())
    row = _token_row(out, "guitar")
    shard = out / shard_name(row // idx["shard_rows"], idx["shards"])
    data = bytearray(shard.read_bytes())
    data[(row % idx["shard_rows"]) * idx["row_bytes"] + 5] ^= 0x40
    shard.write_bytes(bytes(data))
    # the same row flipped in the whole table: a batch of parity's size may take model.edgembed in one request
    # instead of the shards (web/runtime/rows.mjs), and either way the page must refuse the changed bytes
    flat = bytearray((out / "model.edgembed").read_bytes())
    t_off = int.from_bytes(flat[32:40], "little")  # the table's offset (docs/format.md)
    flat[t_off + row * idx["row_bytes"] + 5] ^= 0x40
    (out / "model.edgembed").write_bytes(bytes(flat))
    rep = run_parity(out, backends=["browser-onnx", "browser-flat"])
    rows = _rows(rep)
    assert rows["browser-flat"]["status"] == "fail" and rows["browser-onnx"]["status"] == "pass"
    assert rows["browser-flat"]["engine"].startswith(rep["machine"]["browser"] + " (headless)")  # a failed row too
    shard_rel = shard.relative_to(out).as_posix()
    assert re.search(rf"({re.escape(shard_rel)}|model\.edgembed)\b.*sha256", rows["browser-flat"]["reason"]), rows
    assert sorted(rep["sha256_mismatch"]) == sorted(["model.edgembed", shard_rel])


def test_browser_skipped_without_demo(int8_export):
    rows = _rows(run_parity(int8_export, backends=["browser-onnx", "flat"]))
    assert rows["browser-onnx"]["status"] == "skipped" and rows["browser-onnx"]["reason"]
    assert rows["flat"]["status"] == "pass"


def test_all_skipped_is_not_a_pass(int8_export, capsys):
    """Nothing checked is not evidence: when every asked-for backend is skipped, parity exits non-zero."""
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("onnx-cuda can run here")
    assert main(["parity", str(int8_export), "--backends", "onnx-cuda"]) == 1
    assert "no backend could run here" in capsys.readouterr().err
