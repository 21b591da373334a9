"""The demo's first result without the tokenizer (issue 26): the page ships the token ids of the text its search box
opens with (computed at export with the export's own tokenizer) and the hashes of the row shards they are in, and
shows that query's result from those ids and shards alone; the tokenizer pack, rows/index.bin and the manifest come
after it. In Chromium, behind a server that holds tokenizer.bin back 3 s: the first result is drawn before the
tokenizer has arrived, its vector equals the page's own embed() of the text bit for bit (and Python's), no shard is
fetched twice; a box edited before the tokenizer came takes the usual path (it waits for the tokenizer)."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

import exporter
from exporter.pipeline import export
from exporter.proof.engines import engine_available, open_engine
from exporter.proof.engines.demo import READY
from exporter.targets.serve import make_server

HOLD_S = 3.0  # how long the server holds tokenizer.bin back
EDITED = "sort a list in place"


def _needs_vendor():
    from exporter.targets.web import check_vendor

    try:
        check_vendor()
    except Exception as e:  # noqa: BLE001 (the skip says why)
        pytest.skip(f"demo npm files missing: {e}")


@pytest.fixture(scope="module")
def site(distilled_dir, tmp_path_factory) -> Path:
    """The default model's demo, int8@64 (a small table: few shards)."""
    _needs_vendor()
    out = tmp_path_factory.mktemp("first") / "exp"
    export(distilled_dir, out, dims=64, quant="int8", demo=True)
    return out


def _first(html: str) -> dict:
    m = re.search(r'<input id="query"[^>]*data-first="([^"]*)"', html)
    assert m, "the search box carries no data-first"
    import html as h

    return json.loads(h.unescape(m.group(1)))


def test_the_page_ships_the_first_query_s_ids_and_hashes(site):
    """data-first: the box's text, its ids as Python's tokenizer gives them (add_special_tokens=False), the rows index's
    fields and the hashes of exactly the shards those ids are in; the page preloads none of the model's files (they
    come after the first result), only the corpus."""
    from exporter.formats.rows import read_index
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    html = (site / "index.html").read_text(encoding="utf-8")
    first = _first(html)
    box = re.search(r'<input id="query"[^>]*value="([^"]*)"', html).group(1)
    assert first["text"] == box
    tok = load_tokenizer((site / "tokenizer.json").read_text(encoding="utf-8"))
    ids = encode_ids(tok, [box])[0]
    assert first["ids"] == ids and len(ids) >= 3
    assert tok.encode(box, add_special_tokens=False).ids == ids
    ix = read_index((site / "rows/index.bin").read_bytes())
    rows = first["rows"]
    assert (rows["vocab"], rows["dims"], rows["quant"], rows["shardRows"], rows["shards"], rows["rowBytes"]) == \
        (ix["vocab"], 64, "int8", ix["shard_rows"], ix["shards"], ix["row_bytes"])
    want = {str(k): ix["hashes"][k].hex() for k in sorted({i // ix["shard_rows"] for i in ids})}
    assert rows["hashes"] == want
    preloads = re.findall(r'<link rel="preload" href="([^"]+)"', html)
    assert preloads == ["demo/corpus.json", "demo/corpus.bin"], preloads


def test_no_first_query_without_rows_or_for_pq(distilled_dir, tmp_path):
    """Without rows/ (--no-rows) or for a pq table (its codebooks live in rows/index.bin) the page ships no ids and
    preloads the model's files as before."""
    _needs_vendor()
    for name, kw in (("norows", {"rows": False, "quant": "int8"}), ("pq", {"quant": "pq8"})):
        out = tmp_path / name
        export(distilled_dir, out, dims=32, demo=True, **kw)
        html = (out / "index.html").read_text(encoding="utf-8")
        assert "data-first" not in html, name
        assert 'href="manifest.json"' in html, name


def _serve(folder: Path):
    """FOLDER served on 127.0.0.1 with tokenizer.bin held back HOLD_S seconds; every request path logged, in order."""
    srv = make_server(folder, quiet=True)
    log: list[str] = []
    base = srv.RequestHandlerClass

    class Held(base):
        def _serve(self, head: bool) -> None:
            log.append(self.path.split("?")[0])
            if self.path.split("?")[0].endswith("/tokenizer.bin"):
                time.sleep(HOLD_S)
            super()._serve(head)

    srv.RequestHandlerClass = Held
    import threading

    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}/", log


# Run in every document before its scripts: note, as the first result is drawn, whether tokenizer.bin had arrived
# (Resource Timing lists a file once its response is complete); EDIT: type another query into the box before app.mjs runs.
AT_FIRST = """(() => {
  const mark = performance.mark.bind(performance);
  performance.mark = (name, o) => {
    if (name === "edgembed:first-result" && !window.__atFirst) {
      const done = performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname);
      window.__atFirst = { ms: performance.now(), tokenizer: done.some((p) => p.endsWith("/tokenizer.bin")),
        index: done.some((p) => p.endsWith("/rows/index.bin")), manifest: done.some((p) => p.endsWith("/manifest.json")),
        shown: [...document.querySelectorAll("#results .hit")].map((li) => Number(li.dataset.index)) };
    }
    return mark(name, o);
  };
  %s
})();"""
EDIT = """document.addEventListener("readystatechange", () => {
  if (document.readyState === "interactive") document.getElementById("query").value = %s; });""" % json.dumps(EDITED)

VECTORS = """async (text) => {
  const b64 = (a) => btoa(String.fromCharCode(...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)));
  const first = await window.edgembed.firstQueryVector();
  const [v] = await window.edgembed.embed([text]);
  const m = await (await import(new URL("demo/runtime/edgembed.bundle.mjs", document.baseURI).href)).load("./", { early: false });
  return { first: first && b64(first), embed: b64(v), ids: Array.from(m.tokenize(text)), at: window.__atFirst,
    top: await window.edgembed.search(text) };
}"""


@pytest.mark.browser
def test_first_result_before_the_tokenizer_and_bit_identical(site):
    ok, why = engine_available("chromium")
    if not ok:
        pytest.skip(f"chromium: {why}")
    first = _first((site / "index.html").read_text(encoding="utf-8"))
    srv, base, log = _serve(site)
    eng = open_engine("chromium", timeout=300)
    try:
        page = eng.new_page(init_script=AT_FIRST % "")
        page.goto(base + "index.html?offline=0&fill=0")
        page.evaluate(READY, 120_000, timeout=150)
        r = page.evaluate(VECTORS, first["text"], timeout=120)
        at = r["at"]
        assert at and not at["tokenizer"] and not at["index"] and not at["manifest"], at
        got, ref = (np.frombuffer(base64.b64decode(r[k]), "<f4") for k in ("first", "embed"))
        assert got.tobytes() == ref.tobytes(), "the first result's vector is embed()'s, bit for bit"
        assert r["ids"] == first["ids"], "the runtime's tokenizer gives the shipped ids"
        py = exporter.load(site, backend="flat").encode([first["text"]])[0]
        assert np.abs(got - py).max() <= 1e-5
        assert at["shown"] == r["top"] and len(at["shown"]) == 6
        shards = [p for p in log if "/rows/" in p and not p.endswith("/index.bin")]
        digits = first["rows"]["digits"]
        mine = {f"/rows/{int(k):0{digits}d}.bin" for k in first["rows"]["hashes"]}
        # the first query's shards came first (the similarity grid's later), and no shard twice: load() took them
        assert set(shards[: len(mine)]) == mine and len(shards) == len(set(shards)), shards
        assert not page.log().problems, page.log().problems

        edited = eng.new_page(init_script=AT_FIRST % EDIT)
        edited.goto(base + "index.html?offline=0&fill=0")
        edited.evaluate(READY, 120_000, timeout=150)
        r2 = edited.evaluate(VECTORS, EDITED, timeout=120)
        at2 = r2["at"]
        assert at2["tokenizer"] and at2["ms"] >= HOLD_S * 1000, at2  # the usual path: it waited for the tokenizer
        assert r2["first"] is None and at2["shown"] == r2["top"], r2
        assert not edited.log().problems, edited.log().problems
        print(f"first result at {at['ms']:.0f} ms with tokenizer.bin held {HOLD_S:.0f} s; edited box: {at2['ms']:.0f} ms")
    finally:
        eng.close()
        srv.shutdown()
        srv.server_close()


NODE_CHECK = """
import { embedIdsWithRows, fromArtifacts } from "./runtime/edgembed.mjs";
import { shardPath, partialRowsIndex } from "./runtime/rows.mjs";
import { readFileSync } from "node:fs";
const [dir, firstJson, other] = process.argv.slice(1);
const first = JSON.parse(firstJson), ix = partialRowsIndex(first.rows);
const disk = (k) => readFileSync(`${dir}/${shardPath(ix, k)}`);
const out = {};
const { vectors, shards } = await embedIdsWithRows(first.rows, [first.ids], async (k) => disk(k));
const m = await fromArtifacts({ tokenizerPack: readFileSync(`${dir}/tokenizer.bin`),
  rows: { index: readFileSync(`${dir}/rows/index.bin`), fetchShard: async (k) => disk(k) } });
const [ref] = await m.embedIds([first.ids]);
out.identical = Buffer.from(vectors[0].buffer).equals(Buffer.from(ref.buffer));
out.shards = Object.keys(shards).map(Number).sort((a, b) => a - b);
const err = async (f) => { try { await f(); return null; } catch (e) { return String(e.message); } };
out.unknown = await err(() => embedIdsWithRows(first.rows, [[Number(other)]], async (k) => disk(k)));
out.tampered = await err(() => embedIdsWithRows(first.rows, [first.ids], async (k) => { const b = Uint8Array.from(disk(k)); b[0] ^= 1; return b; }));
out.badHash = await err(() => embedIdsWithRows({ ...first.rows, hashes: { 0: "zz" } }, [[0]], async (k) => disk(k)));
out.pq = await err(() => embedIdsWithRows({ ...first.rows, quant: "pq8" }, [first.ids], async (k) => disk(k)));
console.log(JSON.stringify(out));
"""


def test_embed_ids_with_rows_in_node(site, tmp_path):
    """embedIdsWithRows (the runtime's entry for it) gives the lazy embedder's vector bit for bit in Node too; an id
    whose shard's hash was not shipped, a tampered shard, a malformed hash and a pq head are one-line errors."""
    import shutil
    import subprocess

    from tests.conftest import WEB

    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    first = _first((site / "index.html").read_text(encoding="utf-8"))
    per = first["rows"]["shardRows"]
    have = {int(k) for k in first["rows"]["hashes"]}
    other = next(i for i in range(first["rows"]["vocab"]) if i // per not in have)
    proc = subprocess.run(["node", "--input-type=module", "-e", NODE_CHECK, str(site), json.dumps(first), str(other)],
                          cwd=WEB, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["identical"] and r["shards"] == sorted(have), r
    assert "its hash is not in the partial rows index" in r["unknown"], r
    assert "sha256 mismatch" in r["tampered"], r
    assert "bad hash entry for shard 0" in r["badHash"], r
    assert "pq tables need rows/index.bin" in r["pq"], r
