"""``edgembed index --adapt``: fit the static table to the site's own text before indexing it (docs/search.md).

tokenlearn's method (MinishLab/tokenlearn 0.2.1, ``pretrain.train_supervised``), reimplemented here without its
dataset dependencies: the targets are a teacher's mean token features of the site's chunks (search/teacher.py),
PCA-reduced to the table's dims; the student is the base table, rows normalized with their norms as a learnt
per-token weight, a chunk's vector the weighted mean of its tokens' rows (no special tokens), followed by a learnt
linear layer; AdamW (lr 1e-3, batch 256) on the MSE, early stopping on a held-out tenth (patience 5). The adapted
table is weight x row (the linear layer is dropped). Only the rows of the tokens the texts hold move: the adapted
model is written as those rows (float16) over its base model (sources/loading.py reads it), with the linear layer,
into the index's adapted/ folder, with the keys of the chunks it was fitted to. A re-run keeps it as long as at most
a tenth of the chunks changed since (their features computed and cached all the same), else fits from the base
again: continuing the earlier fit was tried and lowered retrieval quality (docs/search.md). REG, SENTENCES, FITS and
MIN_COUNT are settings measured for small sites on the development sites (benchmarks/tune_adapt_fit.py); none won,
all ship off."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError

LR = 1e-3
BATCH = 256
PATIENCE = 5
MAX_EPOCHS = 200
REFIT_FRACTION = 0.1  # a re-run keeps the earlier fit while at most this share of the chunks changed since it
MAX_VAL = 10_000
SEED = 0
SENTENCES = 0  # small sites: the chunks' sentences added as training texts, up to this many texts in all (0: none)
MIN_WORDS = 5  # a sentence added so has at least this many words
MIN_COUNT = 1  # only the rows of tokens in at least this many training texts keep their fitted value (1: all)
FITS = 1  # fits from different seeds whose rows are averaged (1: one fit)
REG = 0.0  # L2 pull of the fitted rows toward the base rows (see fit_table)


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    """X (n x d) centred and projected on its first DIMS principal axes (as sklearn's PCA.fit_transform)."""
    x = x - x.mean(0)
    _, vecs = np.linalg.eigh(x.T.astype(np.float64) @ x)
    return (x @ vecs[:, ::-1][:, :dims]).astype(np.float32)


def _token_ids(tok_json: str, texts: list[str], max_tokens: int) -> tuple[list[np.ndarray], int]:
    """Each text's token ids (no special tokens, cut to MAX_TOKENS) and the [PAD] id (0 without one)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tok_json)
    tok.no_truncation()
    tok.no_padding()
    ids = [np.asarray(e.ids[:max_tokens], np.int64)
           for e in tok.encode_batch([t[:20_000] for t in texts], add_special_tokens=False)]
    pad = tok.token_to_id("[PAD]")
    return ids, 0 if pad is None else pad


def fit_table(table: np.ndarray, tok_json: str, texts: list[str], targets: np.ndarray, max_tokens: int,
              device: str = "cpu", progress: bool = True, seed: int = SEED) -> tuple[np.ndarray, dict]:
    """The adapted table and the fit's state: TABLE (vocab x dims) fitted so that the weighted mean of a text's rows,
    through a linear layer, approximates its PCA-reduced TARGETS (tokenlearn's train_supervised). Texts are cut to
    MAX_TOKENS tokens. The state: {"ids": the rows the fit moved, "rows": those rows (float16: the adapted model's
    exact values), "out_weight", "out_bias": the linear layer, "epochs": the epochs run}."""
    import torch

    ids, pad = _token_ids(tok_json, texts, max_tokens)
    dims = table.shape[1]
    if targets.shape[1] > dims:
        targets = _pca(targets, dims)
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(ids), generator=g).tolist()
    n_val = min(MAX_VAL, len(ids) // 10)
    val, train = order[:n_val], order[n_val:]
    y = torch.from_numpy(np.ascontiguousarray(targets, np.float32))

    # only the rows of tokens the texts hold are trained (the others would get no gradient): a compact table
    used = np.unique(np.concatenate(ids)) if ids else np.zeros(0, np.int64)
    used = used[used != pad]
    remap = np.full(len(table), -1, np.int64)
    remap[used] = np.arange(len(used))
    ids = [remap[row[row != pad]] for row in ids]
    vectors = torch.from_numpy(np.array(table[used], np.float32))
    norms = vectors.norm(dim=1)
    emb = torch.nn.EmbeddingBag.from_pretrained(vectors / norms.clamp(min=1e-12)[:, None], freeze=False, mode="sum")
    w = torch.nn.Parameter(norms.clone())
    torch.manual_seed(seed)
    out_layer = torch.nn.Linear(dims, y.shape[1])
    emb, out_layer = emb.to(device), out_layer.to(device)
    w = torch.nn.Parameter(w.detach().to(device))
    opt = torch.optim.AdamW(list(emb.parameters()) + [w] + list(out_layer.parameters()), lr=LR)
    base_rows = vectors.to(device)
    base_sq = float((base_rows ** 2).sum(1).mean()) or 1.0

    def batch(rows: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The batch's tokens flat, each text's offset, each token's 1 / its text's length, the targets."""
        parts = [ids[i] for i in rows]
        lens = np.array([len(p) for p in parts], np.int64)
        flat = torch.from_numpy(np.concatenate(parts) if len(parts) else np.zeros(0, np.int64))
        offsets = torch.from_numpy(np.concatenate([[0], np.cumsum(lens)[:-1]]))
        inv = torch.from_numpy(np.repeat(1.0 / np.maximum(lens, 1), lens).astype(np.float32))
        return flat.to(device), offsets.to(device), inv.to(device), y[rows].to(device)

    def forward(flat: torch.Tensor, offsets: torch.Tensor, inv: torch.Tensor) -> torch.Tensor:
        return out_layer(emb(flat, offsets, per_sample_weights=w[flat] * inv))  # the weighted mean, then linear

    def loss_on(rows: list[int]) -> float:
        with torch.no_grad():
            tot = 0.0
            for at in range(0, len(rows), BATCH):
                flat, offsets, inv, t = batch(rows[at:at + BATCH])
                tot += float(torch.nn.functional.mse_loss(forward(flat, offsets, inv), t, reduction="sum"))
            return tot / max(1, len(rows) * y.shape[1])

    def snapshot() -> tuple[torch.Tensor, ...]:
        return (emb.weight.detach().clone(), w.detach().clone(), out_layer.weight.detach().clone(),
                out_layer.bias.detach().clone())

    best, best_state, epoch, left = float("inf"), snapshot(), 0, PATIENCE
    t0 = time.perf_counter()
    for epoch in range(1, MAX_EPOCHS + 1):
        perm = [train[i] for i in torch.randperm(len(train), generator=g).tolist()]
        for at in range(0, len(perm), BATCH):
            flat, offsets, inv, t = batch(perm[at:at + BATCH])
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(forward(flat, offsets, inv), t)
            if REG > 0:  # the rows' mean squared move from the base, relative to the base rows' mean squared norm
                loss = loss + REG * ((emb.weight * w[:, None] - base_rows) ** 2).sum(1).mean() / base_sq
            loss.backward()
            opt.step()
        if not val:  # too few texts to hold any out: one pass
            best_state = snapshot()
            break
        loss = loss_on(val)
        if best - loss > 1e-4:
            best, best_state, left = loss, snapshot(), PATIENCE
        else:
            left -= 1
            if left == 0:
                break
    if progress:
        print(f"edgembed: fitted the table in {epoch} epochs, "
              f"{time.perf_counter() - t0:.1f} s (held-out MSE {best:.4f})", file=sys.stderr)
    weight, ww, ow, ob = (x.cpu().numpy() for x in best_state)
    rows = (weight * ww[:, None]).astype(np.float16)
    if MIN_COUNT > 1:  # rarer tokens' rows go back to the base
        seen = np.bincount(np.concatenate([np.unique(r) for r in ids]), minlength=len(used)) if ids else np.zeros(0)
        keep = seen >= MIN_COUNT
        used, rows = used[keep], rows[keep]
    fitted = np.array(table, np.float32)
    fitted[used] = rows.astype(np.float32)
    state = {"ids": used.astype(np.int32), "rows": rows, "out_weight": ow.astype(np.float32),
             "out_bias": ob.astype(np.float32), "epochs": epoch}
    return fitted, state


def read_state(folder: Path, base_sha: str, teacher_id: str) -> dict | None:
    """The state of the earlier fit in FOLDER (an index's adapted/), if it was fitted on the same base with the same
    teacher: its config and tensors; else None (unreadable, another base or teacher: fitted from the base)."""
    from exporter.sources.loading import ADAPTED, read_safetensors

    try:
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if cfg.get("model_type") != ADAPTED or cfg.get("base_sha256") != base_sha or cfg.get("teacher_id") != teacher_id:
            return None
        t = read_safetensors(folder / "model.safetensors")
        state = {k: t[k] for k in ("ids", "rows", "out_weight", "out_bias", "keys")}
    except (OSError, ValueError, KeyError, EdgembedError):
        return None
    return {**state, "config": cfg}


def write_state(folder: Path, state: dict, config: dict) -> None:
    """The adapted model (a folder ``edgembed export``/``parity --model`` read, sources/loading.py): config.json and
    model.safetensors with the moved rows (ids, rows), the fit's linear layer and the feature-cache keys of the
    chunks it was fitted to (``keys``, 32 bytes each: what a re-run compares its chunks with)."""
    from safetensors.numpy import save

    folder.mkdir(parents=True)
    data = save({k: np.ascontiguousarray(state[k]) for k in ("ids", "rows", "out_weight", "out_bias", "keys")})
    (folder / "model.safetensors").write_bytes(data)  # the umask's mode, as the index's other files (not save_file's 0600)
    (folder / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")


def sentences(texts: list[str], budget: int) -> list[str]:
    """Training texts added to a small site's TEXTS: their sentences of MIN_WORDS words or more that are not already a
    text, at most BUDGET of them (evenly spread over the site when it has more), in order."""
    import re

    if budget <= 0:
        return []
    seen, out = set(texts), []
    for t in texts:
        parts = re.split(r"(?<=[.!?:])\s+(?=[A-Z0-9`'\"(\[])", t)
        if len(parts) < 2:
            continue
        for p in parts:
            if len(p.split()) >= MIN_WORDS and p not in seen:
                seen.add(p)
                out.append(p)
    if len(out) > budget:
        out = [out[i] for i in np.linspace(0, len(out) - 1, budget).round().astype(int)]
    return out


def features_key(keys: list[bytes]) -> str:
    """The fit's inputs in one digest: the texts' feature-cache keys (teacher and text), in order."""
    h = hashlib.sha256()
    for k in keys:
        h.update(k)
    return h.hexdigest()


def adapt(texts: list[str], base: str | None, teacher: str | None, folder: Path, device: str = "cpu",
          progress: bool = True, cache_folder: Path | None | bool = True, previous: Path | None = None) -> Path:
    """Fit BASE (None: the default model) to TEXTS with TEACHER's features; write the adapted model into FOLDER
    (``write_state``). CACHE_FOLDER: the feature cache's folder (True: under the user cache dir; None: no cache).
    PREVIOUS: the adapted model of the earlier index: if it has the same base and teacher and at most REFIT_FRACTION
    of the chunks changed since it was fitted, it is kept as it is (the changed chunks' features are still computed
    and cached, for the refit); otherwise the fit is done from the base."""
    from exporter.search import teacher as teachers
    from exporter.search.teacher import FeatureCache, Teacher, features
    from exporter.sources.loading import base_digest, load_model

    t = Teacher(teacher, device=device)  # torch checked first: one line naming the extra
    if not texts:
        raise EdgembedError("--adapt: the site has no text to adapt the model to")
    base_model = load_model(base)
    base_sha = base_digest(base_model.table, base_model.tokenizer_json)
    if cache_folder is True:
        cache_folder = teachers.feature_cache_dir()
    cache = FeatureCache(cache_folder if isinstance(cache_folder, Path) else None, t.identity)
    keys = [cache.key(x) for x in texts]
    unique = sorted(set(keys))
    earlier = read_state(previous, base_sha, t.identity) if previous is not None else None
    fitted_to = {bytes(k) for k in earlier["keys"]} if earlier is not None else set()
    changed = [k for k in unique if k not in fitted_to]
    if base is not None and Path(base).exists():
        base = str(Path(base).resolve())  # a folder: found again from anywhere (a hub id stays an id)
    config = {"model_type": "edgembed-adapted", "base": base, "base_sha256": base_sha, "teacher": t.path,
              "teacher_id": t.identity, "features": features_key(keys), "texts": len(texts), "method": "tokenlearn"}
    try:
        if earlier is not None and len(changed) <= REFIT_FRACTION * len(unique):  # keep the earlier fit
            todo = [x for x, k in zip(texts, keys) if k not in fitted_to]
            features(t, todo, cache, progress=progress)  # cached for the refit to come
            state = {k: earlier[k] for k in ("ids", "rows", "out_weight", "out_bias", "keys")}
            write_state(folder, state, {**config, "features": earlier["config"].get("features"),
                                        "texts": earlier["config"].get("texts"), "changed_since": len(changed)})
            if progress:
                print(f"edgembed: {len(changed)} of {len(unique)} chunks changed since the fit (at most "
                      f"{REFIT_FRACTION:.0%}): the earlier fit is kept", file=sys.stderr)
            return folder
        train = texts + sentences(texts, SENTENCES - len(texts))
        feats = features(t, train, cache, progress=progress)
    finally:
        cache.close()
    _, state = fit_table(base_model.table, base_model.tokenizer_json, train, feats, max_tokens=t.max_tokens - 2,
                         device=device, progress=progress)
    for k in range(1, FITS):  # the same rows each time (the same texts): their mean
        _, more = fit_table(base_model.table, base_model.tokenizer_json, train, feats, max_tokens=t.max_tokens - 2,
                            device=device, progress=progress, seed=SEED + k)
        state["rows"] = (state["rows"].astype(np.float32) * (k / (k + 1)) + more["rows"].astype(np.float32) / (k + 1)
                         ).astype(np.float16)
    state["keys"] = np.frombuffer(b"".join(unique), np.uint8).reshape(len(unique), 32)
    write_state(folder, state, {**config, "changed_since": 0})
    return folder
