"""web/scripts/serve_h2.mjs, the benchmarks' HTTP/2 host (bench_site_rtt.py --http2): HTTP/2 over TLS, the bodies and
the response headers `edgembed serve` sends for the same files, so that bytes compare protocol to protocol."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import urllib.request
from pathlib import Path

from tests.conftest import WEB, node_marks

pytestmark = node_marks()

CLIENT = """
import http2 from "node:http2";
import { readFileSync } from "node:fs";
const job = JSON.parse(readFileSync(0, "utf8"));
const session = http2.connect(job.base, { rejectUnauthorized: false });
const one = (path, method) => new Promise((resolve, reject) => {
  const req = session.request({ ":path": path, ":method": method, "accept-encoding": "gzip" });
  const chunks = [];
  let head;
  req.on("response", (h) => { head = h; });
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => resolve({ path, method, headers: head, body: Buffer.concat(chunks).toString("base64") }));
  req.on("error", reject);
  req.end();
});
const out = [];
for (const [path, method] of job.requests) out.push(await one(path, method));
out.push({ alpn: session.alpnProtocol });
session.close();
process.stdout.write(JSON.stringify(out));
"""

SAME = ("content-type", "content-encoding", "cache-control", "x-content-type-options", "server", "accept-ranges", "vary")

def test_serve_h2_sends_edgembed_serves_bodies_and_headers(tmp_path: Path):
    from exporter.targets.serve import serve_in_thread

    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><p>" + "hi " * 200 + "</p>", encoding="utf-8")
    (site / "sub" / "a.json").write_text(json.dumps({"k": list(range(300))}), encoding="utf-8")
    (site / "sub" / "v.bin").write_bytes(bytes(range(256)) * 3)
    proc = subprocess.Popen(["node", str(WEB / "scripts" / "serve_h2.mjs"), str(site)], stdout=subprocess.PIPE, text=True)
    srv, base1 = serve_in_thread(site)
    try:
        base = proc.stdout.readline().strip()
        assert base.startswith("https://127.0.0.1:"), base
        requests = [["/", "GET"], ["/sub/a.json", "GET"], ["/sub/v.bin", "GET"], ["/nope.txt", "GET"],
                    ["/../../etc/passwd", "GET"], ["/sub/a.json", "POST"]]
        r = subprocess.run(["node", "--input-type=module", "-e", CLIENT], input=json.dumps({"base": base, "requests": requests}),
                           capture_output=True, text=True, cwd=WEB, timeout=60)
        assert r.returncode == 0, r.stderr[-2000:]
        got = json.loads(r.stdout)
        assert got[-1]["alpn"] == "h2"

        for res, (path, _) in zip(got[:3], requests[:3]):
            h = res["headers"]
            assert h[":status"] == 200, (path, h)
            body = base64.b64decode(res["body"])
            want = (site / (path.strip("/") or "index.html")).read_bytes()
            assert (gzip.decompress(body) if h.get("content-encoding") == "gzip" else body) == want, path
            req = urllib.request.Request(base1 + path.lstrip("/"), headers={"Accept-Encoding": "gzip"})
            with urllib.request.urlopen(req) as one:
                ref = {k.lower(): v for k, v in one.headers.items()}
            for k in SAME:
                assert (h.get(k) or "").strip() == (ref.get(k) or "").strip(), (path, k, h.get(k), ref.get(k))
            assert ("etag" in h) == ("etag" in ref) and ("last-modified" in h) == ("last-modified" in ref), path
        assert got[0]["headers"]["content-encoding"] == "gzip" and "content-encoding" not in got[2]["headers"]
        assert [g["headers"][":status"] for g in got[3:6]] == [404, 404, 405]
    finally:
        proc.kill()
        srv.shutdown()
        srv.server_close()
