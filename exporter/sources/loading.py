"""Load a static embedding model (sentence-transformers StaticEmbedding, model2vec, hub id, default)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError
from exporter.sources.tokenizer import load_tokenizer

FLAGSHIP = "sentence-transformers/static-retrieval-mrl-en-v1"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*/[\w.\-]+$")


@dataclass
class StaticModel:
    """A static embedding model: one float32 table (vocab x dim) and its tokenizer.json."""

    table: np.ndarray
    tokenizer_json: str
    normalize: bool
    source: dict = field(default_factory=dict)

    @property
    def vocab_size(self) -> int:
        return int(self.table.shape[0])

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])


def check_dims(dims: int, model_dim: int) -> int:
    """DIMS when a model of MODEL_DIM columns can be cut to it (Matryoshka), else a one-line error."""
    if not 1 <= dims <= model_dim:
        raise EdgembedError(f"--dims must be between 1 and the model's dim ({model_dim}), got {dims}")
    return dims


def load_model(model: str | os.PathLike | None = None) -> StaticModel:
    """Load MODEL: a local folder, a Hugging Face hub id, or None for the embedded default."""
    if model is None:
        from exporter.sources.default_model import default_source

        src = default_source()
        path = Path(src["path"])
    else:
        path = Path(model)
        src = {"kind": "local", "path": str(path)}
        if not path.exists():
            if isinstance(model, str) and _HUB_ID.match(model) and not model.startswith((".", "/")):
                path = _download(model)
                src = {"kind": "hub", "id": model, "path": str(path)}
            else:
                raise EdgembedError(f"model path does not exist: {model}")
    if not path.is_dir():
        raise EdgembedError(f"model path is not a folder: {path}")
    return _load_folder(path, src)


def _download(repo_id: str) -> Path:
    """Fetch (or reuse from the cache) the files of a hub model."""
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*/*.json", "*/*.safetensors"]
    try:
        return Path(snapshot_download(repo_id, allow_patterns=patterns))
    except Exception as e:  # offline, unknown repo, HTTP errors: one line each
        name = type(e).__name__
        if "Offline" in name or "LocalEntryNotFound" in name or "Connect" in name or "Timeout" in name:
            raise EdgembedError(
                f"cannot fetch '{repo_id}' from the Hugging Face hub: offline and not in the local cache "
                f"(download it once with network access, or pass a local folder)"
            ) from None
        if "RepositoryNotFound" in name or "GatedRepo" in name:
            raise EdgembedError(f"'{repo_id}' is not a model on the Hugging Face hub (or it is private)") from None
        raise EdgembedError(f"cannot fetch '{repo_id}' from the Hugging Face hub: {name}: {str(e).splitlines()[0] if str(e) else ''}") from None


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EdgembedError(f"{path} is not valid JSON: {str(e).splitlines()[0]}") from None


ADAPTED = "edgembed-adapted"  # config.json model_type of ``edgembed index --adapt``'s model (_load_adapted)


def base_digest(table: np.ndarray, tok_json: str) -> str:
    """sha256 of a model's float32 table and tokenizer.json: what an adapted model's rows replace rows of."""
    import hashlib

    h = hashlib.sha256(np.ascontiguousarray(table, np.float32).tobytes())
    h.update(tok_json.encode("utf-8"))
    return h.hexdigest()


def _load_adapted(path: Path, cfg: dict, src: dict) -> StaticModel:
    """An adapted model (``edgembed index --adapt``: INDEX/adapted/): its base model with the rows the fit moved
    replaced (model.safetensors: ``ids`` int32, ``rows`` float16), the base checked by its digest."""
    base = cfg.get("base")
    base_model = load_model(base)
    if cfg.get("base_sha256") != base_digest(base_model.table, base_model.tokenizer_json):
        raise EdgembedError(f"the adapted model {path} was fitted on another {base or 'default model'} than the one "
                            "installed now: re-run 'edgembed index --adapt'")
    t = read_safetensors(path / "model.safetensors")
    try:
        ids, rows = t["ids"].astype(np.int64), t["rows"]
    except KeyError as e:
        raise EdgembedError(f"{path}/model.safetensors has no {e} tensor (an adapted model has ids and rows)") from None
    table = np.array(base_model.table, np.float32)
    if rows.shape != (len(ids), table.shape[1]) or (len(ids) and (ids.min() < 0 or ids.max() >= len(table))):
        raise EdgembedError(f"{path}/model.safetensors: rows {tuple(rows.shape)} and ids do not fit the base table "
                            f"{tuple(table.shape)}")
    table[ids] = rows.astype(np.float32)
    if not np.isfinite(table).all():
        raise EdgembedError(f"embedding table in {path} has NaN or Inf values")
    src.update(format=ADAPTED, base=base_model.source)
    return StaticModel(table=table, tokenizer_json=base_model.tokenizer_json, normalize=base_model.normalize, source=src)


def _load_folder(path: Path, src: dict) -> StaticModel:
    cfg_file = path / "config.json"
    if cfg_file.is_file() and not (path / "modules.json").is_file():
        cfg = _read_json(cfg_file)
        if isinstance(cfg, dict) and cfg.get("model_type") == ADAPTED:
            return _load_adapted(path, cfg, src)
    modules_file = path / "modules.json"
    if modules_file.is_file():
        modules = _read_json(modules_file)
        if not isinstance(modules, list) or not all(isinstance(m, dict) and "type" in m for m in modules):
            raise EdgembedError(f"{modules_file} is not a list of modules with a 'type' each")
        static = [m for m in modules if str(m["type"]).endswith("StaticEmbedding")]
        if not static:
            types = ", ".join(str(m["type"]).rsplit(".", 1)[-1] for m in modules)
            raise EdgembedError(f"{path} is a sentence-transformers model without a StaticEmbedding module ({types})")
        unsupported = [str(m["type"]).rsplit(".", 1)[-1] for m in modules if not str(m["type"]).endswith(("StaticEmbedding", "Normalize"))]
        if unsupported:
            raise EdgembedError(f"{path}: modules after StaticEmbedding are not supported: {', '.join(unsupported)}")
        mdir = path / str(static[0].get("path") or "")
        normalize = any(str(m["type"]).endswith("Normalize") for m in modules)
        table, tok_json = _load_table_and_tokenizer(mdir)
        src.setdefault("format", "sentence-transformers")
    elif (path / "model.safetensors").is_file() and (path / "tokenizer.json").is_file():
        table, tok_json = _load_table_and_tokenizer(path)
        cfg = path / "config.json"
        normalize = bool(_read_json(cfg).get("normalize", False)) if cfg.is_file() else False  # type: ignore[union-attr]
        src.setdefault("format", "model2vec")
    else:
        raise EdgembedError(f"no static embedding model in {path}: expected modules.json (sentence-transformers) or model.safetensors + tokenizer.json (model2vec)")
    tok = load_tokenizer(tok_json, origin=str(mdir / "tokenizer.json") if modules_file.is_file() else str(path / "tokenizer.json"))
    vocab = tok.get_vocab_size(with_added_tokens=True)
    if table.shape[0] != vocab:
        raise EdgembedError(f"table rows ({table.shape[0]}) != tokenizer vocab size ({vocab}) in {path}")
    if not np.isfinite(table).all():
        bad = int((~np.isfinite(table)).any(axis=1).sum())
        raise EdgembedError(f"embedding table in {path} has NaN or Inf values ({bad} rows)")
    src.setdefault("format", "unknown")
    return StaticModel(table=table, tokenizer_json=tok_json, normalize=normalize, source=src)


def _load_table_and_tokenizer(mdir: Path) -> tuple[np.ndarray, str]:
    st = mdir / "model.safetensors"
    tj = mdir / "tokenizer.json"
    for f in (st, tj):
        if not f.is_file():
            raise EdgembedError(f"missing model file: {f}")
    tensors = read_safetensors(st)
    if "embedding.weight" in tensors:
        table = tensors["embedding.weight"]
    elif "embeddings" in tensors:
        table = tensors["embeddings"]
        mapping, weights = tensors.get("mapping"), tensors.get("weights")
        if mapping is not None:  # model2vec vocabulary quantization: fold as StaticEmbedding does
            table = table[mapping.astype(np.int64)]
        if weights is not None:
            table = table.astype(np.float32) * weights.astype(np.float32)[:, None]
    else:
        raise EdgembedError(f"{st} has neither 'embedding.weight' (sentence-transformers) nor 'embeddings' (model2vec): {', '.join(sorted(tensors)) or 'no tensors'}")
    if table.ndim != 2 or table.shape[0] == 0 or table.shape[1] == 0:
        raise EdgembedError(f"embedding table in {st} has shape {tuple(table.shape)}, expected (vocab, dim)")
    try:
        tok_json = tj.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise EdgembedError(f"cannot read {tj}: {e}") from None
    return np.ascontiguousarray(table, dtype=np.float32), tok_json


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """All tensors of a safetensors file as numpy arrays; bf16 is widened to float32."""
    from safetensors import safe_open

    out: dict[str, np.ndarray] = {}
    try:
        with safe_open(str(path), framework="numpy") as f:
            for key in f.keys():
                sl = f.get_slice(key)
                if sl.get_dtype() == "BF16":
                    out[key] = _bf16_tensor(path, key)
                else:
                    out[key] = f.get_tensor(key)
    except EdgembedError:
        raise
    except Exception as e:  # SafetensorError, OSError, truncated buffers
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise EdgembedError(f"corrupt or unreadable safetensors file {path}: {msg}") from None
    return out


def _bf16_tensor(path: Path, key: str) -> np.ndarray:
    """numpy has no bfloat16: read the raw bytes (safetensors layout: u64 header length, JSON header, data)."""
    with open(path, "rb") as fh:
        n = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(n))
        info = header[key]
        start, end = info["data_offsets"]
        fh.seek(8 + n + start)
        raw = np.frombuffer(fh.read(end - start), dtype="<u2")
    if raw.size != int(np.prod(info["shape"])):
        raise EdgembedError(f"corrupt safetensors file {path}: tensor '{key}' is truncated")
    return (raw.astype(np.uint32) << 16).view(np.float32).reshape(info["shape"])
