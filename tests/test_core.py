"""Every backend of every export reproduces SentenceTransformer.encode (fp32) or its dequantized table (quantized)."""

from __future__ import annotations

import numpy as np
import pytest

import exporter
from exporter.formats.flat import read_flat
from exporter.formats.quantize import dequantize
from tests.conftest import st_encode

# (model fixture, dims or None for all, quant): full and truncated dims (odd 100 too), every quant, every source format.
CASES = [
    ("distilled", None, "fp32"), ("distilled", 100, "fp32"), ("distilled", 128, "fp16"),
    ("distilled", 256, "int8"), ("distilled", 100, "int8"), ("distilled", 256, "int4"), ("distilled", 101, "int4"),
    ("st", None, "fp32"), ("st", 64, "int8"),
    ("m2v", None, "fp32"), ("m2v", 100, "int4"),
    ("flagship", None, "fp32"), ("flagship", 100, "fp32"), ("flagship", 256, "int8"), ("flagship", 256, "int4"),
    ("flagship", 512, "fp16"),
    ("distilled", 64, "pq16"), ("m2v", 128, "pq32"), ("flagship", 256, "pq64"),  # product quantization
]
IDS = [f"{m}-{d or 'all'}-{q}" for m, d, q in CASES]
BACKENDS = ("torch", "onnx", "flat")


@pytest.fixture(scope="session")
def exports(tmp_path_factory):
    return {}


@pytest.fixture(params=CASES, ids=IDS)
def case(request, exports, tmp_path_factory):
    name, dims, quant = request.param
    model_dir = request.getfixturevalue(f"{name}_dir")
    key = (name, dims, quant)
    if key not in exports:
        out = tmp_path_factory.mktemp("export") / f"{name}-{dims}-{quant}"
        man = exporter.export(model_dir, out, dims=dims, quant=quant, demo=False)
        exports[key] = (model_dir, out, man)
    return exports[key] + (name,)


@pytest.fixture(scope="session")
def truth_cache():
    return {}


def _truth(truth_cache, model_dir, texts, dims):
    key = (str(model_dir), dims)
    if key not in truth_cache:
        truth_cache[key] = st_encode(model_dir, texts, dims)
    return truth_cache[key]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    keep = (np.linalg.norm(a, axis=1) > 0) & (np.linalg.norm(b, axis=1) > 0)
    a, b = a[keep], b[keep]
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_matches_reference(case, backend, texts, truth_cache):
    model_dir, out, man, _ = case
    got = exporter.load(out, backend=backend).encode(texts)
    assert got.dtype == np.float32 and got.shape == (len(texts), man["dims"])
    if man["quant"] == "fp32":
        want = _truth(truth_cache, model_dir, texts, man["dims"])
    else:  # quantized: exactly what the dequantized table computes (torch EmbeddingBag on it)
        want = exporter.load(out, backend="torch").encode(texts)
        if backend == "torch":  # and the torch backend itself equals SentenceTransformer on the dequantized table
            want = _st_on_table(dequantize(read_flat(out / "model.edgembed").table), out, texts, man["normalize"])
    diff = float(np.abs(got - want).max())
    print(f"\n{out.name} {backend}: max|diff| = {diff:.2e} to {'SentenceTransformer.encode' if man['quant'] == 'fp32' else 'the dequantized table'}")
    assert diff <= 1e-5
    assert not np.any(got[:3]), "empty and whitespace-only texts give zero vectors"


def _st_on_table(table, out, texts, normalize):
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(out / "tokenizer.json"))
    model = SentenceTransformer(modules=[StaticEmbedding(tok, embedding_weights=torch.from_numpy(table.copy()))], device="cpu")
    return model.encode(texts, normalize_embeddings=normalize, convert_to_numpy=True)


QUANTIZED = [c for c in CASES if c[2] != "fp32"]


@pytest.mark.parametrize("case", QUANTIZED, ids=[f"{m}-{d or 'all'}-{q}" for m, d, q in QUANTIZED], indirect=True)
def test_quantized_quality(case, texts, cranfield_texts):
    """Cosine of each quantized export to the fp32 truth, on the hostile set plus 300 real documents."""
    model_dir, out, man, name = case
    sample = texts + cranfield_texts
    truth = exporter.load(model_dir, backend="torch", dims=man["dims"]).encode(sample)
    cos = _cos(exporter.load(out, backend="flat").encode(sample), truth)
    print(f"\n{out.name}: cosine to fp32 mean={cos.mean():.6f} min={cos.min():.6f}")
    quant = "pq" if man["quant"].startswith("pq") else man["quant"]
    target = {"fp16": (0.99999, 0.9999), "int8": (0.9999, 0.999), "int4": (0.99, 0.9), "pq": (0.95, 0.85)}[quant]
    if name != "flagship" or quant not in ("int4", "pq"):  # int4 and pq targets are for real (trained) tables
        assert cos.mean() >= target[0] and cos.min() >= target[1]


@pytest.fixture(scope="session")
def cranfield_texts():
    import json

    from tests.conftest import DATA

    path = DATA / "cranfield" / "corpus.jsonl"
    docs = [json.loads(line) for line in path.read_text().splitlines()[:300]]
    return [(d.get("title", "") + " " + d["text"]).strip() for d in docs]


def test_torch_reference_equals_sentence_transformers(model_dir, texts):
    """The package's own torch reference (model source) equals SentenceTransformer.encode."""
    got = exporter.load(model_dir, backend="torch").encode(texts)
    assert np.abs(got - st_encode(model_dir, texts)).max() <= 1e-6
