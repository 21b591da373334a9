"""The static web demo: ``index.html`` + ``demo/`` (runtime, vendored npm files, embedded search corpus)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np

from exporter.targets.assets import INSTALLED, PACKAGED, VENDOR, WEB
from exporter.errors import EdgembedError

DEMO = "demo"
INDEX = "index.html"
STATIC_FILES = ("app.mjs", "demo.css")
SERVICE_WORKER = "edgembed-sw.js"  # web/runtime/: the export folder offline after one visit
IMPORT_MAP = {
    "imports": {
        "@huggingface/tokenizers": f"./{DEMO}/vendor/tokenizers.min.mjs",
        "onnxruntime-web/wasm": f"./{DEMO}/vendor/ort.wasm.min.mjs",
    }
}
MAX_DEFAULT_PASSAGES = 600


def npm_install_hint() -> str:
    """The exact command that installs the pinned npm packages (the CUDA skip keeps a dev dependency offline-safe);
    for an installed wheel, which carries its own copy, a reinstall."""
    if INSTALLED and WEB == PACKAGED:
        return "pip install --force-reinstall edgembed-*.whl (this installation lacks its web files)"
    return f"cd {WEB} && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci"


def runtime_files(web: Path | None = None) -> list[str]:
    """Every ES module of the JS runtime (web/runtime/*.mjs), the same files the npm package ships."""
    return sorted(p.name for p in ((WEB if web is None else web) / "runtime").glob("*.mjs"))


def check_vendor(web: Path | None = None) -> dict[str, str]:
    """The pinned npm packages the demo copies, as {name: version}; a one-line error if any is missing or stale."""
    web = WEB if web is None else web
    try:
        pins = json.loads((web / "package.json").read_text(encoding="utf-8"))["dependencies"]
    except (OSError, KeyError, json.JSONDecodeError) as e:
        raise EdgembedError(f"cannot read the demo's npm pins in {web / 'package.json'}: {e}") from None
    versions = {}
    for name, files in VENDOR.items():
        pkg = web / "node_modules" / name
        missing = [f for f in ("package.json", *files) if not (pkg / f).is_file()]
        if missing:
            raise EdgembedError(f"the web demo needs the npm package {name} ({pkg / missing[0]} is missing): "
                                f"run `{npm_install_hint()}`, or export with --no-demo")
        version = json.loads((pkg / "package.json").read_text(encoding="utf-8")).get("version")
        if name in pins and version != pins[name]:
            raise EdgembedError(f"web/node_modules has {name} {version} but web/package.json pins {pins[name]}: run `{npm_install_hint()}`")
        versions[name] = version
    return versions


def write_demo(out: Path, manifest: dict, corpus: str | Path | None = None) -> dict[str, str]:
    """Render the demo into the export folder OUT (which already holds the model files); returns manifest file entries."""
    import jinja2

    out = Path(out)
    versions = check_vendor(WEB)
    items, corpus_name = load_corpus(corpus)
    demo = out / DEMO
    (demo / "runtime").mkdir(parents=True)
    (demo / "vendor").mkdir()
    for f in runtime_files(WEB):
        shutil.copyfile(WEB / "runtime" / f, demo / "runtime" / f)
    for f in STATIC_FILES:
        shutil.copyfile(WEB / "templates" / f, demo / f)
    shutil.copyfile(WEB / "runtime" / SERVICE_WORKER, out / SERVICE_WORKER)  # at the root: its scope is the export
    notice = ["Third-party files in this folder, copied unchanged from npm:"]
    for name, files in VENDOR.items():
        pkg = WEB / "node_modules" / name
        for f in files:
            shutil.copyfile(pkg / f, demo / "vendor" / Path(f).name)
        lic = json.loads((pkg / "package.json").read_text(encoding="utf-8")).get("license", "see package")
        notice.append(f"- {name} {versions[name]} ({lic} license): {', '.join(Path(f).name for f in files)}")
    (demo / "vendor" / "NOTICE.txt").write_text("\n".join(notice) + "\n", encoding="utf-8")

    passages = [it["text"] for it in items]
    vecs = embed_corpus(out, manifest, passages)
    weak = measure_weak(out, manifest, passages, vecs)
    write_corpus(demo, vecs, items, corpus_name, weak)

    import_map = json.dumps(IMPORT_MAP, indent=2)
    csp_hash = base64.b64encode(hashlib.sha256(import_map.encode("utf-8")).digest()).decode("ascii")
    first = first_query(out, manifest, DEFAULT_QUERY)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(WEB / "templates")), autoescape=True,
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    html = env.get_template("index.html.j2").render(
        model=model_name(manifest), manifest=manifest, corpus_name=corpus_name, corpus_count=len(items), weak=weak,
        import_map=import_map, csp_hash=csp_hash, versions=versions, preload=preloads(manifest, first is not None),
        query=DEFAULT_QUERY, query_rows=query_rows(out, manifest, DEFAULT_QUERY), first=json.dumps(first, separators=(",", ":")) if first else "",
        modulepreload=[f"{DEMO}/app.mjs", *[f"{DEMO}/runtime/{f}" for f in DEMO_MODULES]],
    )
    (out / INDEX).write_text(html, encoding="utf-8")
    return {"demo": INDEX}


DEFAULT_QUERY = "how do I catch an exception?"  # the search box's text as the page opens
DEMO_MODULES = ("edgembed.bundle.mjs",)  # what app.mjs imports: preloaded with the HTML, one round trip
TEXTS_PER_SHARD = 4  # demo/texts/<n>.json: a search shows 6 passages, so a later query fetches little beyond them


def preloads(manifest: dict, first: bool = False) -> list[tuple[str, str]]:
    """What the flat backend fetches first, so the page can ask for it with the HTML (one round trip, not three), and
    its fetch priority: the model's files first (the first query's rows wait for them), then the corpus. FIRST (the
    page carries its first query's ids and shards' hashes, first_query): the first result needs only the corpus and
    those shards, and the model's files (manifest, tokenizer pack, rows index) come after it, asked for by app.mjs."""
    files = manifest["files"]
    if first:
        return [(f"{DEMO}/corpus.json", "high"), (f"{DEMO}/corpus.bin", "high")]
    first = [files["tokenizer_pack"]] if "tokenizer_pack" in files else [files["tokenizer"], *([files["chartable"]] if "chartable" in files else [])]
    return [("manifest.json", "high"), *[(f, "high") for f in first], (files.get("rows", files["flat"]), "high"),
            (f"{DEMO}/corpus.json", "auto"), (f"{DEMO}/corpus.bin", "auto")]


def query_rows(out: Path, manifest: dict, query: str) -> list[str]:
    """The row shards the flat backend reads for QUERY (the search box's text as the page opens), which app.mjs asks
    for with the model's files: the first result then waits for no request made after the tokenizer came."""
    rows = manifest["files"].get("rows")
    if not rows:
        return []
    from exporter.formats.rows import read_index, shard_name
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    ix = read_index((out / rows).read_bytes())
    tok = load_tokenizer((out / manifest["files"]["tokenizer"]).read_text(encoding="utf-8"))
    shards = sorted({i // ix["shard_rows"] for i in encode_ids(tok, [query])[0]})
    return [shard_name(k, ix["shards"]) for k in shards]


def first_query(out: Path, manifest: dict, query: str) -> dict | None:
    """What the demo needs to show QUERY's result (the search box's text as the page opens) before the tokenizer and
    rows/index.bin come: its token ids from the export's own tokenizer (encode_ids: add_special_tokens=False, as the
    runtime's tokenizer gives them), and the rows index's fields with the hashes of the shards those ids are in
    (web/runtime/rows.mjs, partialRowsIndex: the page checks each shard against them). None without lazy rows or the
    tokenizer pack, and for pq tables (whose codebooks live in the index): the page then takes the usual path."""
    files = manifest["files"]
    if not files.get("rows") or "tokenizer_pack" not in files:
        return None
    from exporter.formats.rows import read_index
    from exporter.formats.table import QUANTS
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    ix = read_index((out / files["rows"]).read_bytes())
    if ix["subspaces"] or ix["quant"] >= len(QUANTS):
        return None
    ids = encode_ids(load_tokenizer((out / files["tokenizer"]).read_text(encoding="utf-8")), [query])[0]
    shards = sorted({i // ix["shard_rows"] for i in ids})
    head = {"vocab": ix["vocab"], "dims": ix["dims"], "quant": QUANTS[ix["quant"]], "normalize": bool(ix["flags"] & 1),
            "rowBytes": ix["row_bytes"], "shardRows": ix["shard_rows"], "shards": ix["shards"], "hashBytes": ix["hash_bytes"],
            "scaleBytes": ix["scale_bytes"], "digits": ix["name_digits"], "hashes": {str(k): ix["hashes"][k].hex() for k in shards}}
    return {"text": query, "ids": [int(i) for i in ids], "rows": head}


def corpus_rows(vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The corpus as the page stores it: int8 rows and one float32 scale a row (max|x|/127)."""
    scales = (np.abs(vecs).max(axis=1) / 127.0).astype(np.float32)
    inv = np.divide(1.0, scales, out=np.zeros_like(scales), where=scales > 0)
    return np.clip(np.rint(vecs * inv[:, None]), -127, 127).astype(np.int8), scales


def measure_weak(out: Path, manifest: dict, passages: list[str], vecs: np.ndarray) -> dict:
    """The weak-match line of this model and corpus (targets/weak_match.py), from the corpus rows the page scores."""
    from exporter.targets.weak_match import OFF_TOPIC, best_scores, calibrate, pseudo_queries

    q, scales = corpus_rows(vecs)
    rows = q.astype(np.float64) * scales.astype(np.float64)[:, None]
    unrelated = best_scores(embed_corpus(out, manifest, list(OFF_TOPIC)), rows)
    related = pseudo_queries(passages)
    return calibrate(unrelated, best_scores(embed_corpus(out, manifest, related), rows) if related else np.zeros(0))


def write_corpus(demo: Path, vecs: np.ndarray, items: list[dict], name: str, weak: dict | None = None) -> None:
    """The search corpus: ``corpus.bin`` (gzipped: int8 unit vectors, one float32 scale a row: max|x|/127, then the scales),
    ``corpus.json`` (titles, counts and the weak-match line WEAK) and ``texts/<n>.json`` (the passages, TEXTS_PER_SHARD a file)."""
    q, scales = corpus_rows(vecs)
    raw = q.tobytes() + b"\0" * (-q.nbytes % 4) + scales.astype("<f4").tobytes()
    (demo / "corpus.bin").write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))  # hosts do not compress .bin files
    shards = [items[i : i + TEXTS_PER_SHARD] for i in range(0, len(items), TEXTS_PER_SHARD)]
    (demo / "texts").mkdir()
    for k, chunk in enumerate(shards):
        (demo / "texts" / f"{k}.json").write_text(json.dumps([it["text"] for it in chunk], ensure_ascii=False), encoding="utf-8")
    meta = {"name": name, "count": len(items), "dims": int(vecs.shape[1]), "dtype": "int8", "scales": "float32",
            "texts_per_shard": TEXTS_PER_SHARD, "titles": [it["title"] for it in items]}
    if weak is not None:
        meta["weak"] = weak
    (demo / "corpus.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def read_corpus(demo: Path) -> np.ndarray:
    """The corpus vectors as the page reads them (demo/corpus.bin: int8 rows times their float32 scales), float64."""
    meta = json.loads((Path(demo) / "corpus.json").read_text(encoding="utf-8"))
    n, d = meta["count"], meta["dims"]
    raw = gzip.decompress((Path(demo) / "corpus.bin").read_bytes())
    q = np.frombuffer(raw, dtype=np.int8, count=n * d).reshape(n, d).astype(np.float64)
    return q * np.frombuffer(raw, dtype="<f4", count=n, offset=-(-n * d // 4) * 4).astype(np.float64)[:, None]


def model_name(manifest: dict) -> str:
    src = manifest.get("source") or {}
    if src.get("base"):
        return f"{src['base']} (static, distilled)"
    if src.get("id"):
        return str(src["id"])
    return Path(str(src.get("path", "model"))).name or "model"


def embed_corpus(out: Path, manifest: dict, texts: list[str]) -> np.ndarray:
    """Corpus vectors from the export's own flat file (what the browser's flat backend computes), unit rows."""
    from exporter.formats.flat import read_flat
    from exporter.formats.pooling import mean_rows
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    flat = read_flat(out / manifest["files"]["flat"])
    tok = load_tokenizer((out / manifest["files"]["tokenizer"]).read_text(encoding="utf-8"))
    vecs = np.concatenate([mean_rows(flat.table, encode_ids(tok, texts[i : i + 256]), flat.normalize)
                           for i in range(0, len(texts), 256)] or [np.zeros((0, flat.table.dims), np.float32)])
    del flat
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    return np.divide(vecs, norms, out=np.zeros_like(vecs), where=norms > 0)


def load_corpus(corpus: str | Path | None) -> tuple[list[dict], str]:
    """[{"title", "text"}] and a display name: the user's file, or CPython's documentation topics."""
    if corpus is None:
        return default_corpus(), "Python documentation topics (pydoc_data)"
    from exporter.inputs import read_texts

    texts = [t.strip() for t in read_texts(corpus)]
    items = [{"title": f"#{i}", "text": t} for i, t in enumerate(texts, 1) if t]
    if not items:
        raise EdgembedError(f"--corpus {corpus} has no non-blank texts")
    return items, Path(corpus).name


_UNDERLINE = re.compile(r"^([*=\-~^\"])\1{2,}\s*$")


def default_corpus(limit: int = MAX_DEFAULT_PASSAGES) -> list[dict]:
    """Prose passages of the reference topics that ship with CPython (pydoc_data.topics), titled by section."""
    from pydoc_data.topics import topics

    passages: list[dict] = []
    seen: set[str] = set()
    for key in sorted(topics):
        lines = topics[key].splitlines()
        title = section = ""
        para: list[str] = []

        def flush() -> None:
            words = " ".join(para).split()
            text = " ".join(words)
            if len(words) >= 15 and text not in seen:  # topics repeat each other ("compound" holds "try")
                seen.add(text)
                head = title or key
                passages.append({"title": head if section in ("", head) else f"{head} › {section}", "text": text})
            para.clear()

        for i, line in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if _UNDERLINE.match(line):
                continue
            if line.strip() and _UNDERLINE.match(nxt):  # a heading: the next line underlines it
                flush()
                title, section = (title, line.strip()) if title else (line.strip(), "")
            elif not line.strip() or line.startswith(" "):  # blank lines end prose; indented lines are code/grammar
                flush()
            else:
                para.append(line.strip())
        flush()
    if len(passages) > limit:  # an even spread over all topics
        idx = np.linspace(0, len(passages) - 1, limit).round().astype(int)
        passages = [passages[i] for i in idx]
    return passages
