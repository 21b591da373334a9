"""Files that let transformers.js load an export folder: ``config.json`` and ``tokenizer_config.json``.

transformers.js' ``pipeline('feature-extraction', folder)`` reads ``config.json`` (model type, and in
``transformers.js_config`` the default dtype), ``tokenizer.json`` + ``tokenizer_config.json``, and
``onnx/model<suffix>.onnx``. The exported graph already pools (and normalizes) in ONNX and exposes the
pooled ``[batch, dims]`` vector as ``last_hidden_state``, so the pipeline is used with ``pooling: 'none'``:
the JS pooling is ~5x slower, does not know about the model's Normalize module and turns an empty text
into NaN (0/0). With the in-graph mean an empty text is the zero vector, alone or inside a batch, as in
the reference (tests/test_transformersjs.py).
"""

from __future__ import annotations

import json
from pathlib import Path

CONFIG = "config.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


def hf_config(manifest: dict) -> dict:
    """config.json: a BERT-typed encoder (its one ONNX session takes input_ids + attention_mask).

    ``transformers.js_config.dtype = 'fp32'`` makes transformers.js open ``onnx/model.onnx`` (no suffix)
    without the caller passing ``dtype``; the table's own quantization lives inside that graph.
    """
    return {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "hidden_size": manifest["dims"],
        "vocab_size": manifest["vocab_size"],
        "transformers.js_config": {"dtype": "fp32"},
        "edgembed": {"quant": manifest["quant"], "normalize": manifest["normalize"], "pooled_output": "last_hidden_state"},
    }


def hf_tokenizer_config(tokenizer_json: str) -> dict:
    """tokenizer_config.json: the generic fast tokenizer, a pad token that exists in the vocab, and the
    tokenizer.json's own truncation length as ``model_max_length`` (no truncation when it has none)."""
    tok = json.loads(tokenizer_json)
    vocab = tok.get("model", {}).get("vocab") or {}
    if isinstance(vocab, list):  # Unigram: [[piece, score], ...]
        vocab = {piece: i for i, (piece, _score) in enumerate(vocab)}
    added = {a["content"]: a["id"] for a in tok.get("added_tokens") or []}
    known = {**vocab, **added}
    pad = next((t for t in ("[PAD]", "<pad>", "<|padding|>") if t in known), None)
    if pad is None and known:
        pad = min(known, key=known.get)  # any valid id works: padded positions have attention_mask 0
    cfg: dict = {"tokenizer_class": "PreTrainedTokenizerFast", "padding_side": "right", "truncation_side": "right",
                 "clean_up_tokenization_spaces": False}
    if pad is not None:
        cfg["pad_token"] = pad
    unk = tok.get("model", {}).get("unk_token")
    if isinstance(unk, str) and unk in known:
        cfg["unk_token"] = unk
    trunc = tok.get("truncation")
    if isinstance(trunc, dict) and trunc.get("max_length"):
        cfg["model_max_length"] = int(trunc["max_length"])
    return cfg


def write_hf_files(out_dir: Path, manifest: dict) -> dict[str, str]:
    """Write config.json and tokenizer_config.json next to tokenizer.json; return the ``files`` entries."""
    out_dir = Path(out_dir)
    tok_json = (out_dir / manifest["files"]["tokenizer"]).read_text(encoding="utf-8")
    for name, data in ((CONFIG, hf_config(manifest)), (TOKENIZER_CONFIG, hf_tokenizer_config(tok_json))):
        (out_dir / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"hf_config": CONFIG, "hf_tokenizer_config": TOKENIZER_CONFIG}
