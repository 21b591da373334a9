// The demo page: semantic search over the export-time corpus, a similarity grid, a runtime panel.
// Every user or corpus string reaches the DOM through textContent only: never parsed as HTML.
import { load } from "./runtime/edgembed.mjs";
import { decodeHalf } from "./runtime/flat.mjs";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const models = new Map(); // backend -> Promise<Embedder>
let current = params.get("backend") === "onnx" ? "onnx" : "flat";
let corpus = null;

function getModel(backend) {
  if (backend !== "flat" && backend !== "onnx") return Promise.reject(new Error(`unknown backend '${backend}'`));
  if (!models.has(backend)) {
    const threads = params.has("threads") ? Number(params.get("threads")) : undefined;
    // flat: big batches (>= 64 texts) go to a pool of Web Workers; one query stays on this thread
    const workers = params.has("workers") ? Number(params.get("workers")) : Math.min(navigator.hardwareConcurrency || 1, 4);
    const p = load("./", backend === "flat" ? { backend, workers } : { backend, numThreads: threads });
    p.catch(() => models.delete(backend));
    models.set(backend, p);
  }
  return models.get(backend);
}

async function loadCorpus() {
  const [meta, bin] = await Promise.all([
    fetch("demo/corpus.json").then((r) => (r.ok ? r.json() : Promise.reject(new Error(`corpus.json: HTTP ${r.status}`)))),
    fetch("demo/corpus.f16").then((r) => (r.ok ? r.arrayBuffer() : Promise.reject(new Error(`corpus.f16: HTTP ${r.status}`)))),
  ]);
  const vecs = decodeHalf(new Uint16Array(bin));
  if (vecs.length !== meta.count * meta.dims) throw new Error("corpus.f16 does not match corpus.json");
  return { ...meta, vecs };
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

/** Bytes of every response body this page loaded (document, scripts, model, wasm), from Resource Timing. */
function bytesFetched() {
  return performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
    .reduce((s, e) => s + (e.encodedBodySize || 0), 0);
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
  $("p-threads").textContent = String(m.info.numThreads);
  $("p-workers").textContent = m.info.workers > 1 ? `${m.info.workers} (≥ 64 texts)` : m.info.workers === 1 ? "1 (this thread)" : "–";
  $("p-bytes").textContent = fmtBytes(bytesFetched());
  $("p-fallbacks").textContent = m.info.fallbacks?.length ? m.info.fallbacks.map((f) => `${f.used}: ${f.reason}`).join("; ") : "none";
}

async function search() {
  const q = $("query").value;
  const list = $("results");
  const t0 = performance.now();
  const [v] = await embed([q]);
  const n = norm(v);
  const { count, dims, vecs, items } = corpus;
  const scores = new Float32Array(count);
  if (n > 0) {
    for (let r = 0; r < count; r++) {
      let s = 0;
      const o = r * dims;
      for (let j = 0; j < dims; j++) s += v[j] * vecs[o + j];
      scores[r] = s / n;
    }
  }
  const top = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, 6);
  const ms = performance.now() - t0;
  list.replaceChildren();
  if (n === 0) {
    list.append(el("li", "empty", "Type a query: an empty text has the zero vector."));
  } else {
    for (const r of top) {
      const li = el("li", "hit");
      const head = el("div", "hit-head");
      const bar = el("span", "score");
      bar.append(el("span", "score-fill"), el("span", "score-num", scores[r].toFixed(3)));
      bar.firstChild.style.width = `${Math.max(0, Math.min(1, scores[r])) * 100}%`;
      head.append(bar, el("span", "hit-title", items[r].title));
      li.append(head, el("p", "hit-text", items[r].text));
      li.dataset.index = String(r);
      list.append(li);
    }
  }
  $("p-latency").textContent = `${ms.toFixed(1)} ms (${current})`;
  $("p-bytes").textContent = fmtBytes(bytesFetched());
  return top;
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
    await Promise.all([search(), similarity()]);
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

const ready = (async () => {
  wire();
  corpus = await loadCorpus();
  await switchBackend(current);
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
};
