"""Big batches over lazy rows (issue 26, item 1): the demo page embedding thousands of texts in batches of 64 with two
Web Workers takes the table in a few requests (the whole model.edgembed once a batch needs WHOLE_SHARE of the shards),
never fetches a row shard twice across the page and its workers, and gives the whole-table path's vectors."""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter

import numpy as np
import pytest

import exporter
from exporter.pipeline import export
from tests.conftest import WEB
from tests.test_web import needs_browser, needs_node

pytestmark = [needs_node]


def _lines(n: int) -> list[str]:
    import sys

    sys.path.insert(0, str(WEB.parent / "benchmarks"))
    from bench_browser import real_lines

    return real_lines(n)


def _run_logged(distilled_dir, tmp_path, query: str, **job_extra) -> tuple[dict, list[str], object, list[str]]:
    """The demo exported (int8) and served with every request logged; web/scripts/big_batch.mjs run on 1,500 texts
    in batches of 64 with 2 workers at index.html?QUERY: (its result, the server's log, the export folder, the texts)."""
    from exporter.proof.browser import chromium_path
    from exporter.targets.serve import serve_in_thread

    out = tmp_path / "m"
    export(distilled_dir, out, quant="int8", demo=True)
    lines = _lines(1500)
    log: list[str] = []
    lock = threading.Lock()
    srv, base = serve_in_thread(out)
    gone, dropped = threading.Event(), []  # after a request for /go-offline: the server drops every connection unanswered

    class Logged(srv.RequestHandlerClass):  # every request the server answers: the page's, its workers', a service worker's
        def log_request(self, code="-", size="-"):
            with lock:
                log.append(self.path.split("?")[0])
            if self.path == "/go-offline":
                gone.set()

        def _serve(self, *a, **kw) -> None:  # a request read (on a new or a kept-alive connection): no answer
            if gone.is_set():
                self.close_connection = True
                dropped.append(1)
                return
            super()._serve(*a, **kw)

    srv.RequestHandlerClass = Logged
    try:
        job = {"chromium": chromium_path(), "url": f"{base}index.html?{query}", "lines": lines, "batch": 64, **job_extra}
        (tmp_path / "job.json").write_text(json.dumps(job), encoding="utf-8")
        proc = subprocess.run(["node", str(WEB / "scripts" / "big_batch.mjs"), str(tmp_path / "job.json"),
                               str(tmp_path / "out.json")], cwd=WEB, capture_output=True, text=True, timeout=600)
        print(proc.stderr[-3000:] if job_extra else "", end="")
        assert proc.returncode == 0, proc.stderr[-2000:]
    finally:
        srv.shutdown()
        srv.server_close()
    res = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    return {**res, "dropped": len(dropped)}, log, out, lines


@pytest.mark.browser
@needs_browser
@pytest.mark.parametrize("fill", ["0", "1"], ids=["batch-alone", "with-background-fill"])
def test_big_batch_takes_the_table_in_few_requests(distilled_dir, tmp_path, fill):
    """fill 0: the batch itself decides; fill 1 (the demo as exported): the page's background fill() runs alongside."""
    res, log, out, lines = _run_logged(distilled_dir, tmp_path, f"backend=flat&workers=2&offline=0&fill={fill}")
    assert res["errors"] == [] and res["external"] == []
    table = [p for p in log if p.endswith("/model.edgembed") or "/rows/" in p and not p.endswith("/index.bin")]
    twice = {p: n for p, n in Counter(table).items() if n > 1}
    shards = sum("/rows/" in p for p in table)
    size = (out / "model.edgembed").stat().st_size
    print(f"fill={fill}: {len(lines)} texts in batches of 64, 2 workers: {len(table)} table requests ({shards} shards, "
          f"{res['before']['shardsFetched']} of them before the batch, "
          f"whole table {table.count('/model.edgembed')}x), first pass {res['passMs']:.0f} ms, second {res['secondPassMs']:.0f} ms; "
          f"rows {res['rows']}")
    assert twice == {}, f"fetched more than once: {list(twice)[:5]}"
    # the page's first query (and its start: a search, a similarity grid) fetched a few shards: lazy rows' point
    batch = len(table) - res["before"]["shardsFetched"]
    assert res["before"]["shardsFetched"] < 100
    assert batch <= 10, f"{batch} requests for the table during the big batch"
    assert res["rows"]["complete"] and res["rows"]["whole"] and res["runtime"]["pooledBatches"] > 0
    assert res["rows"]["bytesFetched"] <= 1.05 * size
    ref = exporter.load(out, backend="flat").encode(lines[:3])
    assert np.abs(np.asarray(res["vectors"], dtype=np.float32) - ref).max() <= 1e-5


NODE_CHECK = """
import { readFileSync } from "node:fs";
import { fromArtifacts } from "./runtime/edgembed.mjs";
import { parseRowsIndex, shardPath } from "./runtime/rows.mjs";
const dir = process.argv[2], texts = JSON.parse(readFileSync(process.argv[3], "utf8"));
const file = (p) => { const b = readFileSync(`${dir}/${p}`); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); };
const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, "utf8")), f = manifest.files;
const index = file(f.rows), ix = parseRowsIndex(index);
const art = { manifest, tokenizerJson: readFileSync(`${dir}/${f.tokenizer}`, "utf8"), chartable: file(f.chartable) };
const want = await (await fromArtifacts({ ...art, flat: file(f.flat) })).embed(texts);
const out = {};
for (const [name, whole] of [["whole", () => file(f.flat)], ["unreachable", () => null]]) {
  const seen = new Map();
  const fetchShard = async (k) => (seen.set(k, (seen.get(k) ?? 0) + 1), file(shardPath(ix, k)));
  const m = await fromArtifacts({ ...art, rows: { index, fetchShard, fetchWhole: async () => whole() }, wholeShare: 0.01 });
  const small = await m.embed(texts.slice(0, 1)); // a query: a few shards, under the share
  const got = [...small, ...(await m.embed(texts.slice(1)))];
  await m.fill();
  const same = got.every((v, i) => v.every((x, j) => Object.is(x, want[i][j])));
  out[name] = { same, stats: m.stats.rows, twice: [...seen.values()].filter((n) => n > 1).length };
}
console.log(JSON.stringify(out));
"""


def test_whole_table_or_shards_in_node(distilled_dir, tmp_path):
    """fromArtifacts with fetchWhole: a big batch takes the table in one request; when the file cannot be reached
    (fetchWhole gives null: offline), the rows come shard by shard, each once; the vectors equal the whole table's."""
    out = tmp_path / "m"
    export(distilled_dir, out, quant="int8")
    (tmp_path / "texts.json").write_text(json.dumps(_lines(400)), encoding="utf-8")
    (WEB / ".big_batch_check.mjs").write_text(NODE_CHECK, encoding="utf-8")
    try:
        proc = subprocess.run(["node", str(WEB / ".big_batch_check.mjs"), str(out), str(tmp_path / "texts.json")],
                              cwd=WEB, capture_output=True, text=True, timeout=300)
    finally:
        (WEB / ".big_batch_check.mjs").unlink()
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout)
    print(res)
    whole, unreachable = res["whole"], res["unreachable"]
    assert whole["same"] and unreachable["same"] and whole["twice"] == 0 and unreachable["twice"] == 0
    assert whole["stats"]["whole"] and whole["stats"]["complete"] and whole["stats"]["requests"] == whole["stats"]["shardsFetched"] + 1
    assert whole["stats"]["shardsFetched"] < 0.01 * whole["stats"]["shards"]
    assert not unreachable["stats"]["whole"] and unreachable["stats"]["complete"]
    assert unreachable["stats"]["shardsFetched"] == unreachable["stats"]["shards"]


@pytest.mark.browser
@needs_browser
def test_big_batch_in_a_page_the_service_worker_controls(distilled_dir, tmp_path):
    """The demo as exported (offline caching on): in a visit edgembed-sw.js controls, a big batch takes the table in a
    few requests too (model.edgembed, passed on by the worker while its cache lacks the shards), not shard by shard
    through the worker; the worker stores the shards from that file as it passes (its offline fill downloads none of
    them again: the table crosses the network once); once the worker holds every shard, a later visit's big batch
    reads them from its cache and no request for the table reaches the server; with the server gone, the visit works
    from that cache. Vectors equal Python's every time."""
    res, log, out, lines = _run_logged(distilled_dir, tmp_path, "backend=flat&workers=2", controlled=True,
                                       offlineAfter=True)
    assert res["errors"] == [] and res["external"] == [] and res["controlled"]
    everything, log = log, log[log.index("/controlled-visit"):]  # from the controlled visit on
    first, again = res, res["again"]
    size = (out / "model.edgembed").stat().st_size
    shard = lambda p: "/rows/" in p and not p.endswith("/index.bin")  # noqa: E731
    shard_bytes = (out / "rows" / "0000.bin").stat().st_size
    at = log.index("/model.edgembed") if "/model.edgembed" in log else len(log)
    total, after = sum(map(shard, everything)), sum(map(shard, log[at:]))
    twice = sum(n > 1 for n in Counter(filter(shard, everything)).values())
    print(f"row shards at the server: {total} in all, {twice} of them twice ({total * shard_bytes:,} bytes besides "
          f"model.edgembed's {size:,}); {after} after the page asked for model.edgembed")
    print(f"controlled visit: page {first['rows']['requests'] - first['before']['requests']} table requests in the "
          f"batch (whole: {first['rows']['whole']}), first pass {first['passMs']:.0f} ms; worker cache "
          f"{res['cachedShards']} shards; next visit: {again['rows']['shardsFetched']} shards read, first pass "
          f"{again['passMs']:.0f} ms; model.edgembed at the server {log.count('/model.edgembed')}x")
    ref = exporter.load(out, backend="flat").encode(lines[:3])
    assert first["rows"]["complete"] and first["runtime"]["pooledBatches"] > 0
    assert first["rows"]["whole"] and first["rows"]["requests"] - first["before"]["requests"] <= 10
    assert first["rows"]["bytesFetched"] <= 1.05 * size
    assert res["cachedShards"] == res["rows"]["shards"]  # the worker's fill went on to the end
    assert again["rows"]["complete"] and not again["rows"]["whole"]  # the worker's shards, not the network's table
    assert log.count("/model.edgembed") == 1, "the table went over the network once, for the first controlled batch"
    # the worker stored the shards from the page's model.edgembed as it passed: its fill fetched none once the page
    # asked for it, not the table again shard by shard (under way then, and answered after: at most the fill's
    # CONCURRENCY = 4 and the first visit's or the page's own, 8 at once); the table crossed the network once
    assert after <= 12, f"{after} row shards fetched after the page asked for model.edgembed"
    assert size + total * shard_bytes <= 1.05 * size, f"the table's bytes at the server: {size + total * shard_bytes:,}"
    offline = res["offline"]  # then the server went: the visit again, from the worker's cache
    print(f"server gone: {res['dropped']} connections dropped; the visit's first pass {offline['passMs']:.0f} ms")
    assert offline["rows"]["complete"] and offline["runtime"]["pooledBatches"] > 0
    for r in (first, again, offline):
        assert np.abs(np.asarray(r["vectors"], dtype=np.float32) - ref).max() <= 1e-5


@pytest.mark.browser
@needs_browser
def test_the_worker_takes_the_table_from_a_page_that_holds_it(distilled_dir, tmp_path):
    """The demo as exported with ?rows=whole (as a page that took model.edgembed at load, before edgembed-sw.js
    controlled it): the worker's offline fill asks the page for the table and stores every row shard from its bytes;
    no row shard reaches the server; with the server gone, the page (lazy rows: model.edgembed is not kept for
    offline) works from the worker's cache."""
    res, log, out, lines = _run_logged(distilled_dir, tmp_path, "backend=flat&workers=2&rows=whole", waitFill=True,
                                       offlineAfter=True, offlineQuery="backend=flat&workers=2")
    assert res["errors"] == [] and res["external"] == []
    shards = len(list((out / "rows").glob("*.bin"))) - 1  # rows/index.bin is not a shard
    table = [p for p in log if p.endswith("/model.edgembed") or "/rows/" in p and not p.endswith("/index.bin")]
    print(f"rows=whole, offline on: the table at the server {table.count('/model.edgembed')}x model.edgembed and "
          f"{len(table) - table.count('/model.edgembed')} row shards; the worker's cache {res['cachedShards']} of "
          f"{shards} shards; server gone: {res['dropped']} connections dropped, the visit's first pass "
          f"{res['offline']['passMs']:.0f} ms")
    assert res["cachedShards"] == shards, "the worker's fill did not finish"
    assert table == ["/model.edgembed"], f"the table crossed the network more than once: {len(table)} requests"
    ref = exporter.load(out, backend="flat").encode(lines[:3])
    for r in (res, res["offline"]):
        assert np.abs(np.asarray(r["vectors"], dtype=np.float32) - ref).max() <= 1e-5
