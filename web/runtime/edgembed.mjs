// edgembed's JavaScript runtime: embed texts with an export folder's artifacts.
//
//   import { load } from "./demo/runtime/edgembed.mjs";
//   const model = await load("./", { backend: "flat" });        // or "onnx"
//   const [a, b] = await model.embed(["a cat sits", "a kitten rests"]);
//   const pooled = await load("./", { backend: "flat", workers: 4 }); // big batches split over 4 Web Workers
//
// `fromArtifacts` needs no fetch and no DOM (Node.js, React Native, workers): pass the bytes yourself.
import { detectFeatures, planWorkers } from "./features.mjs";
import { embedIds, parseFlat } from "./flat.mjs";
import { checkTexts, createTokenizer } from "./tokenize.mjs";

export const BACKENDS = ["flat", "onnx"];
/** Batches smaller than this stay on the calling thread even with a worker pool: messaging would cost more. */
export const POOL_MIN_TEXTS = 64;

/**
 * An embedder over artifacts already in memory.
 * `workers` (flat backend, browsers only; default 1): N > 1 splits each batch of at least `poolMinTexts`
 * (default 64) texts over N module Web Workers, started on the first such batch; smaller batches and
 * runtimes without Worker (Node.js, React Native) stay on the calling thread. Results are bit-identical.
 * `chartable`: the export's chartable.bin, which WordPiece tokenizers need (the exact tokenizer, wordpiece.mjs).
 * `loadLibrary`: for other tokenizers, how to get the @huggingface/tokenizers module (default: import its name).
 * `tokenizersUrl`: for non-WordPiece tokenizers only, the URL the workers import @huggingface/tokenizers from
 * (default: the page's resolution).
 * @param {{tokenizerJson: string | object, chartable?: ArrayBuffer | ArrayBufferView, loadLibrary?: () => Promise<{Tokenizer: Function}>, flat?: ArrayBuffer | ArrayBufferView, onnx?: ArrayBuffer | Uint8Array,
 *          backend?: "flat" | "onnx", manifest?: object, ort?: object, numThreads?: number, wasmPaths?: string | object,
 *          workers?: number, poolMinTexts?: number, tokenizersUrl?: string}} a
 */
export async function fromArtifacts(a) {
  const backend = a.backend ?? (a.flat ? "flat" : "onnx");
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend '${backend}': choose flat or onnx`);
  if (a.tokenizerJson === undefined) throw new Error("fromArtifacts needs tokenizerJson");
  const tokenizer = await createTokenizer(a.tokenizerJson, { chartable: a.chartable, loadLibrary: a.loadLibrary });
  const man = a.manifest ?? null;
  const features = detectFeatures(); // info.features; the fallbacks each backend took go to info.fallbacks
  if (backend === "flat") {
    if (!a.flat) throw new Error("the flat backend needs `flat` (the bytes of model.edgembed)");
    const model = parseFlat(a.flat);
    if (man) checkManifest(man, model.vocab, model.dims);
    return new Embedder("flat", tokenizer, flatImpl(model, tokenizer, a, features));
  }
  if (!a.onnx) throw new Error("the onnx backend needs `onnx` (the bytes of onnx/model.onnx)");
  const { createOnnxBackend } = await import("./onnx.mjs");
  const be = await createOnnxBackend(a.onnx, a, features);
  return new Embedder("onnx", tokenizer, { features, fallbacks: be.fallbacks,
    dims: man?.dims ?? null, quant: man?.quant ?? null, normalize: man?.normalize ?? null, vocab: man?.vocab_size ?? null,
    numThreads: be.numThreads, embedIds: (lists) => be.embedIds(lists), release: () => be.release(),
  });
}

/** The flat backend: the calling thread for small batches, else the worker pool (pool.mjs, imported on first use). */
function flatImpl(model, tokenizer, a, features) {
  const asked = a.workers ?? 1;
  if (!Number.isInteger(asked) || asked < 1) throw new Error(`workers must be a positive integer, got ${asked}`);
  const minTexts = a.poolMinTexts ?? POOL_MIN_TEXTS;
  const { workers, fallbacks } = planWorkers(asked, features); // no module workers here: the calling thread
  const single = (lists) => lists.map((ids) => embedIds(model, ids));
  let pool = null; // Promise<FlatPool>, started by the first batch big enough
  const impl = {
    dims: model.dims, quant: model.quant, normalize: model.normalize, vocab: model.vocab, workers, features, fallbacks,
    async embedTexts(texts) {
      if (workers === 1 || texts.length < minTexts) return single(tokenizer.encodeBatch(texts));
      checkTexts(texts);
      pool ??= import("./pool.mjs").then(({ FlatPool }) => (impl.pool = new FlatPool({
        size: workers, dims: model.dims, tokenizerJson: a.tokenizerJson, chartable: a.chartable, flat: a.flat,
        tokenizersUrl: tokenizer.path === "library" ? a.tokenizersUrl : null, shared: features.sharedArrayBuffer,
        fallbacks, single: (t) => single(tokenizer.encodeBatch(t)), // a pool that cannot start: the calling thread
      })));
      return (await pool).embed(texts);
    },
    pool: null,
    release: () => impl.pool?.terminate(),
  };
  return impl;
}

function checkManifest(man, vocab, dims) {
  if (man.vocab_size !== undefined && man.vocab_size !== vocab) throw new Error(`flat file has ${vocab} rows, manifest says ${man.vocab_size}`);
  if (man.dims !== undefined && man.dims !== dims) throw new Error(`flat file has ${dims} dims, manifest says ${man.dims}`);
}

/**
 * Fetch an export folder's manifest, tokenizer and model file, then build the embedder.
 * @param {string | URL} baseUrl the export folder (with or without a trailing slash), relative to the page
 * @param {{backend?: "flat" | "onnx", fetch?: typeof fetch, ort?: object, numThreads?: number, wasmPaths?: string | object,
 *          workers?: number, poolMinTexts?: number}} [opts] (workers, poolMinTexts: see fromArtifacts)
 */
export async function load(baseUrl, opts = {}) {
  const t0 = now();
  const fetchFn = opts.fetch ?? globalThis.fetch;
  if (typeof fetchFn !== "function") throw new Error("no fetch here: use fromArtifacts() with the file bytes");
  const here = globalThis.location?.href;
  let base = String(baseUrl ?? "./");
  if (!base.endsWith("/")) base += "/";
  if (!here && !/^[a-z][a-z0-9+.-]*:/i.test(base)) throw new Error(`load() needs an absolute URL outside a page, got '${base}'`);
  const root = here ? new URL(base, here) : new URL(base);
  let bytes = 0;
  const get = async (rel, kind) => {
    const url = new URL(rel, root);
    const res = await fetchFn(url.href);
    if (!res.ok) throw new Error(`cannot fetch ${url.href}: HTTP ${res.status}`);
    const body = kind === "text" ? await res.text() : await res.arrayBuffer();
    bytes += kind === "text" ? new TextEncoder().encode(body).length : body.byteLength;
    return body;
  };
  const manifest = JSON.parse(await get("manifest.json", "text"));
  if (manifest.format !== "edgembed") throw new Error(`${root.href} is not an edgembed export (manifest format ${manifest.format})`);
  const backend = opts.backend ?? "flat";
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend '${backend}': choose flat or onnx`);
  const file = manifest.files?.[backend];
  if (!file) throw new Error(`the export has no '${backend}' file`);
  const chartableFile = manifest.files.chartable;
  const [tokenizerJson, model, chartable] = await Promise.all([get(manifest.files.tokenizer, "text"), get(file, "bytes"),
    chartableFile ? get(chartableFile, "bytes") : undefined]);
  const emb = await fromArtifacts({ ...opts, backend, manifest, tokenizerJson, chartable, [backend]: model });
  emb.info = { ...emb.info, model: sourceName(manifest), url: root.href };
  emb.stats = { bytesFetched: bytes, loadMs: now() - t0 };
  return emb;
}

function sourceName(man) {
  const s = man.source ?? {};
  return s.base ?? s.id ?? (s.path ? String(s.path).split(/[\\/]/).filter(Boolean).pop() : "model");
}

const now = () => (globalThis.performance?.now ? globalThis.performance.now() : Date.now());

export class Embedder {
  constructor(backend, tokenizer, impl) {
    this.backend = backend;
    this.tokenizer = tokenizer;
    this.impl = impl;
    this.info = { backend, dims: impl.dims, quant: impl.quant, normalize: impl.normalize, vocab: impl.vocab,
      numThreads: impl.numThreads ?? 1, workers: impl.workers ?? null, features: impl.features, fallbacks: impl.fallbacks,
      // "exact": edgembed's tokenizer, proven equal to Python's; "library": @huggingface/tokenizers, not proven
      tokenizer: tokenizer.path ?? "library" };
    this.stats = {};
  }

  /** Token ids of one text (add_special_tokens=False, the tokenizer.json's truncation applied). */
  tokenize(text) {
    return this.tokenizer.encode(text);
  }

  /**
   * One Float32Array per text. An empty text gives the zero vector.
   * @param {string[]} texts
   * @returns {Promise<Float32Array[]>}
   */
  async embed(texts) {
    if (typeof texts === "string") texts = [texts];
    if (!Array.isArray(texts)) throw new TypeError("embed expects an array of strings");
    if (this.impl.embedTexts) return this.impl.embedTexts(texts); // flat: tokenizes where it embeds
    return this.impl.embedIds(this.tokenizer.encodeBatch(texts));
  }

  /** The flat backend's worker pool once a batch started it ({size, shared, batches, texts}), else null. */
  get pool() {
    return this.impl.pool ?? null;
  }

  async release() {
    await this.impl.release?.();
  }
}
