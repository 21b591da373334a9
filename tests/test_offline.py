"""Offline after the first visit, and the self-test, in every engine (Chromium, Firefox, WebKit) through the demo:

- the page's self-test (selftest.json: ids and vectors from Python at export time) passes on the device, and a
  selftest.json whose vector was altered is reported as a failure, not passed over;
- the export's service worker (edgembed-sw.js) caches the files the flat backend needs; with the server gone, a
  reload still searches (every row shard is there), with no page error;
- a new export at the same URL replaces the cache: after the reload the page runs the new export (its dims and its
  vectors) and only the new export's cache is left;
- a flipped byte in an artifact is a one-line error naming it (the page's load() checks the manifest's sha256).
Every visit goes through a host (HostProxy) that injects a `<script>` snippet into each HTML page, as hosts do
(analytics, email obfuscation, live-reload), and wraps the service worker's script, when the browser registers it, in
a probe that reports its console errors and warnings, uncaught errors, and every respondWith / waitUntil promise
that rejects or answers with an error (what makes an engine log "the service worker encountered an unexpected
error"): the first visit, the reload, the new export and the offline reload must leave none, in every engine.
A tampered row shard or runtime module is still refused (the markup is not checked; what computes vectors is), and
a fill cut by the network resumes where it stopped.
The cells go to the engine matrix (test-artifacts/engine-matrix.json, the README's table)."""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

import exporter
from exporter.pipeline import export
from exporter.proof.engines import ENGINES, demo, engine_available, open_engine
from exporter.proof.engines.matrix import record
from exporter.targets.serve import make_server
from tests.conftest import ARTIFACTS

MATRIX = ARTIFACTS / "engine-matrix.json"
QUERY = "how do I catch an exception?"
CACHES = """async () => { const names = await caches.keys(); return names.filter((n) => n.startsWith("edgembed-offline:")); }"""


@pytest.fixture(scope="module")
def sites(distilled_dir, tmp_path_factory) -> dict[str, Path]:
    """Two exports of the default model (int8@64 and int4@32: small tables, so caching them is quick) with the demo."""
    root = tmp_path_factory.mktemp("offline")
    return {"a": root / "a", "b": root / "b",
            "a_man": export(distilled_dir, root / "a", dims=64, quant="int8", demo=True),
            "b_man": export(distilled_dir, root / "b", dims=32, quant="int4", demo=True)}


class Site:
    """A folder served on one port, whose server can be stopped and started again (with other contents)."""

    def __init__(self, folder: Path):
        self.folder, self.srv, self.port = folder, None, 0

    def start(self) -> str:
        self.srv = make_server(self.folder, port=self.port)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        srv, self.srv = self.srv, None
        srv.shutdown()
        srv.server_close()

    def replace(self, src: Path) -> None:
        shutil.rmtree(self.folder)
        shutil.copytree(src, self.folder)


SNIPPET = "/__host__/snippet.js"  # what the host injects into every HTML page (same origin: the demo's CSP allows it)
SW_LOG = "/__host__/sw-log"
SLOW = "/__host__/slow.txt"
# Prepended to edgembed-sw.js when the browser fetches it as a service worker (`Service-Worker: script`); the fill's
# own fetch of the file (checked against the manifest) gets it unchanged.
SW_PROBE = """(() => {
  const send = (kind, text) => { try { fetch(%(log)s, { method: "POST", body: JSON.stringify({ kind, text: String(text) }) }).catch(() => {}); } catch {} };
  send("probe", "installed __SCRIPT__");
  const fmt = (v) => (v && v.message !== undefined ? (v.name ? v.name + ": " : "") + v.message : String(v));
  for (const level of ["error", "warn"]) { const f = console[level]; console[level] = (...a) => { send(level, a.map(fmt).join(" ")); return f.apply(console, a); }; }
  self.addEventListener("error", (e) => send("error", e.message));
  self.addEventListener("unhandledrejection", (e) => send("unhandledrejection", fmt(e.reason)));
  const respondWith = FetchEvent.prototype.respondWith, waitUntil = ExtendableEvent.prototype.waitUntil;
  FetchEvent.prototype.respondWith = function (p) {
    const url = this.request.url;
    Promise.resolve(p).then((r) => {
      if (!(r instanceof Response)) send("respondWith", url + ": not a Response");
      else if (r.type === "error") send("respondWith", url + ": Response.error()");
      else if (r.status === 503) r.clone().text().then((t) => send("503", url + ": " + t.trim()));
    }, (e) => send("respondWith", url + ": rejected: " + fmt(e)));
    return respondWith.call(this, p);
  };
  ExtendableEvent.prototype.waitUntil = function (p) {
    Promise.resolve(p).catch((e) => send("waitUntil", "rejected: " + fmt(e)));
    try { return waitUntil.call(this, p); } catch (e) { send("waitUntil", "threw: " + fmt(e)); throw e; }
  };
})();
""" % {"log": json.dumps(SW_LOG)}


class HostProxy:
    """A host in front of a Site: it forwards every request to it, adds one `<script src=SNIPPET>` before </body> of
    each HTML page (the snippet marks the page: data-host-snippet="ran"), wraps the service worker's script in
    SW_PROBE, and collects the probe's reports (`entries`). When the site is stopped, every request but the probe's
    reports fails as a network error (the connection is closed unanswered)."""

    def __init__(self, upstream: "Site"):
        self.upstream, self.entries, self.snippet_requests = upstream, [], 0
        self.rows_requests, self.cut_after = 0, None  # cut_after N: after N row-shard requests, nothing gets through
        self.unserved: set[str] = set()  # paths never answered (a network error), as a host that lacks them
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path == SW_LOG:
                    host.entries.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def do_GET(self) -> None:
                if self.upstream_down() or self.path.split("?")[0] in host.unserved:
                    return  # no answer: the browser sees a network error
                if self.path.split("?")[0] == SLOW:  # a slow answer: the page reloads while it is on its way
                    time.sleep(3)
                    return self.reply(200, {"Content-Type": "text/plain"}, b"slow\n")
                if self.path.split("?")[0] == SNIPPET:
                    host.snippet_requests += 1
                    return self.reply(200, {"Content-Type": "text/javascript"},
                                      b'document.documentElement.dataset.hostSnippet = "ran";\n')
                # The worker's script as the browser fetches it (to install or to check for an update) is rewritten
                # (SW_PROBE): never validated against the plain copy the fill's own fetch left in the browser's HTTP
                # cache, or a 304 would hand the browser that copy as "a new version" of the worker.
                drop = ("accept-encoding", "connection", "host") + (
                    ("if-none-match", "if-modified-since") if self.headers.get("Service-Worker") == "script" else ())
                headers = {k: v for k, v in self.headers.items() if k.lower() not in drop}
                conn = http.client.HTTPConnection("127.0.0.1", host.upstream.port, timeout=60)
                try:
                    conn.request("GET", self.path, headers=headers)
                    r = conn.getresponse()
                    body, out = r.read(), {k: v for k, v in r.getheaders() if k.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length")}
                except OSError:
                    return
                finally:
                    conn.close()
                kind, plain = r.getheader("Content-Type") or "", not r.getheader("Content-Encoding")
                if r.status == 200 and plain and kind.startswith("text/html"):
                    tag, at = f'<script src="{SNIPPET}"></script>'.encode(), body.rfind(b"</body>")
                    body = body[:at] + tag + body[at:] if at >= 0 else body + tag
                elif r.status == 200 and plain and self.headers.get("Service-Worker") == "script":
                    probe = SW_PROBE.replace("__SCRIPT__", hashlib.sha256(body).hexdigest()[:12])
                    body = probe.encode() + body  # (the worker's own fetch of the file gets it as it is)
                else:
                    return self.reply(r.status, out, body)
                out = {k: v for k, v in out.items() if k.lower() not in ("last-modified", "etag")}  # a changed body: no validators
                self.reply(r.status, {**out, "Cache-Control": "no-store"}, body)

            def upstream_down(self) -> bool:
                if self.path.startswith("/rows/") and not self.path.startswith("/rows/index"):
                    host.rows_requests += 1
                return host.upstream.srv is None or (host.cut_after is not None and host.rows_requests > host.cut_after)

            def reply(self, status: int, headers: dict, body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.srv.server_address[1]}/"

    def problems(self) -> list[str]:
        """The probe's reports but one: a 503 for a request the page gave up on (a reload aborts the page's fetches)."""
        assert any(e["kind"] == "probe" for e in self.entries), "the service worker ran without the host's probe"
        return [f"{e['kind']}: {e['text']}" for e in self.entries if e["kind"] != "probe"
                and not (e["kind"] == "503" and e["text"].endswith("the page stopped asking"))]

    def close(self) -> None:
        self.srv.shutdown()
        self.srv.server_close()


@pytest.fixture(params=ENGINES)
def engine(request):
    ok, why = engine_available(request.param)
    if not ok:
        pytest.skip(f"{request.param}: {why}")
    eng = open_engine(request.param, timeout=600)
    yield eng
    eng.close()


# The page's offline state, or after MS {state: "timeout", panel: what the page's offline line says} (which step the
# worker stalled at: "caching 120 of 1,013 files", or no word at all), instead of an evaluate that times out.
OFFLINE_STATE_WITHIN = """async (ms) => await Promise.race([window.edgembed.offline(), new Promise((r) => setTimeout(() =>
  r({ state: "timeout", panel: document.getElementById("p-offline")?.textContent }), ms))])"""


def _wait_offline(page, seconds: float = 240) -> dict:
    return page.evaluate(OFFLINE_STATE_WITHIN, int((seconds - 15) * 1000), timeout=seconds)


# The page's own background fetch of the table done (a shard still on its way when the server goes would be a 503, as
# for any page that loses the network: not what the offline reload is about).
FILLED = "async () => { await window.edgembed.filled(); }"
SNIPPET_RAN = "() => document.documentElement.dataset.hostSnippet === 'ran'"


def _no_problems(p, host: HostProxy, when: str) -> None:
    """No page error, no console error, and nothing the service worker's probe reported (Firefox's "A ServiceWorker
    intercepted the request and encountered an unexpected error" is a page error there)."""
    log = p.log()
    assert log.page_errors == [] and log.console_errors == [], f"{when}: {log.page_errors + log.console_errors} {host.entries}"
    assert host.problems() == [], f"{when}: the service worker: {host.problems()}"


def _new_worker_script(folder: Path) -> str:
    """A changed edgembed-sw.js in FOLDER (its manifest's sha256 updated): the browser installs it as a new version of the
    worker while the old one caches the new export. Taking over at once ended the old worker mid-fill (Firefox); the
    new version now waits until no page of the export is open, and the old one finishes."""
    sw = folder / "edgembed-sw.js"
    sw.write_bytes(sw.read_bytes() + b"\n// a newer edgembed-sw.js\n")
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    man["sha256"]["edgembed-sw.js"] = hashlib.sha256(sw.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    return man["sha256"]["edgembed-sw.js"][:12]


def test_offline_reload_and_a_new_export(engine, sites, tmp_path):
    site = Site(tmp_path / "site")
    shutil.copytree(sites["a"], site.folder)
    site.start()
    host = HostProxy(site)  # the page as a host serves it: a <script> snippet injected into index.html
    p = engine.new_page(width=1100, height=900)
    try:
        demo.open_demo(p, host.base + "index.html")  # a normal visit: the page fills its rows in the background too
        assert p.evaluate(SNIPPET_RAN), "the host's snippet did not run"
        check = p.evaluate("async () => await window.edgembed.selfTest()", timeout=120)
        assert check and check["ok"] and check["idMismatches"] == 0 and check["maxDiff"] <= 1e-5, check
        record(MATRIX, engine.name, "self_test", f"ok: {check['idTexts']} id lists, max |diff| {check['maxDiff']:.1e}")
        t0 = time.perf_counter()
        state = _wait_offline(p)
        if state["state"] == "unsupported":
            record(MATRIX, engine.name, "offline", "no service workers in this engine build")
            pytest.skip(f"{engine.name}: no service workers here")
        assert state["state"] == "ready", state
        cached = time.perf_counter() - t0
        online_top = p.evaluate("async (q) => window.edgembed.search(q)", QUERY)
        _no_problems(p, host, "first visit")

        # online, controlled by the worker now; fetches still on their way when the page goes (as the page's background
        # row fetches are on a reload) are aborted: Firefox logged the worker's rejected respondWith for each
        p.evaluate("(n) => { for (let i = 0; i < n; i++) fetch(%s + '?' + i).catch(() => {}); }" % json.dumps(SLOW), 4)
        time.sleep(0.5)
        p.reload()
        p.evaluate(demo.READY, 120000, timeout=180)
        assert p.evaluate(SNIPPET_RAN) and _wait_offline(p)["state"] == "ready"
        _no_problems(p, host, "reload")

        p.evaluate(FILLED, timeout=180)
        site.stop()  # the server is gone: the same page reloads from the service worker's cache
        p.reload()
        p.evaluate(demo.READY, 120000, timeout=180)
        assert p.evaluate(SNIPPET_RAN), "offline, the page as the host served it (its snippet too) comes from the cache"
        offline_top = p.evaluate("async (q) => window.edgembed.search(q)", QUERY)
        assert offline_top == online_top and len(offline_top) == 6
        got, _ = demo.embed(p, ["A man is playing a guitar.", "静的埋め込み 👩‍💻", "ununderstandable zyzzyva"])
        ref = exporter.load(sites["a"], backend="flat").encode(["A man is playing a guitar.", "静的埋め込み 👩‍💻",
                                                                 "ununderstandable zyzzyva"])
        assert np.abs(got - ref).max() <= 1e-5
        _no_problems(p, host, "offline reload")
        names = p.evaluate(CACHES)
        version_a = hashlib.sha256((sites["a"] / "manifest.json").read_bytes()).hexdigest()
        assert len(names) == 1 and names[0].endswith(version_a), names

        site.replace(sites["b"])  # a new export at the same URL, with a new edgembed-sw.js (as a new release ships):
        new_sw = _new_worker_script(site.folder)  # the browser installs it while the old worker caches the new export
        site.start()
        p.reload()  # Firefox and WebKit check the worker's script on this navigation
        p.evaluate(demo.READY, 120000, timeout=180)
        panel = demo.dom(p)["panel"]
        assert panel["dims"] == "32" and panel["quant"] == "int4", panel
        texts = ["a new export", "ununderstandable zyzzyva"]
        assert np.abs(demo.embed(p, texts)[0] - exporter.load(sites["b"], backend="flat").encode(texts)).max() <= 1e-5
        if {"kind": "probe", "text": f"installed {new_sw}"} not in host.entries:  # the others may check later: now
            p.evaluate("async () => { await (await navigator.serviceWorker.getRegistration()).update(); }", timeout=60)
        state = _wait_offline(p, 150)
        starts = sum(e["kind"] == "probe" for e in host.entries)  # the probe reports each start of the worker's script
        assert state["state"] == "ready", f"{state}; the worker's script started {starts} times"
        assert {"kind": "probe", "text": f"installed {new_sw}"} in host.entries, "the new edgembed-sw.js did not run"
        version_b = hashlib.sha256((site.folder / "manifest.json").read_bytes()).hexdigest()
        names = p.evaluate(CACHES)
        assert len(names) == 1 and names[0].endswith(version_b), f"the old export's cache is gone: {names}"
        _no_problems(p, host, "a new export")

        p.evaluate(FILLED, timeout=180)
        site.stop()  # and the new export offline
        p.reload()
        p.evaluate(demo.READY, 120000, timeout=180)
        assert demo.dom(p)["panel"]["dims"] == "32" and p.evaluate(SNIPPET_RAN)
        _no_problems(p, host, "the new export, offline")
        record(MATRIX, engine.name, "offline", f"reload with the server gone: search works ({cached:.1f} s to cache)")
        print(f"{engine.name}: offline ready after {cached:.1f} s; reload offline searched; the new export replaced the "
              f"cache; a host's <script> in index.html; no service-worker error ({len(host.entries)} probe reports)")
    finally:
        p.close()
        host.close()
        if site.srv is not None:
            site.stop()


# Register the export's service worker from a page that does not (?offline=0) and wait for its last word.
REGISTER = """async () => {
  const reg = await navigator.serviceWorker.register("edgembed-sw.js");
  await navigator.serviceWorker.ready;
  return await new Promise((resolve) => {
    navigator.serviceWorker.addEventListener("message", ({ data }) => {
      if (data && data.type === "edgembed-offline" && data.state !== "caching") resolve(data);
    });
    reg.active.postMessage("edgembed-offline-sync");
  });
}"""


SYNC = """async () => {
  const reg = await navigator.serviceWorker.register("edgembed-sw.js");
  await navigator.serviceWorker.ready;
  const seen = [];
  return await new Promise((resolve) => {
    navigator.serviceWorker.addEventListener("message", ({ data }) => {
      if (!data || data.type !== "edgembed-offline") return;
      seen.push(data);
      if (data.state !== "caching") resolve(seen);
    });
    reg.active.postMessage("edgembed-offline-sync");
  });
}"""


def test_an_interrupted_fill_resumes(engine, sites, tmp_path):
    """The connection goes while the worker caches (as when the user leaves and the browser stops the worker): the
    files it stored are kept, the page is told it resumes, and the next sync fetches only the rest."""
    site = Site(tmp_path / "site")
    shutil.copytree(sites["a"], site.folder)
    site.start()
    host = HostProxy(site)
    host.cut_after = 300
    # the page cannot take the whole table (on loopback its first query may): else it hands its copy to the worker,
    # whose fill then fetches no shard at all (edgembed-sw.js, tableFromPages) and nothing is cut
    host.unserved = {"/model.edgembed"}
    p = engine.new_page()
    try:
        p.goto(host.base + "index.html?offline=0&fill=0")
        if not p.evaluate("() => 'serviceWorker' in navigator"):
            pytest.skip(f"{engine.name}: no service workers here")
        first = p.evaluate(SYNC, timeout=240)[-1]
        assert first["state"] == "failed" and first["resumable"], first
        stored = p.evaluate("async () => (await (await caches.open((await caches.keys())[0])).keys()).length")
        assert stored > 100, f"the files stored before the cut are kept ({stored})"
        host.cut_after, before = None, host.rows_requests
        seen = p.evaluate(SYNC, timeout=240)
        assert seen[0]["state"] == "caching" and seen[0]["resumed"] and seen[0]["done"] >= 100, seen[0]
        assert seen[-1]["state"] == "ready", seen[-1]
        total = seen[-1]["total"]
        fetched = host.rows_requests - before
        shards = len(list((sites["a"] / "rows").glob("*.bin"))) - 1
        assert fetched < shards, f"the resumed fill fetched {fetched} of {shards} shards again"
        problems = [p for p in host.problems() if not p.endswith("model.edgembed is not cached")]  # (unserved)
        assert problems == [], problems
        print(f"{engine.name}: cut after 300 shard requests, {stored} files kept; resumed at {seen[0]['done']} of {total}, "
              f"{fetched} shards fetched to finish")
    finally:
        p.close()
        host.close()
        site.stop()


def test_a_tampered_shard_or_module_is_refused_offline(engine, sites, tmp_path):
    """Integrity still holds where vectors are computed: a row shard or a runtime module changed after the export is
    not cached (the worker names it), while the host's changes to index.html are (the test above)."""
    shards = sorted((sites["a"] / "rows").glob("*.bin"))
    for rel in [shards[-1].relative_to(sites["a"]).as_posix(), "demo/runtime/wordpiece.mjs"]:
        site = Site(tmp_path / rel.replace("/", "_"))
        shutil.copytree(sites["a"], site.folder)
        raw = bytearray((site.folder / rel).read_bytes())
        raw[len(raw) // 2] ^= 1
        (site.folder / rel).write_bytes(bytes(raw))
        site.start()
        host = HostProxy(site)
        p = engine.new_page()
        try:
            p.goto(host.base + "index.html?offline=0&fill=0")
            if not p.evaluate("() => 'serviceWorker' in navigator"):
                pytest.skip(f"{engine.name}: no service workers here")
            state = p.evaluate(REGISTER, timeout=240)
            assert state["state"] == "failed" and rel in state["reason"] and "does not match" in state["reason"], state
            assert p.evaluate(CACHES) == [], "nothing of a tampered export is kept"
            assert host.problems() == [], host.problems()
        finally:
            p.close()
            host.close()
            site.stop()


def test_a_corrupt_artifact_is_a_one_line_error_in_the_page(engine, sites, tmp_path):
    """A flipped byte in tokenizer.bin, or a selftest.json whose reference vector was altered: load() names the file
    (sha256 against the manifest), and with the manifest's hash of selftest.json updated too, selfTest reports it."""
    folder = tmp_path / "bad"
    shutil.copytree(sites["a"], folder)
    pack = folder / "tokenizer.bin"
    raw = bytearray(pack.read_bytes())
    raw[len(raw) // 2] ^= 1
    pack.write_bytes(bytes(raw))
    site = Site(folder)
    base = site.start()
    p = engine.new_page()
    try:
        p.goto(base + "index.html?offline=0")
        msg = p.evaluate("""async () => { while (window.edgembed === undefined) await new Promise((r) => setTimeout(r, 20));
          try { await window.edgembed.ready; return null; } catch (e) { return e.message; } }""", timeout=120)
        assert msg is not None and msg.startswith("tokenizer.bin: sha256 ") and "\n" not in msg, msg
        assert "corrupt, or from another export" in msg
        spec = json.loads((sites["a"] / "selftest.json").read_text(encoding="utf-8"))
        import base64

        vec = bytearray(base64.b64decode(spec["vectors"]["float32_base64"]))
        vec[2] ^= 0x10  # the first vector's first value, changed in its mantissa
        spec["vectors"]["float32_base64"] = base64.b64encode(bytes(vec)).decode()
        shutil.copy(sites["a"] / "tokenizer.bin", pack)
        (folder / "selftest.json").write_text(json.dumps(spec), encoding="utf-8")
        man = json.loads((folder / "manifest.json").read_text())
        man["sha256"]["selftest.json"] = hashlib.sha256((folder / "selftest.json").read_bytes()).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(man))
        p.goto(base + "index.html?offline=0&fill=0")
        p.evaluate(demo.READY, 120000, timeout=180)
        check = p.evaluate("async () => await window.edgembed.selfTest()", timeout=120)
        assert check["ok"] is False and check["maxDiff"] > 1e-5, check
        assert "FAILED" in demo.dom(p)["panel"]["self-test"]
    finally:
        p.close()
        site.stop()
