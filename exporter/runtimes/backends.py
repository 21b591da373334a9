"""``exporter.load(SOURCE, backend=...)``: one ``.encode(texts)`` over a model or an export folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from exporter.errors import EdgembedError
from exporter.formats.flat import read_flat
from exporter.formats.quantize import dequantize, dequantize_rows
from exporter.sources.tokenizer import encode_ids, flatten, load_tokenizer

BACKENDS = ("torch", "onnx", "flat")


def read_manifest(folder: Path) -> dict | None:
    """The manifest of an export folder, or None when the folder is not an export."""
    mf = Path(folder) / "manifest.json"
    if not mf.is_file():
        return None
    try:
        man = json.loads(mf.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EdgembedError(f"{mf} is not valid JSON: {str(e).splitlines()[0]}") from None
    if not isinstance(man, dict) or man.get("format") != "edgembed":
        return None
    return man


def export_file(folder: Path, man: dict, key: str) -> Path:
    """Path of one artifact named in the manifest's ``files``."""
    rel = man.get("files", {}).get(key)
    if not rel or not (Path(folder) / rel).is_file():
        raise EdgembedError(f"export {folder} has no '{key}' file (manifest files: {', '.join(man.get('files', {}))})")
    return Path(folder) / rel


def load(source: str | Path | None, backend: str = "flat", device: str = "cpu", dims: int | None = None):
    """An embedder for SOURCE: an export folder (any backend) or a model (torch backend only)."""
    if backend not in BACKENDS:
        raise EdgembedError(f"unknown backend '{backend}': choose one of {', '.join(BACKENDS)}")
    man = read_manifest(Path(source)) if source is not None and Path(source).is_dir() else None
    if man is None:
        if backend != "torch" and source is not None and not Path(source).exists():
            raise EdgembedError(f"{source} does not exist (expected an export folder from 'edgembed export')")
        if backend != "torch":
            raise EdgembedError(f"backend '{backend}' needs an export folder (run 'edgembed export' first); {source} is a model")
        from exporter.sources.loading import load_model
        from exporter.runtimes.torch import TorchEmbedder

        model = load_model(source)
        d = check_dims(dims, model.dim) if dims is not None else model.dim
        return TorchEmbedder(np.ascontiguousarray(model.table[:, :d]), model.tokenizer_json, model.normalize, device)
    folder = Path(source)
    tok_json = export_file(folder, man, "tokenizer").read_text(encoding="utf-8")
    if backend == "onnx":
        return OnnxEmbedder(export_file(folder, man, "onnx"), tok_json, device)
    flat = read_flat(export_file(folder, man, "flat"))
    if backend == "flat":
        if device != "cpu":
            raise EdgembedError("the flat backend runs on cpu only")
        return FlatEmbedder(flat.table, tok_json, flat.normalize)
    from exporter.runtimes.torch import TorchEmbedder

    return TorchEmbedder(dequantize(flat.table), tok_json, flat.normalize, device)


def check_dims(dims: int, model_dim: int) -> int:
    if not 1 <= dims <= model_dim:
        raise EdgembedError(f"--dims must be between 1 and the model's dim ({model_dim}), got {dims}")
    return dims


_BLAS = None


def _one_blas_thread():
    """Run numpy's BLAS on one thread: idle BLAS threads spin on the cores the tokenizer needs next."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController()
    return _BLAS.limit(limits=1, user_api="blas")


class FlatEmbedder:
    """numpy reader of the flat binary: gather the tokens' rows, dequantize, mean (the JS runtime's twin)."""

    backend = "flat"

    def __init__(self, table, tokenizer_json: str, normalize: bool):
        self.table, self.normalize, self.dims = table, normalize, table.dims
        self.tokenizer = load_tokenizer(tokenizer_json)

    def encode(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for lo in range(0, len(texts), batch_size):
            ids = encode_ids(self.tokenizer, texts[lo : lo + batch_size])
            flat, _ = flatten(ids)
            if flat.size:  # sum = counts[text, distinct token] @ rows of the distinct tokens (each row dequantized once)
                lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
                uniq, inv = np.unique(flat, return_inverse=True)
                rows = np.repeat(np.arange(len(ids)), lengths) * len(uniq) + inv
                counts = np.bincount(rows, minlength=len(ids) * len(uniq)).reshape(len(ids), len(uniq))
                with _one_blas_thread():
                    sums = counts.astype(np.float32) @ dequantize_rows(self.table, uniq)
                out[lo : lo + len(ids)] = sums / np.maximum(lengths, 1)[:, None].astype(np.float32)
        if self.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, np.float32(1e-12))
        return out


class OnnxEmbedder:
    """onnxruntime on the exported graph; texts are sorted by length and padded per batch."""

    backend = "onnx"

    def __init__(self, path: Path, tokenizer_json: str, device: str = "cpu", threads: int = 0):
        import onnxruntime as ort

        if device == "cpu":
            providers = ["CPUExecutionProvider"]
        elif device.startswith("cuda"):
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise EdgembedError("device 'cuda' asked for, but onnxruntime has no CUDAExecutionProvider (pip install onnxruntime-gpu)")
            providers = ["CUDAExecutionProvider"]
        else:
            raise EdgembedError(f"unknown device '{device}': use cpu or cuda")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # idle ORT threads would steal the tokenizer's cores
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=providers)
        except Exception as e:
            raise EdgembedError(f"onnxruntime cannot load {path}: {str(e).splitlines()[0]}") from None
        self.tokenizer = load_tokenizer(tokenizer_json)
        self.dims = int(self.session.get_outputs()[0].shape[1])

    def encode(self, texts: Sequence[str], batch_size: int = 256, max_tokens: int = 1 << 12) -> np.ndarray:
        ids = encode_ids(self.tokenizer, texts)
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        order = np.argsort([len(x) for x in ids], kind="stable")
        budget = max(1, (max_tokens * 256) // max(self.dims, 1))  # keep [batch, seq, dims] floats ~4 MB (cache-sized)
        i = 0
        while i < len(order):
            n = 1
            while i + n < len(order) and n < batch_size and (n + 1) * len(ids[order[i + n]]) <= budget:
                n += 1
            idx = order[i : i + n]
            width = max(1, max(len(ids[j]) for j in idx))
            input_ids = np.zeros((n, width), dtype=np.int64)
            mask = np.zeros((n, width), dtype=np.int64)
            for r, j in enumerate(idx):
                input_ids[r, : len(ids[j])] = ids[j]
                mask[r, : len(ids[j])] = 1
            out[idx] = self.session.run(["sentence_embedding"], {"input_ids": input_ids, "attention_mask": mask})[0]
            i += n
        return out
