"""The torch reference: nn.EmbeddingBag(mode='mean') + tokenizer, as SentenceTransformer.encode computes it."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from exporter.errors import EdgembedError
from exporter.sources.tokenizer import encode_ids, flatten, load_tokenizer


def torch_device(device: str):
    """A torch.device, with a one-line error when CUDA is asked for but absent."""
    try:
        import torch
    except ImportError:
        raise EdgembedError("the torch backend needs PyTorch: pip install 'edgembed[torch]'") from None
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise EdgembedError(f"unknown device '{device}': use cpu or cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EdgembedError("device 'cuda' asked for, but torch sees no CUDA device")
    return torch.device(device)


class TorchEmbedder:
    """Mean of table rows over each text's tokens (add_special_tokens=False), then optional L2 normalization."""

    backend = "torch"

    def __init__(self, table: np.ndarray, tokenizer_json: str, normalize: bool, device: str = "cpu"):
        self.device = torch_device(device)  # a one-line error when torch is missing
        import torch

        self.tokenizer = load_tokenizer(tokenizer_json)
        self.normalize = normalize
        weights = torch.from_numpy(np.require(table, np.float32, ['C', 'W']))  # copies a read-only mmap view only
        self.bag = torch.nn.EmbeddingBag.from_pretrained(weights, freeze=True, mode="mean").to(self.device)
        self.dims = int(table.shape[1])

    def encode(self, texts: Sequence[str], batch_size: int = 1024) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for lo in range(0, len(texts), batch_size):
            flat, offsets = flatten(encode_ids(self.tokenizer, texts[lo : lo + batch_size]))
            with torch.inference_mode():
                emb = self.bag(torch.from_numpy(flat).to(self.device), torch.from_numpy(offsets).to(self.device))
                if self.normalize:
                    emb = torch.nn.functional.normalize(emb, p=2, dim=1)
            out[lo : lo + len(offsets)] = emb.float().cpu().numpy()
        return out
