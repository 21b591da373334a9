"""The model an index carries (``_edgembed/model/``) and the cached export of the default model behind it.

An index ships only what a page reads (docs/search.md): the manifest, the tokenizer pack (``tokenizer.bin``; else
``tokenizer.json`` for tokenizers the pack cannot hold), ``chartable.bin`` and the row shards (``rows/``; else the
whole table, ``model.edgembed``, for an export without rows). Python's ``edgembed search`` reads the same files
(``load_model``): the table from the row shards, the tokenizer.json rebuilt from the pack.

The default model is exported once per edgembed version, model and export settings, into
``<cache dir>/index-model/<key>/`` (written atomically, checked against its hashes on each use, rebuilt if not
intact)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from exporter.errors import EdgembedError

# how a model is exported for an index: row shards of ~1 kB (4 rows at 256 dims, 4-byte hashes: rows/index.bin keeps
# its size) rather than an export's 2 kB: a later question fetches ~10 shards for about one row each, ~10 kB less
# (docs/search.md, "Row shards of 4 rows")
EXPORT = {"quant": "int8", "demo": False, "rows": True, "rows_bytes": 1024}
CACHE = "index-model"
# manifest keys a page reads, by preference: the first of each group that the export has
SHIPS = (("tokenizer_pack", "tokenizer"), ("chartable",), ("rows", "flat"))


def shipped_files(man: dict) -> dict[str, str]:
    """The manifest ``files`` entries an index ships (SHIPS); an error if it has no tokenizer or no table."""
    files = man.get("files", {})
    out = {}
    for group in SHIPS:
        key = next((k for k in group if k in files), None)
        if key is not None:
            out[key] = files[key]
        elif group[0] != "chartable":
            raise EdgembedError(f"the model export has no {' or '.join(group)} file (export it with 'edgembed export')")
    return out


def _copy(src: str | Path, dest: str | Path, link: bool) -> None:
    if link:
        try:
            os.link(src, dest)
            return
        except OSError:  # another file system, or links not supported: copy
            pass
    shutil.copyfile(src, dest)


def ship(src: Path, man: dict, dest: Path, link: bool = False) -> None:
    """Copy the files a page reads from export SRC (manifest MAN) into DEST, with a manifest listing only them.

    LINK: hard-link them where the file system allows (the cache: its files are never rewritten in place, and a
    damaged cache is found by its hashes and rebuilt); thousands of row shards copy slowly."""
    from exporter.formats.rows import is_shard

    files = shipped_files(man)
    dest.mkdir(parents=True)
    for rel in files.values():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        _copy(src / rel, dest / rel, link)
    if "rows" in files:  # the row shards, fetched lazily (rows/index.bin holds their hashes); os paths: thousands
        sub = os.path.dirname(files["rows"])
        s_dir, d_dir = os.path.join(src, sub), os.path.join(dest, sub)
        for name in sorted(os.listdir(s_dir)):
            if is_shard(f"{sub}/{name}"):
                _copy(os.path.join(s_dir, name), os.path.join(d_dir, name), link)
    sums = {k: v for k, v in man.get("sha256", {}).items() if k in files.values()}
    (dest / "manifest.json").write_text(json.dumps({**man, "files": files, "sha256": sums}, indent=1), encoding="utf-8")


def intact(folder: Path) -> bool:
    """True if FOLDER is a shipped model whose listed files match the manifest's hashes and whose row shards are all
    there. The shards' bytes are checked against rows/index.bin when they are read (``load_model``)."""
    from exporter.formats.rows import read_index, shard_name

    try:
        man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files, sums = man["files"], man["sha256"]
        for rel in files.values():
            if sums.get(rel) != hashlib.sha256((folder / rel).read_bytes()).hexdigest():
                return False
        if "rows" not in files:
            return True
        n = read_index((folder / files["rows"]).read_bytes())["shards"]
        have = set(os.listdir(folder / "rows"))
        return all(shard_name(k, n).split("/", 1)[1] in have for k in range(n))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def cache_key() -> str:
    """edgembed's version, the default model's recorded sha256, the export settings and the row shards' layout (and
    the tokenizers library's version, which the exported character table depends on), hashed."""
    from importlib import metadata

    import tokenizers

    from exporter.formats.rows import HASH_BYTES, MIN_HASH_BYTES, SHARD_BYTES
    from exporter.sources.default_model import recorded_sums

    try:
        version = metadata.version("edgembed")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        version = "source"
    spec = {"edgembed": version, "model": recorded_sums()["model.safetensors"], "export": EXPORT, "ships": SHIPS,
            "rows": [SHARD_BYTES, HASH_BYTES, MIN_HASH_BYTES],  # a source tree's layout changes without a new version
            "tokenizers": tokenizers.__version__}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]


def cached_default() -> Path:
    """The shipped files of the default model's export, from the cache (exported there first if absent or corrupt).

    Falls back to a fresh export in a temporary folder when the cache folder cannot be written."""
    from exporter.pipeline import export
    from exporter.sources.default_model import cache_dir

    folder = cache_dir() / CACHE / cache_key()
    if intact(folder):
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
    except OSError:
        work = Path(tempfile.mkdtemp(prefix="edgembed-model-"))  # no cache: export for this run only
        folder = work / "m"
    try:
        export(None, work / "x", **EXPORT)
        from exporter.formats.manifest import read_manifest

        ship(work / "x", read_manifest(work / "x") or {}, work / "m", link=True)  # x is removed below
        if folder == work / "m":
            return folder
        if folder.exists():  # corrupt: move it aside, then replace it
            os.replace(folder, work / "old")
        try:
            os.replace(work / "m", folder)
        except OSError:  # another process wrote it meanwhile
            if not intact(folder):
                raise
        return folder
    finally:
        if folder.parent == work:
            shutil.rmtree(work / "x", ignore_errors=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


def model_into(model: str | None, dest: Path) -> None:
    """Put the files a page reads of MODEL (an export folder, a model, or None: the default model) into DEST."""
    from exporter.formats.manifest import read_manifest

    src = Path(model) if model is not None else None
    man = read_manifest(src) if src is not None and src.is_dir() else None
    if man is not None:
        ship(src, man, dest)
        return
    if model is None:
        src = cached_default()
        try:
            ship(src, read_manifest(src) or {}, dest, link=True)
        finally:
            if src.parent.name != CACHE:  # the no-cache fallback's temporary folder
                shutil.rmtree(src.parent, ignore_errors=True)
        return
    from exporter.pipeline import export

    tmp = dest.parent / ".model-export"
    try:
        export(model, tmp, **EXPORT)
        ship(tmp, read_manifest(tmp) or {}, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def prepare(model: str | None, dest: Path):
    """``model_into`` DEST, then its embedder (``load_model``). A cached default model whose row shard turns out
    damaged when read is exported again, once."""
    model_into(model, dest)
    try:
        return load_model(dest)
    except EdgembedError:
        if model is not None:
            raise
    from exporter.sources.default_model import cache_dir

    shutil.rmtree(dest)
    shutil.rmtree(cache_dir() / CACHE / cache_key(), ignore_errors=True)
    model_into(None, dest)
    return load_model(dest)


def load_model(folder: Path):
    """The flat embedder of a shipped model folder: the table from its row shards (or model.edgembed), the tokenizer
    from its pack (or tokenizer.json)."""
    from exporter.formats.manifest import read_manifest
    from exporter.runtimes.backends import table_of, tokenizer_json
    from exporter.runtimes.flat import FlatEmbedder

    folder = Path(folder)
    man = read_manifest(folder)
    if man is None:
        raise EdgembedError(f"{folder} holds no model export (no edgembed manifest.json): rebuild the index")
    try:
        tok_json = tokenizer_json(folder, man)
        table, normalize = table_of(folder, man)
    except (OSError, ValueError) as e:
        raise EdgembedError(f"the index's model in {folder} is corrupt: {e}: rebuild the index") from None
    return FlatEmbedder(table, tok_json, normalize)


def word_ids_tokenizer(tok):
    """TOK (a ``tokenizers.Tokenizer``, padding off) when the ids of a printable-ASCII query are provably the
    concatenation of its pre-tokens' own ids (docs/search.md, "word ids"), else None: a BERT normalizer (lowercase,
    clean_text, strip_accents null or true), the BERT pre-tokenizer (whitespace, then each punctuation character
    alone) and a WordPiece model, which tokenizes each pre-token on its own. Added tokens and truncation are left to
    the browser: it falls back to the tokenizer for a query holding an added token's content, or with more ids than
    the truncation keeps (``word_ids_meta``)."""
    spec = json.loads(tok.to_str())
    norm, pre, model = spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}, spec.get("model") or {}
    ok = (norm.get("type") == "BertNormalizer" and norm.get("lowercase") is True and norm.get("clean_text") is True
          and norm.get("strip_accents") in (None, True) and pre.get("type") == "BertPreTokenizer"
          and model.get("type") == "WordPiece")
    return tok if ok else None


def pre_tokens(tok, text: str) -> list[str]:
    """TEXT's pre-tokens as TOK's normalizer and pre-tokenizer make them."""
    return [w for w, _ in tok.pre_tokenizer.pre_tokenize_str(tok.normalizer.normalize_str(text))]


def word_ids_meta(tok) -> dict:
    """What the browser needs beside the table to know when it may use it: ``max_ids``, the truncation's length (a
    query with more ids takes the tokenizer; null without truncation), and ``added``, the contents of the added
    tokens as written and normalized (a query that holds one, in any case, takes the tokenizer: the tokenizer splits
    them out before normalizing)."""
    spec = json.loads(tok.to_str())
    trunc = spec.get("truncation")
    added = set()
    for t in spec.get("added_tokens") or []:
        added.add(t["content"])
        added.add(tok.normalizer.normalize_str(t["content"]))
    return {"max_ids": int(trunc["max_length"]) if trunc else None, "added": sorted(a for a in added if a)}
