// The demo page: semantic search over the export-time corpus, a similarity grid, a runtime panel.
// Every user or corpus string reaches the DOM through textContent only: never parsed as HTML.
import { embedIdsWithRows, gunzip, load } from "./runtime/edgembed.bundle.mjs"; // the runtime in one file (web/scripts/build_bundle.mjs)

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const models = new Map(); // backend -> Promise<Embedder>
let current = params.get("backend") === "onnx" ? "onnx" : "flat";
let corpus = null;
let corpusLoad = null; // Promise of the corpus (loadCorpus), started as the page opens
const texts = new Map(); // texts shard -> Promise<string[]> (fetched for the hits shown, once each)

// The export's files that edgembed-sw.js already stored are read here straight from its cache (Cache Storage), not
// through the worker: Firefox logs "Failed to load ''. A ServiceWorker intercepted the request and encountered an
// unexpected error." for every request the worker answered whose body is still being copied to the page when the
// page cancels it: a fetch aborted, or the background row fill cut by a reload (docs/web.md, "No service-worker
// errors"; scripts/repro_firefox_sw_cancel.py). A read from Cache Storage that a reload cuts logs nothing.
// manifest.json still goes through the worker (network first: a new export is seen at once, and the worker drops the
// old export's cache before it answers), and load() checks every file against that manifest (the row shards against
// rows/index.bin), whichever way it came.
const SW_CACHE = `edgembed-offline:${new URL("./", location.href).href}:`; // edgembed-sw.js's caches of this folder
async function cachedFirst(url, init) {
  if (navigator.serviceWorker?.controller && typeof caches !== "undefined" && !/\/manifest\.json$/.test(new URL(url).pathname)) {
    try {
      for (const name of (await caches.keys()).filter((n) => n.startsWith(SW_CACHE)).reverse()) {
        const hit = await caches.match(url, { cacheName: name }); // (caches.open would make again a cache just dropped)
        if (hit) return hit;
      }
    } catch {
      // no Cache Storage here (a private window, storage off): the worker answers
    }
  }
  return fetch(url, init);
}

/**
 * The shipped query (data-first on the search box: the text the box opens with, its token ids and the rows index's
 * fields with the hashes of the shards they are in; exporter/targets/web.py, first_query), or null.
 */
const shipped = (() => {
  try {
    return JSON.parse(document.getElementById("query")?.dataset.first || "null");
  } catch {
    return null;
  }
})();
/**
 * The shipped query's vector from its ids and row shards alone ({text, vector: Promise<Float32Array>}), or null: the first
 * result then waits for neither the tokenizer pack nor rows/index.bin nor the manifest, which come after it. The
 * shards are checked against the hashes shipped with the page, the vector is embed()'s to the bit (the lazy
 * embedder's rows and pooling: embedIdsWithRows), and the shards' bytes go to load() (modelFetch) rather than over the
 * link twice. Flat backend with lazy rows only.
 */
let firstQuery = null;
function startFirstQuery() {
  if (!shipped || current !== "flat" || params.get("rows") === "whole" || $("query").value !== shipped.text) return null;
  const rel = (k) => `rows/${String(k).padStart(shipped.rows.digits, "0")}.bin`;
  const vector = embedIdsWithRows(shipped.rows, [shipped.ids], async (k) => {
    const url = new URL(rel(k), location.href).href;
    const r = await cachedFirst(url);
    if (!r.ok) throw new Error(`cannot fetch ${url}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }).then(({ vectors, shards }) => {
    for (const [k, bytes] of Object.entries(shards)) taken.set(new URL(rel(k), location.href).href, bytes);
    return vectors[0];
  });
  vector.catch(() => {}); // a failure sends the search the usual way (queryVector), which reports it
  return { text: shipped.text, vector };
}
const taken = new Map(); // URL -> bytes: the first query's shards, handed to load() once each
/** load()'s fetch: the first query's shards from memory (once), everything else as cachedFirst. */
function modelFetch(url, init) {
  const bytes = taken.get(url);
  if (bytes === undefined) return cachedFirst(url, init);
  taken.delete(url);
  return Promise.resolve(new Response(bytes, { status: 200 }));
}

/** The vector of Q: the shipped query's (from its ids, no tokenizer) while the box holds its text, else embed()'s. */
async function queryVector(q) {
  if (firstQuery && current === "flat" && q === firstQuery.text) {
    try {
      return await firstQuery.vector;
    } catch {
      firstQuery = null; // the usual path fetches and checks the files again, and says what is wrong
    }
  }
  const [v] = await embed([q]);
  return v;
}

function getModel(backend) {
  if (backend !== "flat" && backend !== "onnx") return Promise.reject(new Error(`unknown backend '${backend}'`));
  if (!models.has(backend)) {
    const threads = params.has("threads") ? Number(params.get("threads")) : undefined;
    // flat: big batches (>= 64 texts) go to a pool of Web Workers; one query stays on this thread.
    // rows: lazy (only the rows a text needs; ?rows=whole fetches model.edgembed at once)
    const workers = params.has("workers") ? Number(params.get("workers")) : Math.min(navigator.hardwareConcurrency || 1, 4);
    const rows = params.get("rows") ?? "auto";
    // early: false: the page's preload links (index.html) already asked for the manifest and the model's first files
    // as the HTML was parsed, and they name only files this export has (load()'s own early fetches would ask for
    // rows/index.bin of an export without rows, a 404). A page that ships its first query (data-first: the export has
    // rows/ and tokenizer.bin) preloads none of them: load() asks for them with the manifest (early).
    const p = load("./", backend === "flat" ? { backend, workers, rows, early: shipped !== null, fetch: modelFetch }
      : { backend, numThreads: threads, fetch: cachedFirst });
    p.catch(() => models.delete(backend));
    models.set(backend, p);
  }
  return models.get(backend);
}

const fetchOk = (url, kind) => fetch(url).then((r) => (r.ok ? r[kind]() : Promise.reject(new Error(`${url}: HTTP ${r.status}`))));

/**
 * The bytes of URL, calling NEAR() once the rest should take about one round trip, or at the end: a request made then
 * has its first byte back about when this body ends, so the link goes on without a gap and without sharing it with
 * this file. The round trip and the link's rate are the browser's estimates (navigator.connection: Chromium, which
 * under DevTools network emulation reports the emulated ones); without them, NEAR() comes at the end.
 */
async function fetchNear(url, near) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  const total = Number(r.headers.get("content-length")) || 0;
  const rtt = navigator.connection?.rtt ?? 0, perMs = (navigator.connection?.downlink ?? 0) * 125; // Mbit/s -> bytes/ms
  if (!r.body || !total || !rtt || !perMs || r.headers.has("content-encoding")) return r.arrayBuffer().finally(near);
  const reader = r.body.getReader(), parts = [];
  let got = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      got += value.length;
      if ((total - got) / perMs <= rtt) near();
    }
  } finally {
    near();
  }
  const out = new Uint8Array(got);
  parts.reduce((at, part) => (out.set(part, at), at + part.length), 0);
  return out.buffer;
}

/**
 * The corpus: int8 vectors with one float32 scale a row (corpus.bin) and titles; passages come by shard, on demand.
 * NEAR(): corpus.bin nearly here (fetchNear).
 */
async function loadCorpus(near = () => {}) {
  const [meta, packed] = await Promise.all([fetchOk("demo/corpus.json", "json"), fetchNear("demo/corpus.bin", near)]);
  const bytes = new Uint8Array(packed); // gzipped as exported; a host may have unpacked it already
  const bin = bytes[0] === 0x1f && bytes[1] === 0x8b ? (await gunzip(bytes, "demo/corpus.bin")).buffer : packed;
  const n = meta.count * meta.dims, at = Math.ceil(n / 4) * 4;
  if (bin.byteLength !== at + 4 * meta.count) throw new Error("corpus.bin does not match corpus.json");
  return { ...meta, vecs: new Int8Array(bin, 0, n), scales: new Float32Array(bin, at, meta.count) };
}

/** The passages of corpus rows ROWS, fetching the texts shards they are in (each at most once). */
async function passages(rows) {
  const per = corpus.texts_per_shard;
  const shard = (k) => {
    if (!texts.has(k)) {
      const p = fetchOk(`demo/texts/${k}.json`, "json");
      p.catch(() => texts.delete(k));
      texts.set(k, p);
    }
    return texts.get(k);
  };
  return Promise.all(rows.map(async (r) => (await shard(Math.floor(r / per)))[r % per]));
}

/** embed(texts, {backend}) -> Float32Array[]: the contract scripts and tests use. */
async function embed(texts, { backend } = {}) {
  const model = await getModel(backend ?? current);
  return model.embed(texts);
}

const dot = (a, b) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const norm = (a) => Math.sqrt(dot(a, a));
const cosine = (a, b) => { const n = norm(a) * norm(b); return n > 0 ? dot(a, b) / n : 0; };

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = String(text);
  return e;
}

function fmtBytes(n) {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}

/** Files only one backend fetches: the other backend's never count towards a backend's bytes. */
const BACKEND_FILES = {
  flat: (path) => path.endsWith("/model.edgembed") || path.includes("/rows/") || path.endsWith("/flat_worker.mjs"),
  onnx: (path) => path.endsWith("/onnx/model.onnx") || /\/demo\/vendor\/ort[^/]*$/.test(path) || path.endsWith("/onnx.mjs"),
};

/**
 * Bytes on the wire (headers included) of what this page loaded for BACKEND (default: all of it): the document,
 * scripts, tokenizer and corpus, plus that backend's own files. From Resource Timing.
 */
function bytesFetched(backend) {
  const other = backend === undefined ? null : BACKEND_FILES[backend === "onnx" ? "flat" : "onnx"];
  return performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
    .filter((e) => !other || !other(new URL(e.name).pathname))
    .reduce((s, e) => s + (e.transferSize || e.encodedBodySize || 0), 0);
}

function setStatus(text, bad = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("bad", bad);
}

async function showPanel() {
  const m = await getModel(current);
  $("p-backend").textContent = `${current}${current === "onnx" ? " (wasm)" : " (plain JS)"}`;
  $("p-model").textContent = m.info.model;
  $("p-dims").textContent = m.info.dims ?? "–";
  $("p-quant").textContent = m.info.quant ?? "–";
  $("p-load").textContent = `${m.stats.loadMs.toFixed(0)} ms`;
  await showRows();
  $("p-threads").textContent = String(m.info.numThreads);
  $("p-workers").textContent = m.info.workers > 1 ? `${m.info.workers} (≥ 64 texts)` : m.info.workers === 1 ? "1 (this thread)" : "–";
  $("p-bytes").textContent = fmtBytes(bytesFetched(current));
  $("p-fallbacks").textContent = m.info.fallbacks?.length ? m.info.fallbacks.map((f) => `${f.used}: ${f.reason}`).join("; ") : "none";
}

/**
 * While a search fetches (its rows, its passages), the service worker's offline fill starts no fetch
 * (edgembed-sw.js, "edgembed-offline-hold"): the visitor's query has the link to itself.
 */
async function search() {
  const sw = navigator.serviceWorker?.controller;
  sw?.postMessage("edgembed-offline-hold");
  try {
    return await searchNow();
  } finally {
    sw?.postMessage("edgembed-offline-go");
  }
}

async function searchNow() {
  const q = $("query").value;
  const list = $("results");
  const t0 = performance.now();
  const v = await queryVector(q);
  const n = norm(v);
  corpus ??= await corpusLoad; // a search typed before the corpus came
  const { count, dims, vecs, scales, titles } = corpus;
  const scores = new Float32Array(count);
  if (n > 0) {
    for (let r = 0; r < count; r++) {
      let s = 0;
      const o = r * dims;
      for (let j = 0; j < dims; j++) s += v[j] * vecs[o + j];
      scores[r] = (s * scales[r]) / n;
    }
  }
  const top = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, 6);
  const ms = performance.now() - t0;
  list.replaceChildren();
  // the weak-match line, measured at export on this model and corpus (corpus.json "weak"; exporter/targets/weak_match.py)
  const line = corpus.weak?.weak_below ?? -Infinity;
  const note = $("weak-note");
  note.hidden = !(n > 0 && scores[top[0]] < line);
  note.textContent = note.hidden ? "" : `Nothing close to this query here: the best match scores ${scores[top[0]].toFixed(3)}, `
    + `below the weak-match line ${line.toFixed(2)}. The nearest passages, for what they are worth:`;
  if (n === 0) {
    list.append(el("li", "empty", "Type a query: an empty text has the zero vector."));
  } else {
    top.forEach((r, i) => {
      const weak = scores[r] < line;
      const li = el("li", weak ? "hit weak" : "hit");
      const head = el("div", "hit-head");
      const bar = el("span", "score");
      bar.append(el("span", "score-fill"), el("span", "score-num", scores[r].toFixed(3)));
      bar.firstChild.style.width = `${Math.max(0, Math.min(1, scores[r])) * 100}%`;
      head.append(bar, el("span", "hit-title", titles[r]));
      if (weak) head.append(el("span", "weak-tag", "weak match"));
      li.append(head, el("p", "hit-text", "…"));
      li.dataset.index = String(r);
      list.append(li);
    });
  }
  if (!performance.getEntriesByName("edgembed:first-result").length) performance.mark("edgembed:first-result"); // benchmarks
  shownNow?.();
  const shown = list.children; // the passages follow the titles as their shards arrive (a stale search's are dropped)
  const asked = ++searches;
  await passages(n > 0 ? top : []).then((texts) => {
    if (asked === searches) texts.forEach((text, i) => { shown[i].lastChild.textContent = text; });
  });
  $("p-latency").textContent = `${ms.toFixed(1)} ms (${current})`;
  await showRows();
  return top;
}

/** The rows line of the panel: lazy (shards fetched so far) or whole. */
async function showRows() {
  const m = await getModel(current);
  const rows = m.stats.rows;
  $("p-rows").textContent = m.backend !== "flat" ? "– (onnx: model.onnx)"
    : rows?.whole ? `whole: model.edgembed after ${rows.shardsFetched.toLocaleString("en")} shards (${fmtBytes(rows.bytesFetched)})`
    : rows ? `lazy: ${rows.shardsFetched.toLocaleString("en")} of ${rows.shards.toLocaleString("en")} shards (${fmtBytes(rows.bytesFetched)})`
      : "whole (model.edgembed)";
  $("p-bytes").textContent = fmtBytes(bytesFetched(current));
}

function color(s) {
  // 0 -> white, 1 -> deep blue, negative -> warm red.
  const t = Math.max(-1, Math.min(1, s));
  if (t >= 0) return `hsl(${215} ${60 + 25 * t}% ${97 - 52 * t}%)`;
  return `hsl(8 ${60 + 25 * -t}% ${97 - 40 * -t}%)`;
}

async function similarity() {
  const lines = $("sentences").value.split("\n").map((s) => s.trim()).filter((s) => s.length > 0).slice(0, 16);
  const t0 = performance.now();
  const vecs = await embed(lines);
  const ms = performance.now() - t0;
  const grid = $("matrix");
  grid.replaceChildren();
  grid.style.setProperty("--n", String(lines.length)); // columns: demo.css (narrower on phones)
  grid.append(el("div", "corner"));
  lines.forEach((_, j) => grid.append(el("div", "colhead", j + 1)));
  lines.forEach((line, i) => {
    const label = el("div", "rowhead");
    label.append(el("span", "idx", i + 1), el("span", "sent", line));
    label.title = line;
    grid.append(label);
    lines.forEach((_, j) => {
      const s = cosine(vecs[i], vecs[j]);
      const c = el("div", "cell", s.toFixed(2));
      c.style.background = color(s);
      if (s > 0.6) c.classList.add("dark");
      c.title = `${i + 1} vs ${j + 1}: ${s.toFixed(4)}`;
      grid.append(c);
    });
  });
  $("sim-time").textContent = `${lines.length} sentences embedded in ${ms.toFixed(1)} ms`;
}

async function switchBackend(backend) {
  current = backend;
  setStatus(`loading the ${backend} backend…`);
  try {
    await showPanel();
    await search(); // the search's rows first: its results are what a visitor waits for
    await similarity();
    setStatus(`ready · ${backend}`);
  } catch (e) {
    setStatus(`error: ${e.message}`, true);
    throw e;
  }
}

/** On a phone the on-screen keyboard shrinks the (visual) viewport: scroll the focused field back into view. */
function keepFocusedFieldVisible() {
  const e = document.activeElement;
  if (!(e instanceof HTMLInputElement || e instanceof HTMLTextAreaElement)) return;
  const vv = window.visualViewport;
  const top = vv ? vv.offsetTop : 0;
  const height = vv ? vv.height : window.innerHeight;
  const r = e.getBoundingClientRect();
  if (r.top < top || r.bottom > top + height) e.scrollIntoView({ block: r.height > height ? "start" : "nearest" });
}

let timer = 0;
function wire() {
  window.visualViewport?.addEventListener("resize", keepFocusedFieldVisible);
  window.addEventListener("resize", keepFocusedFieldVisible);
  $("search-form").addEventListener("submit", (e) => { e.preventDefault(); search(); });
  $("query").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 120); });
  $("compare").addEventListener("click", () => similarity());
  for (const r of document.querySelectorAll("input[name=backend]")) {
    r.checked = r.value === current;
    r.addEventListener("change", () => r.checked && switchBackend(r.value));
  }
}

/**
 * Once the first results are shown, stream the rest of the table in while the page is idle, so that later batches
 * and offline use do not wait (lazy rows: every shard not here yet, each once; low-priority fetches, none while a
 * search fetches its rows). AFTER: when offline caching is on, its outcome: the fill then reads the shards the
 * service worker stored (no second download of the table); if that failed, from the network. Not with Save-Data,
 * nor ?fill=0.
 */
function fillWhenIdle(after) {
  if (navigator.connection?.saveData || params.get("fill") === "0") return Promise.resolve(null);
  const idle = (f) => (typeof requestIdleCallback === "function" ? requestIdleCallback(f, { timeout: 2000 }) : setTimeout(f, 200));
  return after.then(() => new Promise((resolve) => idle(async () => {
    try {
      const m = await getModel("flat");
      resolve(await m.fill({ concurrency: 4, onProgress: () => showRows().catch(() => {}) }));
    } catch (e) {
      setStatus(`could not fetch the rest of the table: ${e.message}`, true);
      resolve(null);
    }
  })));
}

/** The self-test (selftest.json: ids and vectors from Python at export time) on this device, shown in the panel. */
async function selfTest() {
  const m = await getModel(current);
  const r = await m.selfTest();
  $("p-check").textContent = r.ok ? `verified on this device: max |diff| ${r.maxDiff.toExponential(1)}, ${r.idTexts} id lists equal`
    : `FAILED: ${r.idMismatches} of ${r.idTexts} id lists differ, max |diff| ${r.maxDiff.toExponential(1)}`;
  $("p-check").classList.toggle("bad", !r.ok);
  if (!r.ok) setStatus("this device does not reproduce the export's reference vectors: see the self-test line", true);
  return r;
}

/**
 * Offline after the first visit: register the export's service worker (edgembed-sw.js), which caches the files the
 * flat backend needs under the manifest's hash. Not with Save-Data, nor ?offline=0. Resolves with its last word. While
 * it caches, the line says that leaving is fine: the worker keeps what it stored and goes on at the next visit.
 */
const LEAVE = "if you leave before it is done, it resumes on your next visit";
const SILENT_MS = 20000; // the worker says how far it got every 200 files; after this long without a word, ask again

function goOffline() {
  const show = (text, bad = false) => { $("p-offline").textContent = text; $("p-offline").classList.toggle("bad", bad); };
  if (!("serviceWorker" in navigator)) return show("not available (no service workers here)"), Promise.resolve({ state: "unsupported" });
  if (navigator.connection?.saveData || params.get("offline") === "0") return show("off"), Promise.resolve({ state: "off" });
  show(`caching for offline use; ${LEAVE}`);
  return new Promise((resolve) => {
    let heard = Date.now(), watch = null;
    const done = (data) => { clearInterval(watch); resolve(data); };
    navigator.serviceWorker.addEventListener("message", ({ data }) => {
      if (data?.type !== "edgembed-offline") return;
      heard = Date.now();
      if (data.state === "caching") show(`${data.resumed ? "resumed: " : ""}caching ${data.done.toLocaleString("en")} of ${data.total.toLocaleString("en")} files; ${LEAVE}`);
      else if (data.state === "ready") show("ready: this page works offline"), done(data);
      else if (data.state === "failed" && data.resumable) show(`interrupted (${data.reason}); it resumes on your next visit`, true), done(data);
      else if (data.state === "failed") show(`not available: ${data.reason}`, true), done(data);
    });
    const ask = () => navigator.serviceWorker.ready.then((reg) => reg.active.postMessage("edgembed-offline-sync"));
    // The worker that caches can be stopped before it is done: a new version of edgembed-sw.js takes over (the old one
    // is ended, its fill with it), or the browser ends it. Ask the worker in charge to go on (it keeps what is stored),
    // when it takes over and when nothing was heard for a while (a stopped worker is started again by the message).
    navigator.serviceWorker.addEventListener("controllerchange", () => { heard = Date.now(); ask().catch(() => {}); });
    watch = setInterval(() => { if (Date.now() - heard > SILENT_MS) heard = Date.now(), ask().catch(() => {}); }, 1000);
    navigator.serviceWorker.register("edgembed-sw.js").then(ask)
      .catch((e) => { show(`not available: ${e.message}`, true); done({ state: "failed", reason: e.message }); });
  });
}

/**
 * The row shards of the search box's text as the page opens (the exporter lists them on it, data-rows), asked for now
 * with the model's files (the lazy rows' fetches then find them preloaded): the first result waits for no request
 * made after the tokenizer came. Flat backend with lazy rows only, and not under the service worker (the page then
 * reads its cache).
 */
function preloadQueryRows() {
  const box = $("query");
  if (current !== "flat" || params.get("rows") === "whole" || box.value !== box.defaultValue || navigator.serviceWorker?.controller) return;
  for (const rel of (box.dataset.rows ?? "").split(" ").filter(Boolean)) {
    const link = Object.assign(document.createElement("link"), { rel: "preload", as: "fetch", href: rel, crossOrigin: "anonymous" });
    link.setAttribute("fetchpriority", "high");
    document.head.append(link);
  }
}

/** Start loading the current backend's model; once built, its first query's rows (lazy: fetched, or the shipped ones). */
function startModel() {
  const model = getModel(current);
  model.then((m) => {
    performance.mark("edgembed:model-ready");
    window.edgembedPhases = m.stats.phases;
    // the first query's rows: fetched while the corpus is still on its way, or (shipped query) the shards already here
    m.embed([$("query").value]).catch(() => {});
  }, () => {});
  return model;
}

let filled = null, checked = null, offline = null, searches = 0, shownNow = null;
const ready = (async () => {
  wire();
  let nearly = null;
  const near = new Promise((resolve) => { nearly = resolve; });
  corpusLoad = loadCorpus(() => nearly());
  corpusLoad.catch(() => {});
  firstQuery = startFirstQuery();
  let model = null;
  if (firstQuery) { // the first result from the shipped ids and the corpus; the model's files after their bytes
    // the model's files (manifest, tokenizer pack, rows index) are asked for as the first result's last bytes come:
    // the query's shards here and corpus.bin about one round trip from its end, so they never share the link
    Promise.all([near, firstQuery.vector.catch(() => {})]).then(() => { model ??= startModel(); });
    corpus = await corpusLoad;
    const shown = new Promise((resolve) => { shownNow = resolve; }); // the results drawn (their passages follow)
    const first = search().catch(() => {}); // (a failure: the search below, on the model, reports it)
    await Promise.race([shown, first]);
    shownNow = null;
    model ??= startModel();
    await first;
  } else {
    preloadQueryRows();
    model = startModel(); // the model and the corpus download side by side
  }
  [corpus] = await Promise.all([corpusLoad, model]);
  await switchBackend(current);
  // background work, after the first result: the self-test, offline caching, then the rest of the table
  checked = selfTest().catch((e) => { $("p-check").textContent = `could not run: ${e.message}`; return null; });
  offline = goOffline();
  if (current === "flat") filled = fillWhenIdle(offline);
})();

window.edgembed = {
  ready,
  embed,
  search: async (q) => { $("query").value = q; return search(); },
  compare: async (lines) => { $("sentences").value = lines.join("\n"); return similarity(); },
  get backend() { return current; },
  /** How BACKEND's embedder runs: wasm threads, flat workers and how many batches the worker pool took. */
  runtime: async (backend) => {
    const m = await getModel(backend ?? current);
    return { backend: m.backend, numThreads: m.info.numThreads, workers: m.info.workers, pooledBatches: m.pool?.batches ?? 0,
      sharedMemory: m.pool?.shared ?? false };
  },
  /** BACKEND's model.info: dims, quant, threads, workers, features and the fallbacks taken (info.fallbacks). */
  info: async (backend) => (await getModel(backend ?? current)).info,
  bytesFetched,
  /** The flat backend's rows: {shards, shardsFetched, bytesFetched, complete} when lazy, else null. */
  rows: async () => (await getModel("flat")).stats.rows,
  /** The shipped query's vector as the first result used it (from its ids, before the tokenizer), or null. */
  firstQueryVector: async () => (firstQuery ? firstQuery.vector : null),
  /** Resolves when the background fill (if any) is done. */
  filled: () => ready.then(() => filled),
  /** The self-test's result (ok, maxDiff, idMismatches, ...), once it ran. */
  selfTest: () => ready.then(() => checked),
  /** The service worker's last word: {state: "ready" | "failed" | "off" | "unsupported", ...}. */
  offline: () => ready.then(() => offline),
};
