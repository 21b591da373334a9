"""``--target edge``: ``edge/``, one ES-module worker (Cloudflare Workers, Deno, Bun) with the model inside.

The worker's HTTP layer (``web/edge/*.mjs``) is copied as is; the JS runtime modules it needs are found by
following the static imports of ``web/runtime/edgembed.mjs``; the model bytes, the tokenizer and the optional
char table become JS modules (base64 / string literals) so every runtime imports them with no file system,
no fetch and no configuration.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
from pathlib import Path

from exporter.errors import EdgembedError
from exporter.targets.jsmodules import _code, runtime_modules

EDGE = "edge"
ENTRY = f"{EDGE}/worker.mjs"
WORKER_FILES = ("worker.mjs", "api.mjs", "base64.mjs")  # web/edge/, copied unchanged
UNAVAILABLE = "unavailable.mjs"
# Per request (documented in docs/edge.md): OpenAI's own input-count limit, and a body cap well under the
# 100 MB Workers allow that still takes texts of several hundred thousand words.
MAX_TEXTS = 2048
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64  # JSON nesting of arrays/objects (the API needs 3: {"input": [[ids]]})
# Cloudflare Workers script size limits after compression: free and paid plans.
FREE_LIMIT = 3 * 1024 * 1024
PAID_LIMIT = 10 * 1024 * 1024
# The compatibility date written to wrangler.toml: the date of the workerd release the suite runs (miniflare pin).
COMPATIBILITY_DATE = "2026-07-30"

# import(ARG), comments inside skipped: ARG a string literal (group 2) or a plain name / member chain (group 3)
_DYNAMIC = re.compile(r"""\bimport\(\s*(?:/\*.*?\*/\s*)*(?:(["'])([^"']+)\1|([A-Za-z_$][\w$.]*))\s*\)""")
_ANY_DYNAMIC = re.compile(r"\bimport\s*\(")
_ORIGIN = re.compile(r"^(\*|https?://[A-Za-z0-9.\-\[\]:]+(,\s*https?://[A-Za-z0-9.\-\[\]:]+)*)$")


def web_dir() -> Path:
    """The web/ folder (looked up through exporter.targets.web, which packaging may redirect)."""
    from exporter.targets import web

    return Path(web.WEB)


def check_cors_origin(origin: str) -> str:
    """``*``, or one or more comma-separated ``http(s)://host[:port]`` origins."""
    origin = origin.strip()
    if not _ORIGIN.match(origin):
        raise EdgembedError(f"--cors-origin must be '*' or origins like https://example.com (comma-separated), got '{origin}'")
    return origin


def _stub_dynamic_imports(text: str, bundled: set[str], name: str = "module") -> str:
    """Point each dynamic ``import(...)`` of a module that is not bundled (a literal specifier, or a variable one
    such as the optional peers') at ./unavailable.mjs, which throws when loaded: the import rejects with a
    clear message, and module collectors (miniflare, wrangler), which follow literal dynamic imports and refuse
    variable ones, find nothing missing and no onnxruntime."""
    def repl(m: re.Match) -> str:
        spec = m.group(2)
        if spec is not None and spec.startswith("./") and spec[2:] in bundled:
            return m.group(0)
        return f'import("./{UNAVAILABLE}")'
    code = _code(text)
    if len(_ANY_DYNAMIC.findall(code)) != len(_DYNAMIC.findall(code)):
        raise EdgembedError(f"runtime module {name} has a dynamic import() the edge exporter cannot rewrite")
    return "\n".join(line if line.lstrip().startswith("//") else _DYNAMIC.sub(repl, line) for line in text.split("\n"))


def _js_string(text: str) -> str:
    """A JS string literal (JSON's escaping; U+2028/2029 escaped for older parsers)."""
    return json.dumps(text, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def worker_name(manifest: dict) -> str:
    """A Workers script name: lowercase letters, digits and dashes, at most 63 characters."""
    from exporter.targets.web import model_name

    base = re.sub(r"\(.*?\)", "", model_name(manifest)).split("/")[-1]
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or "model"
    return f"edgembed-{slug}-{manifest['dims']}-{manifest['quant']}"[:63].strip("-")


def write_edge(out: Path, manifest: dict, cors_origin: str = "*") -> dict[str, str]:
    """Write OUT/edge/ from the export's files already in OUT; returns the manifest ``files`` entry."""
    from exporter.targets.web import model_name

    cors_origin = check_cors_origin(cors_origin)
    out = Path(out)
    web = web_dir()
    edge = out / EDGE
    (edge / "runtime").mkdir(parents=True)
    (edge / "data").mkdir()
    for f in WORKER_FILES:
        shutil.copyfile(web / "edge" / f, edge / f)
    runtime = web / "runtime"
    mods = runtime_modules(runtime)
    files = manifest["files"]
    chartable = files.get("chartable")
    library = not chartable  # a tokenizer that is not WordPiece: bundle @huggingface/tokenizers (a plain ES module)
    if library:
        from exporter.targets.assets import vendor_files

        mods.append("tokenize_core.mjs")  # tokenize.mjs imports it for the library path only
        (edge / "vendor").mkdir()
        lib = vendor_files(web, "@huggingface/tokenizers")[1]
        if not lib.is_file():
            raise EdgembedError(f"the edge worker of a non-WordPiece tokenizer needs {lib}: run `cd {web} && npm ci`")
        shutil.copyfile(lib, edge / "vendor" / "tokenizers.min.mjs")
    for name in mods:
        text = _stub_dynamic_imports((runtime / name).read_text(encoding="utf-8"), set(mods), name)
        (edge / "runtime" / name).write_text(text, encoding="utf-8")
    (edge / "runtime" / UNAVAILABLE).write_text(
        "// Stands in for the modules the edge worker does not bundle (onnx backend, worker pool, tokenizers library).\n"
        'throw new Error("not available in the edgembed edge worker (flat backend only)");\n', encoding="utf-8")

    flat = (out / files["flat"]).read_bytes()
    _data_module(edge / "data" / "flat.mjs", "model.edgembed (base64)", base64.b64encode(flat).decode("ascii"))
    _data_module(edge / "data" / "tokenizer.mjs", "tokenizer.json (text)", (out / files["tokenizer"]).read_text(encoding="utf-8"))
    if chartable:
        _data_module(edge / "data" / "chartable.mjs", f"{chartable} (base64)",
                     base64.b64encode((out / chartable).read_bytes()).decode("ascii"))
    keep = ("format", "format_version", "source", "dims", "quant", "vocab_size", "normalize")
    info = {"name": model_name(manifest), **{k: manifest[k] for k in keep if k in manifest}}
    info["source"] = {k: v for k, v in (manifest.get("source") or {}).items() if k != "path"}  # no build-machine paths
    # what fromArtifacts checks against the flat file (the export's manifest, less hashes and build paths)
    runtime_manifest = {k: v for k, v in manifest.items() if k != "sha256"}
    runtime_manifest["source"] = info["source"]
    settings = {"corsOrigin": cors_origin, "maxTexts": MAX_TEXTS, "maxBytes": MAX_BYTES, "maxDepth": MAX_DEPTH}
    lines = [
        "// Written by `edgembed export --target edge`: the export's manifest, the worker's settings and its data modules.",
        'import flat from "./data/flat.mjs";',
        'import tokenizer from "./data/tokenizer.mjs";',
        *(['import chartable from "./data/chartable.mjs";'] if chartable else []),
        *(['import * as tokenizersLibrary from "./vendor/tokenizers.min.mjs";'] if library else []),
        "",
        f"export const manifest = {json.dumps(runtime_manifest, ensure_ascii=False)};",
        f"export const info = {json.dumps(info, ensure_ascii=False)};",
        f"export const settings = {json.dumps(settings)};",
        f"export const data = {{ flat, tokenizer, chartable: {'chartable' if chartable else 'null'}, "
        f"tokenizersLibrary: {'tokenizersLibrary' if library else 'null'} }};",
    ]
    (edge / "model.mjs").write_text("\n".join(lines) + "\n", encoding="utf-8")
    name = worker_name(manifest)
    (edge / "wrangler.toml").write_text(
        f'name = "{name}"\nmain = "worker.mjs"\ncompatibility_date = "{COMPATIBILITY_DATE}"\n'
        "# Upload the ES modules as they are (every import is a file in this folder).\n"
        'no_bundle = true\n\n[[rules]]\ntype = "ESModule"\nglobs = ["**/*.mjs"]\n', encoding="utf-8")
    (edge / "README.md").write_text(_readme(info, name, cors_origin), encoding="utf-8")
    return {"edge": ENTRY}


def _data_module(path: Path, what: str, text: str) -> None:
    path.write_text(f"// {what}, written by `edgembed export --target edge`.\nexport default {_js_string(text)};\n", encoding="utf-8")


def gzip_size(edge: Path) -> int:
    """Total gzip -9 bytes of the worker's modules (what Workers' compressed-size limit counts)."""
    return sum(len(gzip.compress(p.read_bytes(), 9, mtime=0)) for p in sorted(Path(edge).rglob("*.mjs")))


def size_report(out: Path) -> tuple[str, str | None]:
    """(the size line, a warning line or None) for an export folder's edge worker."""
    size = gzip_size(Path(out) / EDGE)
    line = f"edge worker: {size:,} bytes gzipped ({size / 2**20:.2f} MiB)"
    if size > PAID_LIMIT:
        return line, (f"the edge worker is {size / 2**20:.2f} MiB gzipped, over Cloudflare Workers' 10 MiB paid-plan "
                      "limit: use a smaller --quant or --dims (Deno and Bun have no such limit)")
    if size > FREE_LIMIT:
        return line, (f"the edge worker is {size / 2**20:.2f} MiB gzipped, over Cloudflare Workers' 3 MiB free-plan "
                      "limit (fits the 10 MiB paid plan)")
    return line, None


def _readme(info: dict, name: str, cors: str) -> str:
    return f"""# {info['name']} at the edge ({info['dims']} dims, {info['quant']})

Written by `edgembed export --target edge`. `worker.mjs` and every module it imports are in this folder;
the model (`data/flat.mjs`) and tokenizer (`data/tokenizer.mjs`) are JS modules, so nothing needs a file
system, fetch or configuration. CORS origin: `{cors}`. Limits: {MAX_TEXTS} texts and {MAX_BYTES:,} bytes per request,
JSON nested at most {MAX_DEPTH} levels deep.

| runtime | run it |
|---|---|
| Cloudflare Workers | `npx --yes wrangler deploy` (from this folder; script `{name}`), or `npx --yes wrangler dev` locally |
| Deno / Deno Deploy | `npx --yes deno serve --port 8000 worker.mjs` (npm's `deno` package; Ctrl-C stops it; under a process manager run the binary itself, one process: `npm install --prefix . --no-save deno` then `node_modules/.bin/deno serve --port 8000 worker.mjs`; or `deno serve …` with Deno installed; no permission flags), or `deployctl deploy --entrypoint worker.mjs` |
| Bun | `npx --yes bun -e 'const w = (await import("./worker.mjs")).default; Bun.serve({{ port: 8000, fetch: w.fetch }})'` (or `bun -e …` with Bun installed) |

```bash
curl -s localhost:8000/embed -d '{{"texts": ["a cat sits", "a kitten rests"]}}'
```

```js
import OpenAI from "openai";
const client = new OpenAI({{ baseURL: "http://localhost:8000/v1", apiKey: "unused" }});
const res = await client.embeddings.create({{ model: "{info['name']}", input: ["a cat sits"] }});
```

`GET /` describes the model; `POST /embed` takes `{{"texts": [...]}}`; `POST /v1/embeddings` is the OpenAI
embeddings API (string, list, token ids; `encoding_format`, `dimensions`). See edgembed's docs/edge.md.
"""
