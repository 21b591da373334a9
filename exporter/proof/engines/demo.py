"""What the tests ask of an export's demo page in any engine, through its contract (``window.edgembed``: ready,
embed(texts, {backend}), search(q), compare(lines), runtime(backend), info(backend), bytesFetched) and the runtime's
own modules.

Vectors and ids travel as base64 of little-endian float32 / int32 arrays: one string per call, whatever the driver."""

from __future__ import annotations

import base64
from typing import Sequence

import numpy as np

from exporter.proof.engines.session import Page

_B64 = """const b64 = (a) => { const u8 = new Uint8Array(a.buffer, a.byteOffset, a.byteLength); let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s); };"""

READY = """async (ms) => {
  const t0 = performance.now();
  while (window.edgembed === undefined) {
    if (performance.now() - t0 > ms) throw new Error("window.edgembed never appeared (the demo's module did not run)");
    await new Promise((r) => setTimeout(r, 20));
  }
  await window.edgembed.ready;
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, status: document.getElementById("status").textContent };
}"""

EMBED = """async (texts, backend) => { %s
  const t0 = performance.now();
  const out = await window.edgembed.embed(texts, { backend });
  const ms = performance.now() - t0;
  const d = out.length ? out[0].length : 0, all = new Float32Array(out.length * d);
  out.forEach((v, i) => all.set(v, i * d));
  const info = await window.edgembed.info(backend);
  const runtime = { ...(await window.edgembed.runtime(backend)), features: info.features, fallbacks: info.fallbacks };
  return { dims: d, data: b64(all), ms, runtime };
}""" % _B64

# The same runtime modules the demo loads (its import map resolves the optional peers), models of our own: the
# export at BASE (relative to the page: another export on the same origin, "../fp32/") loaded with each OPTS, each
# embedding TEXTS[i] (ids: its tokenize of each text as well).
RUNTIME = """async (base, runs, wantIds) => { %s
  const { load } = await import(new URL("demo/runtime/edgembed.mjs", document.baseURI).href);
  const out = [];
  for (const [opts, texts] of runs) {
    let model;
    try { model = await load(base, opts); } catch (e) { out.push({ error: String(e && e.message || e).split("\\n")[0] }); continue; }
    try {
      const r = { info: model.info };
      if (wantIds) {
        const lists = texts.map((t) => model.tokenize(t)), n = lists.reduce((s, l) => s + l.length + 1, 0);
        const flat = new Int32Array(n);
        let k = 0;
        for (const l of lists) { flat[k++] = l.length; for (const id of l) flat[k++] = id; }
        r.ids = b64(flat);
      }
      const t0 = performance.now();
      const vecs = await model.embed(texts), d = vecs.length ? vecs[0].length : 0, all = new Float32Array(vecs.length * d);
      r.ms = performance.now() - t0;
      vecs.forEach((v, i) => all.set(v, i * d));
      Object.assign(r, { dims: d, data: b64(all), pooledBatches: model.pool ? model.pool.batches : 0 });
      out.push(r);
    } finally { await model.release(); }
  }
  return out;
}""" % _B64

LAYOUT = """() => ({ scrollWidth: document.documentElement.scrollWidth, bodyScrollWidth: document.body.scrollWidth,
  innerWidth, clientWidth: document.documentElement.clientWidth })"""

DOM = """() => ({
  results: [...document.querySelectorAll("#results .hit")].map((li) => Number(li.dataset.index)),
  cells: document.querySelectorAll("#matrix .cell").length,
  panel: Object.fromEntries([...document.querySelectorAll(".panel dt")].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])),
  status: document.getElementById("status").textContent })"""


def demo_url(base: str, backend: str = "flat", workers: int | None = None, threads: int | None = None,
             offline: bool = False) -> str:
    """The demo's URL under BASE (a server's root URL) with its query options (OFFLINE: let the page register its
    service worker, which tests/test_offline.py covers; other tests leave it off)."""
    q = f"index.html?backend={backend}" + (f"&workers={workers}" if workers is not None else "") + ("" if offline else "&offline=0")
    return base + q + (f"&threads={threads}" if threads is not None else "")


def open_demo(page: Page, url: str, timeout_ms: int = 120_000) -> dict:
    """Go to the demo and wait until it is ready: {crossOriginIsolated, status}; raises if it failed to load."""
    page.goto(url)
    return page.evaluate(READY, timeout_ms)


def _floats(r: dict, n: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(r["data"]), dtype="<f4").reshape(n, r["dims"]) if n else np.zeros((0, 0), np.float32)


def embed(page: Page, texts: Sequence[str], backend: str = "flat") -> tuple[np.ndarray, dict]:
    """window.edgembed.embed(TEXTS, {backend}): the vectors (n x dims) and {ms, runtime} of the call (runtime: the
    page's runtime(backend) plus info.features and info.fallbacks)."""
    r = page.evaluate(EMBED, list(texts), backend)
    return _floats(r, len(texts)), {"ms": r["ms"], "runtime": r["runtime"]}


def runtime_embed(page: Page, runs: Sequence[tuple[dict, Sequence[str]]], base: str = "./") -> list[dict]:
    """For each (OPTS, TEXTS) of RUNS, a model of the export at BASE loaded in the page with OPTS (e.g. {"backend":
    "flat", "workers": 1}) embeds TEXTS: [{vectors, info, ms, pooledBatches}] or [{error}] when it did not load."""
    got = page.evaluate(RUNTIME, base, [[opts, list(texts)] for opts, texts in runs], False)
    return [r if "error" in r else {**r, "vectors": _floats(r, len(texts))} for r, (_, texts) in zip(got, runs)]


def ids_and_vectors(page: Page, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray, dict]:
    """The page's own export on the flat backend (calling thread): Embedder.tokenize and embed of each text."""
    r = page.evaluate(RUNTIME, "./", [[{"backend": "flat", "workers": 1}, list(texts)]], True)[0]
    if "error" in r:
        raise ValueError(f"the runtime did not load: {r['error']}")
    flat = np.frombuffer(base64.b64decode(r["ids"]), dtype="<i4")
    out, i = [], 0
    while i < len(flat):
        n = int(flat[i])
        out.append(flat[i + 1: i + 1 + n].tolist())
        i += 1 + n
    return out, _floats(r, len(texts)), {**r["info"], "ms": r["ms"]}


def layout(page: Page) -> dict:
    """{scrollWidth, bodyScrollWidth, innerWidth, clientWidth}: the page fits when scrollWidth <= innerWidth."""
    return page.evaluate(LAYOUT)


def dom(page: Page) -> dict:
    """The demo's visible state: search result indices, similarity cells, the Runtime panel, the status line."""
    return page.evaluate(DOM)
