"""The JS runtime as the npm package "edgembed": `npm pack` in web/runtime, installed offline into a fresh project,
embeds in Node equal to Python; its .d.ts pass `tsc --strict` for correct use and fail wrong use; a flat-only page
bundled by esbuild stays small and never pulls in onnxruntime-web."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import exporter
from exporter.runtimes.backends import load
from exporter.pipeline import export
from exporter.targets.serve import serve_in_thread
from tests.conftest import ROOT, WEB, node_marks

RUNTIME = WEB / "runtime"
BIN = WEB / "node_modules" / ".bin"
PEERS = ("onnxruntime-web", "@huggingface/tokenizers")
MAX_FLAT_BUNDLE = 100_000

pytestmark = [*node_marks("typescript", "esbuild", *PEERS),
              pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")]

EMBED = """
import { readFileSync, writeFileSync } from "node:fs";
import { fromArtifacts, load } from "edgembed";
const [dir, textsFile, outFile, backend, url] = process.argv.slice(2);
const bytes = (p) => { const b = readFileSync(p); return b.buffer.slice(b.byteOffset, b.byteOffset + b.length); };
const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8"));
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const art = { backend, manifest, tokenizerJson: readFileSync(`${dir}/${manifest.files.tokenizer}`, "utf8"),
  [backend]: bytes(`${dir}/${manifest.files[backend]}`) };
if (manifest.files.chartable) art.chartable = bytes(`${dir}/${manifest.files.chartable}`);
const model = await fromArtifacts(art);
const out = { info: model.info, embeddings: (await model.embed(texts)).map((v) => Array.from(v)) };
await model.release();
if (url) {
  const fetched = await load(url, { backend });
  out.loaded = (await fetched.embed(texts)).map((v) => Array.from(v));
  out.stats = fetched.stats;
  await fetched.release();
}
writeFileSync(outFile, JSON.stringify(out));
"""

GOOD_TS = """
import { BACKENDS, Embedder, ROWS, WHOLE_BATCH, createTokenizer, fromArtifacts, load, parseFlat, parseRowsIndex, shardPath } from "edgembed";
import type { Backend, EmbedderInfo, LoadOptions, Manifest, Quant, RowsIndex, RowsStats } from "edgembed";
import * as ort from "onnxruntime-web/wasm";

class Lib { constructor(readonly spec: object, readonly config: object) {} }

export async function main(): Promise<number> {
  const opts: LoadOptions = { backend: "flat", workers: 2 };
  const model: Embedder = await load("./export/", opts);
  const vecs: Float32Array[] = await model.embed(["a cat sits", "a kitten rests"]);
  const one: Float32Array[] = await model.embed("single");
  const ids: number[] = model.tokenize("hello");
  const info: EmbedderInfo = model.info;
  const quant: Quant | null = info.quant;
  const pq: Quant = "pq32";
  const manifest: Manifest = await (await fetch("./export/manifest.json")).json();
  const flat = await (await fetch("./export/model.edgembed")).arrayBuffer();
  const tokenizerJson = await (await fetch("./export/tokenizer.json")).text();
  const fromBytes = await fromArtifacts({ tokenizerJson, flat, manifest, backend: "flat", chartable: new Uint8Array(8) });
  const index = await (await fetch("./export/rows/index.bin")).arrayBuffer();
  const ix: RowsIndex = parseRowsIndex(index);
  const lazy = await fromArtifacts({ tokenizerPack: new Uint8Array(index), manifest,
    rows: { index, fetchShard: async (k) => (await fetch(`./export/${shardPath(ix, k)}`)).arrayBuffer() } });
  const rows: RowsStats | null = await lazy.fill({ concurrency: 4 });
  const where: "lazy" | "whole" | null = lazy.rows;
  const byIds: Float32Array[] = await lazy.embedIds([[1, 2], new Int32Array([3])]);
  const whole = await load("./export/", { rows: "whole", verify: false, wholeBatch: 64, tokenizer: "json" });
  const onnx = await load(new URL("https://example.invalid/export/"), { backend: "onnx", ort, wasmPaths: "./ort/", numThreads: 1 });
  const tok = await createTokenizer(tokenizerJson, { chartable: flat, loadLibrary: async () => ({ Tokenizer: Lib }) });
  const path: "exact" | "library" = tok.path;
  const backends: readonly Backend[] = BACKENDS;
  await model.release();
  return vecs[0].length + one.length + ids.length + (info.dims ?? 0) + (quant ? 1 : 0) + pq.length
    + parseFlat(new Uint8Array(flat)).dims + tok.encode("x").length + path.length + info.tokenizer.length + backends.length
    + (fromBytes.pool?.size ?? 0) + (model.stats.loadMs ?? 0) + (await onnx.embed([]))[0].length
    + (rows?.shardsFetched ?? 0) + (where ?? "").length + byIds.length + whole.stats.bytesFetched + ROWS.length + WHOLE_BATCH;
}
"""

BAD_TS = {  # each must fail to compile, with this in the message
    "return_type": ('const wrong: Promise<number[][]> = model.embed(["a"]);', "Promise<number[][]>"),
    "element_type": ('const wrong: number[] = (await model.embed(["a"]))[0];', "number[]"),
    "backend": ('const wrong = await load("./export/", { backend: "tflite" });', '"tflite"'),
    "texts": ("const wrong = await model.embed([1, 2]);", "number"),
    "tokenize": ("const wrong: string[] = model.tokenize(\"a\");", "string[]"),
    "rows": ('const wrong = await load("./export/", { rows: "partial" });', '"partial"'),
    "stats": ("const wrong: string = model.stats.rows;", "RowsStats"),
}

# a page that uses only the flat backend, bundled by esbuild; window.edgembed is what exporter.proof.browser's driver calls
FLAT_PAGE = """
import { load } from "edgembed";
let model = null;
window.edgembed = {
  ready: Promise.resolve(),
  bytesFetched: () => 0,
  async embed(texts, { backend }) {
    if (backend !== "flat") throw new Error("this page bundles the flat backend only");
    model ??= await load("./minilm/", { backend: "flat" });
    return model.embed(texts);
  },
};
"""
BUNDLED_HTML = '<!doctype html><html><head><meta charset="utf-8"><script type="module" src="./dist/page.js"></script></head></html>\n'
# the README's plain import map over node_modules (no bundler), both backends
IMPORTMAP_HTML = """<!doctype html>
<html><head><meta charset="utf-8">
<script type="importmap">{"imports": {
  "edgembed": "./node_modules/edgembed/index.mjs",
  "onnxruntime-web/wasm": "./node_modules/onnxruntime-web/dist/ort.wasm.min.mjs",
  "@huggingface/tokenizers": "./node_modules/@huggingface/tokenizers/dist/tokenizers.min.mjs"}}</script>
<script type="module">
  import { load } from "edgembed";
  const models = {};
  window.edgembed = {
    ready: Promise.resolve(),
    bytesFetched: () => 0,
    embed: async (texts, { backend }) => (await (models[backend] ??= load("./minilm/", { backend }))).embed(texts),
  };
</script></head><body></body></html>
"""


def _run(cmd: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=str(cwd), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> dict:
    """`npm pack` in web/runtime, then `npm install --offline <tarball>` in a fresh project (no network needed)."""
    root = tmp_path_factory.mktemp("npm")
    proc = _run(["npm", "pack", "--json", "--pack-destination", root], RUNTIME)
    assert proc.returncode == 0, proc.stderr[-2000:]
    tarball = root / json.loads(proc.stdout)[0]["filename"]
    project = root / "fresh"
    project.mkdir()
    (project / "package.json").write_text(json.dumps({"name": "fresh", "private": True, "type": "module"}))
    proc = _run(["npm", "install", "--offline", "--no-audit", "--no-fund", tarball], project)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {"root": root, "tarball": tarball, "project": project, "installed": project / "node_modules" / "edgembed"}


def _project(package: dict, name: str, peers: tuple[str, ...] = (), served: bool = False) -> Path:
    """A project holding a copy of the installed package plus PEERS (linked from web/node_modules, as
    `npm install PEER` would add them); a copy, so that Node resolves the peers from this project. SERVED: the
    project is served to a page, and `edgembed serve` follows no link out of its folder: the peers' browser files
    (the ones the demo vendors) are copied in instead."""
    from exporter.targets.assets import vendor_files

    proj = package["root"] / name
    shutil.copytree(package["project"], proj, symlinks=True)
    for peer in peers:
        dest = proj / "node_modules" / peer
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not served:
            dest.symlink_to(WEB / "node_modules" / peer, target_is_directory=True)
            continue
        for f in vendor_files(WEB, peer):
            (dest / f.relative_to(WEB / "node_modules" / peer)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dest / f.relative_to(WEB / "node_modules" / peer))
    return proj


def test_pack_is_the_runtime_and_installs_alone(package):
    """The tarball is web/runtime's own files (one copy); installing it fetches nothing else, no peer included."""
    installed = package["installed"]
    meta = json.loads((installed / "package.json").read_text())
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert meta["name"] == "edgembed" and meta["type"] == "module" and meta["version"] == version == exporter.__version__
    assert meta["exports"]["."]["types"] == meta["types"] == "./index.d.ts"
    assert not meta.get("dependencies"), "the flat backend has no run-time dependency"
    assert set(meta["peerDependencies"]) == set(PEERS) and all(meta["peerDependenciesMeta"][p]["optional"] for p in PEERS)
    shipped = sorted(p.name for p in RUNTIME.glob("*.mjs"))
    assert sorted(p.name for p in installed.glob("*.mjs")) == shipped and "index.mjs" in shipped
    for f in [*shipped, "index.d.ts", "edgembed.bundle.d.ts"]:
        assert (installed / f).read_bytes() == (RUNTIME / f).read_bytes(), f
    assert sorted(p.name for p in (package["project"] / "node_modules").iterdir() if not p.name.startswith(".")) == ["edgembed"]
    lock = json.loads((package["project"] / "package-lock.json").read_text())
    assert sorted(lock["packages"]) == ["", "node_modules/edgembed"], "no peer was fetched"


def _node_embed(proj: Path, folder: Path, texts: list[str], backend: str, url: str | None = None) -> dict:
    (proj / "embed.mjs").write_text(EMBED, encoding="utf-8")
    (proj / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    out = proj / f"out-{backend}.json"
    proc = _run(["node", "embed.mjs", folder, "texts.json", out, backend, *([url] if url else [])], proj)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("quant", ["fp32", "int8", "int4"])
def test_node_flat_matches_python(package, distilled_dir, texts, tmp_path, quant):
    """`import { load, fromArtifacts } from "edgembed"` in Node: flat backend, from bytes and over HTTP, equal to
    the Python flat backend to 1e-5. An export with the WordPiece char table needs no peer at all; one without it
    gets @huggingface/tokenizers, the runtime's fallback."""
    folder = tmp_path / "export"
    man = export(distilled_dir, folder, dims=128, quant=quant, demo=False)
    peers = () if "chartable" in man["files"] else ("@huggingface/tokenizers",)
    proj = _project(package, f"flat-{quant}", peers)
    srv, url = serve_in_thread(folder)
    try:
        res = _node_embed(proj, folder, texts, "flat", url)
    finally:
        srv.shutdown()
    ref = load(folder, backend="flat").encode(texts)
    for key in ("embeddings", "loaded"):
        got = np.asarray(res[key], dtype=np.float32)
        assert got.shape == ref.shape == (len(texts), 128)
        assert np.abs(got - ref).max() <= 1e-5, key
    assert res["info"]["backend"] == "flat" and res["info"]["quant"] == quant and res["stats"]["bytesFetched"] > 0
    assert not np.asarray(res["embeddings"][0]).any() and np.abs(np.asarray(res["embeddings"][3])).max() > 0


def test_node_onnx_matches_python(package, distilled_dir, texts, tmp_path):
    """The onnx backend with onnxruntime-web installed as the optional peer."""
    folder = tmp_path / "export"
    export(distilled_dir, folder, quant="int8", demo=False)
    proj = _project(package, "onnx", PEERS)
    got = np.asarray(_node_embed(proj, folder, texts, "onnx")["embeddings"], dtype=np.float32)
    assert np.abs(got - load(folder, backend="onnx").encode(texts)).max() <= 1e-5
    assert np.abs(got - load(folder, backend="flat").encode(texts)).max() <= 1e-5


def test_node_onnx_without_the_peer_says_so(package, distilled_dir, tmp_path):
    folder = tmp_path / "export"
    man = export(distilled_dir, folder, dims=16, quant="int8", demo=False)
    proj = _project(package, "onnx-missing", () if "chartable" in man["files"] else ("@huggingface/tokenizers",))
    (proj / "embed.mjs").write_text(EMBED, encoding="utf-8")
    (proj / "texts.json").write_text('["a"]', encoding="utf-8")
    proc = _run(["node", "embed.mjs", folder, "texts.json", proj / "o.json", "onnx"], proj)
    assert proc.returncode != 0 and "npm install onnxruntime-web" in proc.stderr


def _tsc(proj: Path, name: str, source: str, resolution: str = "nodenext") -> subprocess.CompletedProcess:
    """tsc --strict on one file, with Node's module resolution (nodenext) or a bundler's (bundler)."""
    (proj / f"{name}.ts").write_text(source, encoding="utf-8")
    module = "nodenext" if resolution == "nodenext" else "esnext"
    return _run([BIN / "tsc", "--strict", "--noEmit", "--target", "es2022", "--module", module,
                 "--moduleResolution", resolution, "--lib", "es2022,dom", f"{name}.ts"], proj)


def test_types_strict(package):
    """Correct use (including a real onnxruntime-web module as `ort`) compiles under --strict; each wrong use fails."""
    dts = (package["installed"] / "index.d.ts").read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", dts, flags=re.S)
    assert not re.search(r"\bany\b", code), "no `any` in the declarations"
    assert re.search(r"embed\(texts: [^)]*\): Promise<Float32Array\[\]>", code)
    proj = _project(package, "ts", ("onnxruntime-web",))
    (proj / "package.json").write_text(json.dumps({"name": "ts", "private": True, "type": "module"}))
    for resolution in ("nodenext", "bundler"):
        good = _tsc(proj, f"good_{resolution}", GOOD_TS, resolution)
        assert good.returncode == 0, good.stdout + good.stderr
    bundle = _tsc(proj, "good_bundle", 'import { load, type Embedder, type LoadOptions } from "edgembed/edgembed.bundle.mjs";\n'
                  'const opts: LoadOptions = { backend: "flat" };\nexport const m: Promise<Embedder> = load("./export/", opts);\n')
    assert bundle.returncode == 0, bundle.stdout + bundle.stderr
    bundle = _tsc(proj, "bad_bundle", 'import { loadSearch } from "edgembed/edgembed.bundle.mjs";\nvoid loadSearch;\n')
    assert bundle.returncode != 0 and "loadSearch" in bundle.stdout, "the bundle's types do not claim the site search"
    head = 'import { load } from "edgembed";\nexport async function main(): Promise<void> {\n  const model = await load("./export/");\n'
    for name, (line, needle) in BAD_TS.items():
        bad = _tsc(proj, f"bad_{name}", f"{head}  {line}\n  void wrong;\n}}\n")
        assert bad.returncode != 0 and "error TS" in bad.stdout and needle in bad.stdout, (name, bad.stdout)


def _bundle(proj: Path) -> tuple[subprocess.CompletedProcess, Path, Path]:
    (proj / "page.mjs").write_text(FLAT_PAGE, encoding="utf-8")
    out, meta = proj / "dist" / "page.js", proj / "meta.json"
    proc = _run([BIN / "esbuild", "page.mjs", "--bundle", "--minify", "--format=esm", "--platform=browser",
                 f"--outfile={out}", f"--metafile={meta}"], proj)
    return proc, out, meta


@pytest.fixture(scope="module")
def bundled(package) -> tuple[Path, Path, Path]:
    """The flat-only page bundled in a project that has both peers installed (so a static import of either would
    be followed): (project, bundle, metafile)."""
    proj = _project(package, "bundle", PEERS)
    proc, out, meta = _bundle(proj)
    assert proc.returncode == 0, proc.stderr
    return proj, out, meta


def test_flat_bundle_is_small_and_has_no_onnxruntime(bundled):
    """The flat-only page bundles to <= 100 KB minified and its inputs hold nothing of onnxruntime-web."""
    _, out, meta = bundled
    inputs = list(json.loads(meta.read_text())["inputs"])
    assert any(i.endswith("edgembed/flat.mjs") for i in inputs)
    assert not [i for i in inputs if "onnxruntime" in i], inputs
    assert "onnxruntime-web/dist" not in out.read_text(encoding="utf-8")
    size = out.stat().st_size
    assert size <= MAX_FLAT_BUNDLE, size
    print(f"flat-only page: {size:,} bytes minified, inputs: {', '.join(Path(i).name for i in inputs)}")


def test_flat_bundle_needs_no_peer_installed(package):
    """A flat-only page bundles in a project that installed neither optional peer (the runtime imports them by a
    run-time name only, never a specifier a bundler must resolve)."""
    proc, out, meta = _bundle(_project(package, "bundle-bare"))
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size <= MAX_FLAT_BUNDLE


def test_pages_in_chromium(package, bundled, distilled_dir, texts, tmp_path):
    """In Chromium: the bundled flat-only page, and the README's import-map page over node_modules on both
    backends, equal the Python flat backend to 1e-5; no request leaves 127.0.0.1; the flat pages fetch no
    onnxruntime file."""
    from exporter.proof.browser import PageSpec, browser_available, browser_run

    ok, why = browser_available()
    if not ok:
        pytest.skip(f"no browser: {why}")
    folder = tmp_path / "minilm"
    export(distilled_dir, folder, quant="int8", dims=128, demo=False)
    bundle_site = bundled[0]
    mapped_site = _project(package, "importmap", PEERS, served=True)
    for site, html in ((bundle_site, BUNDLED_HTML), (mapped_site, IMPORTMAP_HTML)):
        (site / "index.html").write_text(html, encoding="utf-8")
        shutil.rmtree(site / "minilm", ignore_errors=True)
        shutil.copytree(folder, site / "minilm")
    pages = [PageSpec(bundle_site, "flat", texts=texts, name="bundled-flat"),
             PageSpec(mapped_site, "flat", texts=texts, name="importmap-flat"),
             PageSpec(mapped_site, "onnx", texts=texts, name="importmap-onnx")]
    ref = load(folder, backend="flat").encode(texts)
    for rep in browser_run(pages):
        assert rep.problems == [], (rep.name, rep.problems)
        assert rep.requests and all(u.startswith("http://127.0.0.1:") for u in rep.requests), rep.name
        ort = [u for u in rep.requests if "onnxruntime" in u or u.endswith(".wasm")]
        assert bool(ort) == (rep.backend == "onnx"), (rep.name, ort)
        diff = float(np.abs(rep.embeddings - ref).max())
        assert diff <= 1e-5, (rep.name, diff)
        print(f"{rep.name} in Chromium vs Python flat: {diff:.3g}")
