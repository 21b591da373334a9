"""``edgembed index --adapt``: fit the static table to the site's own text before indexing it (docs/search.md).

tokenlearn's method (MinishLab/tokenlearn 0.2.1, ``pretrain.train_supervised``), reimplemented here without its
dataset dependencies: the targets are a teacher's mean token features of the site's chunks (search/teacher.py),
PCA-reduced to the table's dims; the student is the base table, rows normalized with their norms as a learnt
per-token weight, a chunk's vector the weighted mean of its tokens' rows (no special tokens), followed by a learnt
linear layer; AdamW (lr 1e-3, batch 256) on the MSE, early stopping on a held-out tenth (patience 5). The adapted
table is weight x row (the linear layer is dropped), written as a model2vec folder and exported like any model."""

from __future__ import annotations

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
MAX_VAL = 10_000
SEED = 0


def site_texts(site: Path | None, out: Path, selector: str | None, recs: Path | None,
               include_generated: bool = False) -> list[str]:
    """The texts ``edgembed index`` embeds (one per chunk: title, heading, text), read from the site."""
    from exporter.search.build import _pages, _under, _Where

    _, pages, _ = _pages(site, _under(site, out), selector, recs, _Where(), include_generated)
    return [" ".join(x for x in (p.title, c.heading, c.text) if x) for p in pages for c in p.chunks]


def _pca(x: np.ndarray, dims: int) -> np.ndarray:
    """X (n x d) centred and projected on its first DIMS principal axes (as sklearn's PCA.fit_transform)."""
    x = x - x.mean(0)
    _, vecs = np.linalg.eigh(x.T.astype(np.float64) @ x)
    return (x @ vecs[:, ::-1][:, :dims]).astype(np.float32)


def fit_table(table: np.ndarray, tok_json: str, texts: list[str], targets: np.ndarray, max_tokens: int,
              device: str = "cpu", progress: bool = True) -> np.ndarray:
    """The adapted table: TABLE (vocab x dims) fitted so that the mean of a text's rows, through a linear layer,
    approximates its PCA-reduced TARGETS (tokenlearn's train_supervised). Texts are cut to MAX_TOKENS tokens."""
    import torch
    from tokenizers import Tokenizer

    tok = Tokenizer.from_str(tok_json)
    tok.no_truncation()
    tok.no_padding()
    ids = [e.ids[:max_tokens] for e in tok.encode_batch([t[:20_000] for t in texts], add_special_tokens=False)]
    pad = tok.token_to_id("[PAD]")
    pad = 0 if pad is None else pad
    dims = table.shape[1]
    if targets.shape[1] > dims:
        targets = _pca(targets, dims)
    g = torch.Generator().manual_seed(SEED)
    order = torch.randperm(len(ids), generator=g).tolist()
    n_val = min(MAX_VAL, len(ids) // 10)
    val, train = order[:n_val], order[n_val:]
    y = torch.from_numpy(np.ascontiguousarray(targets, np.float32))

    # only the rows of tokens the texts hold are trained (the others would get no gradient): a compact table
    used = np.unique(np.fromiter((i for row in ids for i in row), np.int64)) if ids else np.zeros(0, np.int64)
    used = np.union1d(used, [pad])
    remap = np.full(len(table), -1, np.int64)
    remap[used] = np.arange(len(used))
    ids = [remap[np.asarray(row, np.int64)].astype(np.int32) for row in ids]  # arrays: 4 bytes a token
    full, pad = table, int(remap[pad])
    vectors = torch.from_numpy(np.ascontiguousarray(table[used], np.float32))
    norms = vectors.norm(dim=1)
    emb = torch.nn.Embedding.from_pretrained(vectors / norms.clamp(min=1e-12)[:, None], freeze=False, padding_idx=pad)
    w = norms.clone()
    w[pad] = 0
    w = torch.nn.Parameter(w)
    torch.manual_seed(SEED)
    out_layer = torch.nn.Linear(dims, y.shape[1])
    emb, out_layer = emb.to(device), out_layer.to(device)
    w = torch.nn.Parameter(w.detach().to(device))
    opt = torch.optim.AdamW(list(emb.parameters()) + [w] + list(out_layer.parameters()), lr=LR)

    def batch(rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        longest = max(1, max(len(ids[i]) for i in rows))
        x = torch.full((len(rows), longest), pad, dtype=torch.long)
        for r, i in enumerate(rows):
            x[r, :len(ids[i])] = torch.from_numpy(ids[i])
        return x.to(device), y[rows].to(device)

    def forward(x: torch.Tensor) -> torch.Tensor:
        keep = (x != pad).float()
        ww = w[x] * keep
        mean = torch.bmm(ww[:, None, :], emb(x)).squeeze(1) / (keep.sum(1) + 1e-16)[:, None]
        return out_layer(mean)

    def val_loss() -> float:
        with torch.no_grad():
            tot = 0.0
            for at in range(0, len(val), BATCH):
                x, t = batch(val[at:at + BATCH])
                tot += float(torch.nn.functional.mse_loss(forward(x), t, reduction="sum"))
            return tot / max(1, len(val) * y.shape[1])

    best, best_state, patience = float("inf"), None, PATIENCE
    t0 = time.perf_counter()
    for epoch in range(MAX_EPOCHS):
        perm = [train[i] for i in torch.randperm(len(train), generator=g).tolist()]
        for at in range(0, len(perm), BATCH):
            x, t = batch(perm[at:at + BATCH])
            opt.zero_grad()
            torch.nn.functional.mse_loss(forward(x), t).backward()
            opt.step()
        if not val:  # too few texts to hold any out: one pass
            best_state = (emb.weight.detach().clone(), w.detach().clone())
            break
        loss = val_loss()
        if best - loss > 1e-4:
            best, best_state, patience = loss, (emb.weight.detach().clone(), w.detach().clone()), PATIENCE
        else:
            patience -= 1
            if patience == 0:
                break
    if progress:
        print(f"edgembed: fitted the table in {epoch + 1} epochs, {time.perf_counter() - t0:.1f} s "
              f"(held-out MSE {best:.4f})", file=sys.stderr)
    weight, ww = best_state
    fitted = np.array(full, np.float32)
    fitted[used] = (weight * ww[:, None]).cpu().numpy()
    fitted[used[pad]] = full[used[pad]]  # the padding row is never read: kept as it was
    return fitted


def write_model(folder: Path, table: np.ndarray, tok_json: str, normalize: bool, meta: dict) -> Path:
    """A model2vec folder (model.safetensors, tokenizer.json, config.json) that ``edgembed export`` reads."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True)
    save_file({"embeddings": np.ascontiguousarray(table, np.float32)}, str(folder / "model.safetensors"))
    (folder / "tokenizer.json").write_text(tok_json, encoding="utf-8")
    cfg = {"model_type": "model2vec", "normalize": normalize, "hidden_dim": int(table.shape[1]), "adapted": meta}
    (folder / "config.json").write_text(json.dumps(cfg, indent=1), encoding="utf-8")
    return folder


def adapt(texts: list[str], base: str | None, teacher: str | None, folder: Path, device: str = "cpu",
          progress: bool = True, cache_folder: Path | None | bool = True) -> Path:
    """Fit BASE (None: the default model) to TEXTS with TEACHER's features; write the adapted model into FOLDER.
    CACHE_FOLDER: the feature cache's folder (True: under the user cache dir; None: no cache)."""
    from exporter.search import teacher as teachers
    from exporter.search.teacher import FeatureCache, Teacher, features
    from exporter.sources.loading import load_model

    t = Teacher(teacher, device=device)  # torch checked first: one line naming the extra
    if not texts:
        raise EdgembedError("--adapt: the site has no text to adapt the model to")
    base_model = load_model(base)
    if cache_folder is True:
        cache_folder = teachers.feature_cache_dir()
    cache = FeatureCache(cache_folder if isinstance(cache_folder, Path) else None, t.identity)
    try:
        feats = features(t, texts, cache, progress=progress)
    finally:
        cache.close()
    table = fit_table(base_model.table, base_model.tokenizer_json, texts, feats, max_tokens=t.max_tokens - 2,
                      device=device, progress=progress)
    meta = {"teacher": t.path, "base": base_model.source.get("path"), "texts": len(texts), "method": "tokenlearn"}
    write_model(folder, table, base_model.tokenizer_json, base_model.normalize, meta)
    return folder
