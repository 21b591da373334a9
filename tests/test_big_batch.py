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

pytestmark = [pytest.mark.browser, needs_browser, needs_node]


def _lines(n: int) -> list[str]:
    import sys

    sys.path.insert(0, str(WEB.parent / "benchmarks"))
    from bench_browser import real_lines

    return real_lines(n)


@pytest.mark.parametrize("fill", ["0", "1"], ids=["batch-alone", "with-background-fill"])
def test_big_batch_takes_the_table_in_few_requests(distilled_dir, tmp_path, fill):
    """fill 0: the batch itself decides; fill 1 (the demo as exported): the page's background fill() runs alongside."""
    from exporter.proof.browser import chromium_path
    from exporter.targets.serve import serve_in_thread

    out = tmp_path / "m"
    export(distilled_dir, out, quant="int8", demo=True)
    lines = _lines(1500)
    log: list[str] = []
    lock = threading.Lock()
    srv, base = serve_in_thread(out)

    class Logged(srv.RequestHandlerClass):  # every request the server answers: the page's and its workers' alike
        def log_request(self, code="-", size="-"):
            with lock:
                log.append(self.path.split("?")[0])

    srv.RequestHandlerClass = Logged
    try:
        job = {"chromium": chromium_path(), "url": f"{base}index.html?backend=flat&workers=2&offline=0&fill={fill}", "lines": lines,
               "batch": 64}
        (tmp_path / "job.json").write_text(json.dumps(job), encoding="utf-8")
        proc = subprocess.run(["node", str(WEB / "scripts" / "big_batch.mjs"), str(tmp_path / "job.json"),
                               str(tmp_path / "out.json")], cwd=WEB, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
    finally:
        srv.shutdown()
        srv.server_close()
    res = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
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
