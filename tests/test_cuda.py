"""CUDA paths of `edgembed parity` (skipped cleanly without a CUDA device; see scripts/cuda_parity.sh)."""

from __future__ import annotations

import numpy as np
import pytest

from exporter import export, load
from exporter.sources.loading import load_model
from exporter.proof.parity import references, run_parity

pytestmark = pytest.mark.cuda


def test_torch_cuda_equals_cpu_truth(distilled_dir, texts):
    truth, _ = references(load_model(distilled_dir), 128, "fp32", texts)
    got = load(distilled_dir, "torch", device="cuda", dims=128).encode(texts)
    assert np.abs(got - truth).max() <= 1e-5


@pytest.mark.parametrize("quant", ["fp32", "fp16", "int8", "int4"])
def test_parity_cuda_rows(distilled_dir, tmp_path, quant):
    out = tmp_path / "exp"
    export(distilled_dir, out, dims=192, quant=quant, demo=False)
    rep = run_parity(out, backends=["torch-cuda", "onnx-cuda", "flat"])
    rows = {r["backend"]: r for r in rep["backends"]}
    assert rows["torch-cuda"]["status"] == "pass", rows["torch-cuda"]
    assert rows["torch-cuda"]["to_dequantized"]["max_abs_diff"] <= 1e-5
    assert rows["onnx-cuda"]["status"] in ("pass", "skipped"), rows["onnx-cuda"]
    assert rep["machine"]["gpu"]


def test_onnx_cuda_provider(distilled_dir, tmp_path):
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        pytest.skip("onnxruntime has no CUDAExecutionProvider (onnxruntime-gpu not installed)")
    out = tmp_path / "exp"
    export(distilled_dir, out, quant="int8", demo=False)
    row = run_parity(out, backends=["onnx-cuda"])["backends"][0]
    assert row["status"] == "pass", row
