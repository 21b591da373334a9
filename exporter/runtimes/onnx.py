"""The onnx backend: onnxruntime running the exported graph."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from exporter.errors import EdgembedError
from exporter.sources.tokenizer import encode_ids, load_tokenizer


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
