"""Lazy rows (rows/: the table as row shards) and the tokenizer pack (tokenizer.bin): their layout, and the JS runtime's
lazy paths, which must give bit-identical vectors to the whole-table path for every quant, on the code-point fuzz and
the hostile set; a corrupt or foreign file is a one-line error naming it. The random seed is printed."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest

import exporter
from exporter.formats.rows import assemble_flat, check_rows, read_index, shard_name, shard_rows
from exporter.formats.tokpack import config_of, read_pack
from exporter.texts import hostile_texts
from tests.conftest import WEB, node_marks
from tests.fuzz_texts import every_code_point, hostile_mixes

SEED = int(os.environ.get("EDGEMBED_FUZZ_SEED") or random.SystemRandom().randrange(1 << 31))
CELLS = [("int8", 256), ("fp32", 64), ("fp16", 64), ("int8", 64), ("int4", 64), ("pq16", 64)]
SCRIPT = WEB / "scripts" / "lazy_check.mjs"


def with_node(test):
    """Skip TEST (with the reason) where node is missing."""
    for mark in node_marks():
        test = mark(test)
    return test


@pytest.fixture(scope="module")
def exports(distilled_dir, tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("lazy")
    return {(q, d): (root / f"{q}-{d}", exporter.export(distilled_dir, root / f"{q}-{d}", dims=d, quant=q, demo=False)) for q, d in CELLS}


@pytest.mark.parametrize("cell", CELLS, ids=[f"{q}-{d}" for q, d in CELLS])
def test_rows_are_the_flat_file_cut_into_shards(exports, cell, tmp_path):
    out, man = exports[cell]
    assert man["files"]["rows"] == "rows/index.bin" and "rows/index.bin" in man["sha256"]
    assert not [f for f in man["sha256"] if f.startswith("rows/") and f != "rows/index.bin"], "shards are covered by the index"
    idx = read_index((out / "rows/index.bin").read_bytes())
    quant, dims = cell
    assert (idx["vocab"], idx["dims"], idx["shard_rows"]) == (29525, dims, shard_rows(quant, dims, 29525))
    assert idx["shards"] == -(-29525 // idx["shard_rows"]) == len(list((out / "rows").glob("*.bin"))) - 1
    assert check_rows(out) == []
    assemble_flat(out, tmp_path / "rebuilt.edgembed")
    assert (tmp_path / "rebuilt.edgembed").read_bytes() == (out / "model.edgembed").read_bytes()
    sizes = [(out / shard_name(k, idx["shards"])).stat().st_size for k in range(idx["shards"])]
    print(f"{quant}@{dims}: {idx['shards']} shards of {idx['shard_rows']} rows, {max(sizes):,} bytes each, "
          f"index {(out / 'rows/index.bin').stat().st_size:,} bytes")
    assert max(sizes) <= 4096 or idx["shard_rows"] == 1


def test_a_smaller_shard_target_cuts_more_shards_than_the_default_cap(tmp_path):
    """write_rows(target=1 kB), as a site index's model is exported: 4 rows of int8@256 a shard, 7,382 shards (above
    MAX_SHARDS, which caps the default 2 kB target) with 4-byte hashes (index.bin as large as the default's); the
    shards still rebuild the flat file exactly, and a changed shard is still found."""
    from exporter.formats.flat import write_flat
    from exporter.formats.quantize import quantize
    from exporter.formats.rows import MAX_SHARDS, write_rows

    table = np.random.default_rng(7).standard_normal((29525, 256)).astype(np.float32)
    qt = quantize(table, "int8")
    sizes = []
    for target, rows in ((None, 8), (1024, 4)):
        out = tmp_path / f"t{target}"
        out.mkdir()
        write_flat(out / "model.edgembed", qt, normalize=True)
        write_rows(out, qt, True, target)
        idx = read_index((out / "rows/index.bin").read_bytes())
        assert idx["shard_rows"] == rows and idx["shards"] == -(-29525 // rows)
        assert idx["hash_bytes"] == rows  # 8 bytes a hash for 8 rows, 4 for 4: index.bin keeps its size
        sizes.append((out / "rows/index.bin").stat().st_size)
        assert check_rows(out) == []
        assemble_flat(out, tmp_path / "rebuilt.edgembed")
        assert (tmp_path / "rebuilt.edgembed").read_bytes() == (out / "model.edgembed").read_bytes()
    assert -(-29525 // 4) > MAX_SHARDS and abs(sizes[1] - sizes[0]) <= 8
    out = tmp_path / "t1024"  # a shard whose bytes change is still found with a 4-byte hash
    shard = out / shard_name(100, -(-29525 // 4))
    raw = bytearray(shard.read_bytes())
    raw[3] ^= 1
    shard.write_bytes(bytes(raw))
    assert check_rows(out) != []


@pytest.mark.parametrize("bad", [0, -1, 63, 1.5, "1024", True])
def test_bad_rows_bytes_is_a_one_line_error_and_no_folder(bad, tmp_path):
    from exporter.errors import EdgembedError

    with pytest.raises(EdgembedError, match=r"^rows_bytes must be a whole number of bytes, at least 64 .*got ") as e:
        exporter.export(None, tmp_path / "out", demo=False, rows_bytes=bad)
    assert "\n" not in str(e.value) and not (tmp_path / "out").exists()


def test_a_corrupt_shard_is_found_by_the_index(exports, tmp_path):
    import shutil

    out = tmp_path / "exp"
    shutil.copytree(exports[("int8", 64)][0], out)
    p = out / shard_name(7, read_index((out / "rows/index.bin").read_bytes())["shards"])
    raw = bytearray(p.read_bytes())
    raw[3] ^= 0x40
    p.write_bytes(bytes(raw))
    assert check_rows(out) == [p.relative_to(out).as_posix()]
    from exporter.proof.parity import run_parity

    rep = run_parity(out, backends=["flat"])
    assert not rep["passed"] and rep["sha256_mismatch"] == [p.relative_to(out).as_posix()]


def test_the_pack_holds_the_tokenizer(exports):
    out, man = exports[("int8", 256)]
    assert man["files"]["tokenizer_pack"] == "tokenizer.bin"
    pack = read_pack((out / "tokenizer.bin").read_bytes())
    spec = json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))
    assert pack["vocab"] == spec["model"]["vocab"] and pack["entries"] == len(spec["model"]["vocab"])
    assert pack["config"] == json.loads(json.dumps(config_of(spec)))
    assert pack["chartable"] == (out / "chartable.bin").read_bytes()
    import gzip

    packed, js_gz = (out / "tokenizer.bin").stat().st_size, len(gzip.compress((out / "tokenizer.json").read_bytes(), 9))
    print(f"tokenizer.bin {packed:,} bytes; tokenizer.json gzip -9 {js_gz:,} (+ chartable.bin); ratio {packed / js_gz:.2f}")
    assert packed < 0.7 * js_gz


def test_exports_are_byte_identical(distilled_dir, exports, tmp_path):
    out, _ = exports[("int4", 64)]
    again = tmp_path / "again"
    exporter.export(distilled_dir, again, dims=64, quant="int4", demo=False)
    for f in ("tokenizer.bin", "rows/index.bin", shard_name(0, read_index((out / "rows/index.bin").read_bytes())["shards"]),
              "manifest.json"):
        assert (again / f).read_bytes() == (out / f).read_bytes(), f


# ---------------------------------------------------------------- the JS runtime (Node)


def _lazy_check(folder: Path, texts: list[str], tmp: Path) -> tuple[dict, np.ndarray]:
    (tmp / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    proc = subprocess.run(["node", str(SCRIPT), str(folder), str(tmp / "texts.json"), str(tmp / "out")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads((tmp / "out.json").read_text())
    return res, np.fromfile(tmp / "out.f32", dtype="<f4").reshape(len(texts), -1)


@pytest.mark.slow
@with_node
@pytest.mark.parametrize("cell", CELLS, ids=[f"{q}-{d}" for q, d in CELLS])
def test_lazy_paths_are_bit_identical_on_every_code_point(exports, cell, tmp_path):
    out, _ = exports[cell]
    texts = every_code_point(SEED) + hostile_mixes(SEED, 1500) + hostile_texts()
    res, vecs = _lazy_check(out, texts, tmp_path)
    assert res["bitIdentical"] == {"pack_whole": True, "lazy": True, "lazy_halves": True}, (SEED, res["bitIdentical"])
    assert res["idsEqual"] == {"pack_whole": True} and res["embedIdsBitIdentical"] and res["rebuiltEqualsFlat"]
    assert res["filled"]["complete"] and res["reads"] == res["shardsFetched"] + res["shards"], "no shard fetched twice"
    ref = exporter.load(out, backend="flat").encode(texts)
    diff = float(np.abs(vecs - ref).max())
    print(f"{cell}: {len(texts)} texts (seed {SEED}), lazy == pack == whole bit for bit, max |diff| to Python {diff:.1e}")
    assert diff <= 1e-5


@with_node
def test_lazy_rows_fetch_only_what_a_query_needs(exports, tmp_path):
    out, _ = exports[("int8", 256)]
    res, _ = _lazy_check(out, ["how do I catch an exception?"], tmp_path)
    assert res["bitIdentical"]["lazy"] and 1 <= res["shardsFetched"] <= 8
    print(f"one query: {res['shardsFetched']} of {res['shards']} shards, {res['shardBytes']:,} bytes")


@with_node
def test_cold_start_asks_early_and_background_work_yields(exports, tmp_path):
    """load() asks for the tokenizer pack and rows index with the manifest (not with early: false); a batch never waits
    for fill()'s background whole-table fetch (and its vectors equal the whole-table path's); fill() over shards starts
    no fetch while a batch fetches, flags its fetches background and fetches no shard twice (web/scripts/background_check.mjs)."""
    out, _ = exports[("int8", 64)]
    texts = ["how do I catch an exception?", "sort a list in place", "Ünïcödé 漢字 and emoji 🙂"]
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    proc = subprocess.run(["node", str(WEB / "scripts" / "background_check.mjs"), str(out), str(tmp_path / "texts.json"),
                           str(tmp_path / "out.json")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    res = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    early, late = res["cold"]["early"], res["cold"]["late"]
    assert sorted(early["askedBeforeManifest"]) == ["rows/index.bin", "tokenizer.bin"], early
    assert late["askedBeforeManifest"] == [], late
    for r in (early, late):
        assert sorted(r["requests"]) == ["manifest.json", "rows/index.bin", "tokenizer.bin"], r
    assert early["bytesFetched"] == late["bytesFetched"]
    whole = res["whole"]
    assert whole["wholeAsked"] == [{"background": True}] and whole["batchDone"] and whole["identical"], whole
    assert whole["after"]["whole"] and whole["after"]["complete"], whole
    fill = res["fill"]
    assert fill["batchShards"] >= 1 and fill["duringBatch"] == 0, fill
    assert fill["fetchedTwice"] == 0 and fill["complete"] and fill["batchShards"] + fill["fillShards"] == fill["shards"], fill
    print(f"a batch beside a background whole-table fetch: {whole['batchMs']:.0f} ms; fill: {fill['fillShards']} shards after "
          f"the batch's {fill['batchShards']}")


# ---------------------------------------------------------------- SHA-256 and integrity (Node)

SHA_CHECK = """
import { sha256Sync, sha256, toHex, hasSubtleCrypto } from "./runtime/sha256.mjs";
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(process.argv[1], "utf8"));
const out = [];
for (const hex of cases) {
  const b = Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  out.push([toHex(sha256Sync(b)), toHex(await sha256(b))]);
}
const big = new Uint8Array(3_000_001).map((_, i) => (i * 2654435761) >>> 24);
out.push([toHex(sha256Sync(big)), toHex(await sha256(big))]);
console.log(JSON.stringify({ out, subtle: hasSubtleCrypto() }));
"""


@with_node
def test_js_sha256_equals_hashlib(tmp_path):
    rng = random.Random(SEED)
    lengths = list(range(0, 200)) + [447, 448, 511, 512, 1000, 4096, 65536]
    data = [bytes(rng.randrange(256) for _ in range(n)) for n in lengths]
    (tmp_path / "cases.json").write_text(json.dumps([d.hex() for d in data]))
    proc = subprocess.run(["node", "--input-type=module", "-e", SHA_CHECK, str(tmp_path / "cases.json")], cwd=WEB,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    res = json.loads(proc.stdout)
    big = bytes(((i * 2654435761) & 0xFFFFFFFF) >> 24 for i in range(3_000_001))
    want = [hashlib.sha256(d).hexdigest() for d in data] + [hashlib.sha256(big).hexdigest()]
    assert [a for a, _ in res["out"]] == want, f"seed {SEED}"
    assert [b for _, b in res["out"]] == want
    print(f"sha256: {len(want)} inputs equal hashlib (JS implementation and {'SubtleCrypto' if res['subtle'] else 'fallback'}), seed {SEED}")


FOREIGN = """
import { readFileSync } from "node:fs";
import { fromArtifacts } from "./runtime/edgembed.mjs";
import { parseRowsIndex, shardPath } from "./runtime/rows.mjs";
const [dir, other] = process.argv.slice(1);
const index = readFileSync(dir + "/rows/index.bin");
const ix = parseRowsIndex(index);
const m = await fromArtifacts({ tokenizerPack: readFileSync(dir + "/tokenizer.bin"),
  rows: { index, fetchShard: async (k) => readFileSync((k === 0 ? other : dir) + "/" + shardPath(ix, k)) } });
try { await m.embed(["[PAD] the"]); console.log("no error"); } catch (e) { console.log(e.message); }
"""


@with_node
def test_a_shard_of_another_export_is_a_one_line_error(exports, distilled_dir, tmp_path):
    out, _ = exports[("int8", 64)]
    other = tmp_path / "other"
    model = exporter.load_model(distilled_dir)
    model.table = model.table[:, ::-1].copy()  # same shape, other values
    exporter.export(model, other, dims=64, quant="int8", demo=False)
    proc = subprocess.run(["node", "--input-type=module", "-e", FOREIGN, str(out), str(other)], cwd=WEB,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    first = shard_name(0, read_index((out / "rows/index.bin").read_bytes())["shards"])
    assert proc.stdout.strip() == f"{first}: sha256 mismatch: the file is corrupt or from another export"
