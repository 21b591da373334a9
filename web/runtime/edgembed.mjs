// edgembed's JavaScript runtime: embed texts with an export folder's artifacts.
//
//   import { load } from "./demo/runtime/edgembed.mjs";
//   const model = await load("./", { backend: "flat" });        // or "onnx"
//   const [a, b] = await model.embed(["a cat sits", "a kitten rests"]);
//   const pooled = await load("./", { backend: "flat", workers: 4 }); // big batches split over 4 Web Workers
//
// The flat backend fetches lazily by default: the tokenizer pack and rows/index.bin at load, then only the row shards
// the texts in front of it need (rows.mjs). `fromArtifacts` needs no fetch and no DOM (Node.js, React Native,
// workers): pass the bytes yourself.
import { detectFeatures, planWorkers } from "./features.mjs";
import { embedIds, parseFlat } from "./flat.mjs";
import { LazyRows, parseRowsIndex, partialRowsIndex, shardPath } from "./rows.mjs";
import { bytesOf, sha256, toHex } from "./sha256.mjs";
import { checkTexts, createTokenizer } from "./tokenize.mjs";
import { canGunzip, loadTokenizerPack } from "./tokpack.mjs";

/** gunzip(bytes, what?): gzip data unpacked by the engine's DecompressionStream (pages reuse it, e.g. the demo's corpus). */
export { gunzip } from "./tokpack.mjs";

export const BACKENDS = ["flat", "onnx"];
/** Batches smaller than this stay on the calling thread even with a worker pool: messaging would cost more. */
export const POOL_MIN_TEXTS = 64;
/** rows: "auto" takes the whole table when the first batch has at least this many texts (else it fetches lazily). */
export const WHOLE_BATCH = 512;
export const ROWS = ["auto", "lazy", "whole"];
/** fetch()'s init for background work (fill): below the page's own requests where the engine has priorities. */
const LOW = { priority: "low" };
/** The names exports give the flat backend's first files: load() asks for them with manifest.json (`early`). */
const EARLY = { tokenizer_pack: "tokenizer.bin", rows: "rows/index.bin" };

/** The tokenizer of artifacts A: the pack (one gzipped file), else tokenizer.json (+ chartable.bin). */
async function tokenizerOf(a) {
  if (a.tokenizerPack) {
    const { spec, chartable, raw } = await loadTokenizerPack(a.tokenizerPack);
    const tok = await createTokenizer(spec, { chartable });
    tok.packBytes = raw; // the unpacked bytes, for the worker pool
    return tok;
  }
  if (a.tokenizerJson === undefined) throw new Error("fromArtifacts needs tokenizerJson (or tokenizerPack)");
  return createTokenizer(a.tokenizerJson, { chartable: a.chartable, loadLibrary: a.loadLibrary });
}

/**
 * An embedder over artifacts already in memory.
 * `workers` (flat backend, browsers only; default 1): N > 1 splits each batch of at least `poolMinTexts`
 * (default 64) texts over N module Web Workers, started on the first such batch; smaller batches and
 * runtimes without Worker (Node.js, React Native) stay on the calling thread. Results are bit-identical.
 * `tokenizerPack`: the export's tokenizer.bin (gzipped as exported, or gunzipped), instead of tokenizerJson + chartable.
 * `chartable`: the export's chartable.bin, which WordPiece tokenizers need (the exact tokenizer, wordpiece.mjs).
 * `rows`: lazy rows instead of `flat`: {index: bytes of rows/index.bin, fetchShard(k): bytes of shard k, and optionally
 * fetchWhole(): the bytes of model.edgembed, checked, which a batch needing `wholeShare` (WHOLE_SHARE) of the shards
 * or more takes instead, in one request}.
 * `loadLibrary`: for other tokenizers, how to get the @huggingface/tokenizers module (default: import its name).
 * `tokenizersUrl`: for non-WordPiece tokenizers only, the URL the workers import @huggingface/tokenizers from
 * (default: the page's resolution).
 * @param {object} a see index.d.ts (Artifacts)
 */
export async function fromArtifacts(a) {
  const backend = a.backend ?? (a.flat || a.rows ? "flat" : "onnx");
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend '${backend}': choose flat or onnx`);
  const tokenizer = await tokenizerOf(a);
  const man = a.manifest ?? null;
  const features = detectFeatures(); // info.features; the fallbacks each backend took go to info.fallbacks
  if (backend === "flat") {
    if (a.rows) {
      const rows = new LazyRows(parseRowsIndex(a.rows.index), a.rows.fetchShard,
        { verify: a.verify !== false, fetchWhole: a.rows.fetchWhole, wholeShare: a.wholeShare, link: a.rows.link,
          concurrency: a.rows.concurrency });
      if (man) checkManifest(man, rows.index.vocab, rows.index.dims);
      return new Embedder("flat", tokenizer, lazyImpl(rows, tokenizer, a, features));
    }
    if (!a.flat) throw new Error("the flat backend needs `flat` (the bytes of model.edgembed) or `rows`");
    const model = parseFlat(a.flat);
    if (man) checkManifest(man, model.vocab, model.dims);
    return new Embedder("flat", tokenizer, flatImpl(model, a.flat, tokenizer, a, features));
  }
  if (!a.onnx) throw new Error("the onnx backend needs `onnx` (the bytes of onnx/model.onnx)");
  const { createOnnxBackend } = await import("./onnx.mjs");
  const be = await createOnnxBackend(a.onnx, a, features);
  return new Embedder("onnx", tokenizer, { features, fallbacks: be.fallbacks,
    dims: man?.dims ?? null, quant: man?.quant ?? null, normalize: man?.normalize ?? null, vocab: man?.vocab_size ?? null,
    numThreads: be.numThreads, rows: null, embedIds: async (lists) => be.embedIds(lists), release: () => be.release(),
  });
}

/**
 * Vectors of token id lists from the row shards they need alone: no tokenizer, no rows/index.bin, no manifest. HEAD: a
 * partial rows index (rows.mjs, partialRowsIndex: the index's fields and the hashes of the shards these ids are in,
 * e.g. shipped in the page's HTML by the exporter, as the demo does for the text its search box opens with);
 * FETCHSHARD(k, {background}): the bytes of shard k (shardPath gives its path). Every shard is checked against its
 * hash, and an id whose shard's hash is not in HEAD is an error. The rows and the pooling are the lazy embedder's
 * (LazyRows, embedIds: the mean of the rows, then the normalisation), so the vectors are bit-identical to embed()'s
 * for the same ids. Resolves with the vectors and the shards' bytes ({k: Uint8Array}), which a later load() can take
 * instead of fetching them again.
 */
export async function embedIdsWithRows(head, idLists, fetchShard) {
  const ix = partialRowsIndex(head);
  const bytes = {};
  const rows = new LazyRows(ix, async (k, o) => (bytes[k] = bytesOf(await fetchShard(k, o))), { verify: true });
  for (const k of rows.missing(idLists)) {
    if (!ix.known[k]) throw new Error(`${shardPath(ix, k)}: its hash is not in the partial rows index`);
  }
  await rows.ensure(idLists);
  const model = rows.model();
  return { vectors: idLists.map((ids) => embedIds(model, rows.remap(ids))), shards: bytes };
}

/** The body of URL through FETCHFN (INIT: its options), or a one-line error naming the URL. */
async function fetchBytes(fetchFn, url, init) {
  let res;
  try {
    res = init ? await fetchFn(url, init) : await fetchFn(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url}: ${e?.message ?? e}`);
  }
  if (!res.ok) throw new Error(`cannot fetch ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * An embedder of token id lists over an export's row shards, without its tokenizer: the manifest and rows/index.bin
 * (checked against the manifest's sha256), then the row shards the ids need (each checked against the index), as
 * load()'s lazy rows fetch them. The pooling is lazy rows' (embedIds over LazyRows), so the vectors are bit-identical to
 * embed()'s for the texts these ids are of. What site search uses for a question whose ids it knows from its index's
 * word table (search_ids.mjs) while the tokenizer pack waits. Resolves with {embedIds(lists), rows}; an export
 * without row shards is an error (load() it).
 * @param {string | URL} baseUrl the export folder, absolute
 * @param {{fetch?: typeof fetch, verify?: boolean, rowsConcurrency?: number}} [opts] rowsConcurrency: row shard
 *   fetches at once (8 by default, as load()'s)
 */
export async function loadRows(baseUrl, opts = {}) {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  let base = String(baseUrl);
  if (!base.endsWith("/")) base += "/";
  const root = new URL(base);
  const verify = opts.verify !== false;
  const fetched = (rel) => fetchBytes(fetchFn, new URL(rel, root).href);
  const early = fetched(EARLY.rows); // the name every export gives it, asked for with the manifest
  early.catch(() => {});
  const manifest = JSON.parse(decodeText(await fetched("manifest.json")));
  if (manifest.format !== "edgembed") throw new Error(`${root.href} is not an edgembed export`);
  const rel = manifest.files?.rows;
  if (!rel) throw new Error(`${root.href} has no row shards`);
  const bytes = rel === EARLY.rows ? await early : await fetched(rel);
  const want = manifest.sha256?.[rel];
  if (verify && want && toHex(await sha256(bytes)) !== want) throw new Error(`${rel}: sha256 differs from the manifest's`);
  const ix = parseRowsIndex(bytes);
  checkManifest(manifest, ix.vocab, ix.dims);
  const rows = new LazyRows(ix, (k) => fetched(shardPath(ix, k)), { verify, concurrency: opts.rowsConcurrency });
  return {
    rows,
    async embedIds(lists) {
      await rows.ensure(lists);
      const model = rows.model();
      return lists.map((ids) => embedIds(model, rows.remap(ids)));
    },
  };
}

/** The module workers a flat embedder uses (the `workers` option) and the fallbacks taken (features.mjs). */
function workersFor(a, features) {
  const asked = a.workers ?? 1;
  if (!Number.isInteger(asked) || asked < 1) throw new Error(`workers must be a positive integer, got ${asked}`);
  return planWorkers(asked, features); // no module workers here: the calling thread
}

/**
 * A worker pool over the whole table's bytes (pool.mjs, imported on first use); SINGLE embeds on the calling thread
 * when the pool cannot start.
 */
function startPool(flat, tokenizer, plan, a, features, single) {
  return import("./pool.mjs").then(({ FlatPool }) => new FlatPool({
    size: plan.workers, dims: parseFlat(flat).dims, tokenizerJson: tokenizer.packBytes ? undefined : a.tokenizerJson,
    tokenizerPack: tokenizer.packBytes, chartable: a.chartable, flat,
    tokenizersUrl: tokenizer.path === "library" ? a.tokenizersUrl : null, shared: features.sharedArrayBuffer,
    fallbacks: plan.fallbacks, single,
  }));
}

/** The flat backend over the whole table: the calling thread for small batches, else the worker pool. */
function flatImpl(model, flat, tokenizer, a, features) {
  const plan = workersFor(a, features);
  const { workers, fallbacks } = plan;
  const minTexts = a.poolMinTexts ?? POOL_MIN_TEXTS;
  const single = (texts) => tokenizer.encodeBatch(texts).map((ids) => embedIds(model, ids));
  let pool = null; // Promise<FlatPool>, started by the first batch big enough
  const impl = {
    dims: model.dims, quant: model.quant, normalize: model.normalize, vocab: model.vocab, workers, rows: "whole",
    features, fallbacks,
    async embedTexts(texts) {
      if (workers === 1 || texts.length < minTexts) return single(texts);
      checkTexts(texts);
      pool ??= startPool(flat, tokenizer, plan, a, features, single).then((p) => (impl.pool = p));
      return (await pool).embed(texts);
    },
    async embedIds(lists) {
      return lists.map((ids) => embedIds(model, ids));
    },
    pool: null,
    release: () => impl.pool?.terminate(),
  };
  return impl;
}

/**
 * The flat backend over lazy rows: each batch first fetches the shards its tokens need (or the whole table, rows.mjs).
 * A batch for the worker pool (workers > 1, at least poolMinTexts texts) first completes the table (fill(): usually
 * model.edgembed in one request, else every shard not here yet, once each) and hands the pool those bytes: the page
 * holds the one copy, the workers never fetch rows.
 */
function lazyImpl(rows, tokenizer, a, features) {
  const ix = rows.index;
  const plan = workersFor(a, features);
  const { workers, fallbacks } = plan;
  const minTexts = a.poolMinTexts ?? POOL_MIN_TEXTS;
  let pool = null;
  const embedLists = async (lists) => {
    await rows.ensure(lists);
    const model = rows.model();
    return lists.map((ids) => embedIds(model, rows.remap(ids)));
  };
  const impl = {
    dims: ix.dims, quant: ix.quant, normalize: ix.normalize, vocab: ix.vocab, workers, rows: "lazy", lazy: rows,
    features, fallbacks,
    async embedTexts(texts) {
      if (workers > 1 && texts.length >= minTexts) { // the pool needs the whole table: fetch the shards not here yet
        checkTexts(texts);
        await rows.fill();
        pool ??= startPool(rows.toFlat(), tokenizer, plan, a, features, (t) => embedLists(tokenizer.encodeBatch(t)))
          .then((p) => (impl.pool = p));
        return (await pool).embed(texts);
      }
      return embedLists(tokenizer.encodeBatch(texts));
    },
    embedIds: embedLists,
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
 * Fetch an export folder's files, check each against the manifest's sha256, then build the embedder.
 * flat backend, `rows`: "lazy" fetches rows/index.bin at load and then only the row shards each batch needs;
 * "whole" fetches model.edgembed; "auto" (default) is lazy unless the first batch has `wholeBatch` (512) texts or
 * more, which then takes the whole file (nothing is fetched twice: the choice is made before any shard comes). Lazy
 * rows take model.edgembed in one request, too, once a batch or fill() needs a large share of the shards (rows.mjs).
 * @param {string | URL} baseUrl the export folder (with or without a trailing slash), relative to the page
 * @param {object} [opts] see index.d.ts (LoadOptions)
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
  const verify = opts.verify !== false;
  const counter = { bytes: 0 };
  let arrived = t0, usedEarly = false; // when the last file came; whether files asked for with the manifest were used
  /** The bytes of REL (COUNT: add them to the bytes fetched now, else when used). */
  const fetched = async (rel, init, count = true) => {
    const body = await fetchBytes(fetchFn, new URL(rel, root).href, init);
    if (count) counter.bytes += body.byteLength;
    arrived = now();
    return body;
  };
  const phases = {}; // ms since load() began, for stats.phases
  const backend = opts.backend ?? "flat";
  if (!BACKENDS.includes(backend)) throw new Error(`unknown backend '${backend}': choose flat or onnx`);
  const rowsMode = opts.rows ?? "auto";
  if (!ROWS.includes(rowsMode)) throw new Error(`unknown rows '${rowsMode}': choose auto, lazy or whole`);
  // the flat backend's first files under the names every export gives them, asked for with manifest.json (one round
  // trip, not two); used only when the manifest names them, and checked against it like any file
  const early = new Map();
  if (opts.early !== false && backend === "flat") {
    const names = [...(canGunzip() && opts.tokenizer !== "json" ? [EARLY.tokenizer_pack] : []), ...(rowsMode !== "whole" ? [EARLY.rows] : [])];
    for (const rel of names) {
      const p = fetched(rel, undefined, false);
      p.catch(() => {}); // not there (an export without rows/): the manifest decides what is fetched
      early.set(rel, p);
    }
  }
  const manifestBytes = await fetched("manifest.json");
  phases.manifest = now() - t0;
  let manifest;
  try {
    manifest = JSON.parse(decodeText(manifestBytes));
  } catch {
    throw new Error(`${root.href}manifest.json is not JSON`);
  }
  if (manifest.format !== "edgembed") throw new Error(`${root.href} is not an edgembed export (manifest format ${manifest.format})`);
  /** The bytes of REL, checked against manifest.sha256 (when listed and verify is on). */
  const get = async (rel, init) => {
    let body = null;
    if (early.has(rel)) { // asked for with the manifest: taken once; a failed early fetch is made again
      body = await early.get(rel).catch(() => null);
      early.delete(rel);
      if (body) counter.bytes += body.byteLength, usedEarly = true;
    }
    body ??= await fetched(rel, init);
    const want = manifest.sha256?.[rel];
    if (verify && want) {
      const got = toHex(await sha256(body));
      if (got !== want) {
        throw new Error(`${rel}: sha256 ${got.slice(0, 12)}… differs from the manifest's ${want.slice(0, 12)}…: the file is corrupt, or from another export`);
      }
    }
    return body;
  };
  const files = manifest.files ?? {};
  const lazy = backend === "flat" && rowsMode !== "whole" && Boolean(files.rows);
  const modelFile = backend === "onnx" ? files.onnx : lazy ? files.rows : files.flat;
  if (!modelFile) throw new Error(`the export has no '${backend}' file`);
  const usePack = Boolean(files.tokenizer_pack) && canGunzip() && opts.tokenizer !== "json";
  const before = counter.bytes;
  const [tokenizerBytes, modelBytes, chartable] = await Promise.all([
    get(usePack ? files.tokenizer_pack : files.tokenizer), get(modelFile),
    !usePack && files.chartable ? get(files.chartable) : undefined]);
  const { rows: _mode, ...rest } = opts; // load()'s `rows` is a mode; fromArtifacts' `rows` is a source of rows
  const art = { ...rest, backend, manifest, chartable, verify };
  if (usePack) art.tokenizerPack = tokenizerBytes;
  else art.tokenizerJson = decodeText(tokenizerBytes);
  if (backend === "onnx") art.onnx = modelBytes;
  else if (lazy) {
    const ix = parseRowsIndex(modelBytes);
    // the link as these fetches saw it: the manifest's time a round trip, the files' bytes over their time after it
    // (asked for with the manifest: all bytes since load() began; else the files' after the manifest came)
    const rttMs = Math.max(0.1, phases.manifest), took = arrived - t0 - (usedEarly ? 0 : phases.manifest);
    const link = { rttMs, bytesPerMs: (counter.bytes - (usedEarly ? 0 : before)) / Math.max(1, took - rttMs) };
    // the whole table, when the export has it, for batches that need a large share of the shards (rows.mjs). In a page
    // a service worker controls, only while the worker's cache lacks the shards (edgembed-sw.js keeps the shards for
    // offline, not model.edgembed; its fill stores them in order, so the last one there means all): else a big batch
    // would ask the worker for thousands of shards one by one. Reads from that cache make any link look fast, so a
    // controlled page takes the whole table by the share rule only, not by the link estimate.
    const controlled = () => Boolean(globalThis.navigator?.serviceWorker?.controller);
    art.rows = { index: modelBytes, fetchShard: (k, o) => fetched(shardPath(ix, k), o?.background ? LOW : undefined),
      fetchWhole: files.flat ? async (o) => {
        if (controlled() && (await workerHas(new URL(shardPath(ix, ix.shards - 1), root).href))) return null;
        try {
          return await get(files.flat, o?.background ? LOW : undefined);
        } catch (e) { // unreachable (offline, not on the host): null, the rows come shard by shard; a bad file is an error
          if (String(e?.message ?? e).startsWith("cannot fetch")) return null;
          throw e;
        }
      } : undefined,
      link: controlled() ? undefined : link, concurrency: opts.rowsConcurrency };
  }
  else art.flat = modelBytes.buffer;
  phases.files = now() - t0; // fetched and checked
  let emb = await fromArtifacts(art);
  phases.built = now() - t0;
  const rows = emb.impl.lazy ?? null; // the lazy rows (autoRows may swap the impl: they keep the table they took)
  if (lazy && rowsMode === "auto" && files.flat) emb = autoRows(emb, art);
  if (backend === "flat" && files.flat) offerTable(() => (lazy ? rows?.flat : art.flat), manifest.sha256?.[files.flat]);
  emb.info = { ...emb.info, model: sourceName(manifest), url: root.href, rowsMode: backend === "flat" ? (lazy ? rowsMode : "whole") : null,
    tokenizerFile: usePack ? files.tokenizer_pack : files.tokenizer, integrity: verify ? "sha256" : "off" };
  emb.loadStats = { loadMs: now() - t0, counter, phases };
  if (files.selftest) emb.selfTestSource = async () => JSON.parse(decodeText(await get(files.selftest)));
  return emb;
}

/**
 * edgembed-sw.js's offline fill asks the pages of its export for the whole table before it fetches the row shards
 * ({type: "edgembed-table", sha256: the manifest's for model.edgembed}, with a port): a page that holds it (TABLE(): its
 * bytes, or null) answers with a copy, else null, and the worker cuts the shards out of it (the table crosses the
 * network once). A page of another export (another sha256) answers null.
 */
function offerTable(table, want) {
  const sw = globalThis.navigator?.serviceWorker;
  if (!want || typeof sw?.addEventListener !== "function") return;
  sw.addEventListener("message", (e) => {
    if (e.data?.type !== "edgembed-table" || !e.ports?.[0]) return;
    const flat = e.data.sha256 === want ? table() : null;
    const copy = flat && flat.byteLength ? new Uint8Array(flat).slice().buffer : null; // (a SharedArrayBuffer cannot go)
    e.ports[0].postMessage(copy, copy ? [copy] : []);
  }); // (delivered once the document is parsed: the worker asks long after; no startMessages(), the page's own call)
}

/** Whether Cache Storage (a service worker's) holds URL; false where there is none or it cannot be read. */
async function workerHas(url) {
  try {
    return typeof caches !== "undefined" && (await caches.match(url)) !== undefined;
  } catch {
    return false;
  }
}

/**
 * rows "auto": the embedder stays lazy unless its first batch is big (WHOLE_BATCH texts), which then swaps in the
 * whole table (one file) before any shard was fetched.
 */
function autoRows(emb, art) {
  const lazy = emb.impl;
  const threshold = art.wholeBatch ?? WHOLE_BATCH;
  let decision = null;
  const decide = (n) => (decision ??= (async () => {
    if (n < threshold || (lazy.lazy.present > 0 && !lazy.lazy.flat)) return; // rows came shard by shard: stay lazy
    const flat = lazy.lazy.flat ?? (await lazy.lazy.takeWhole(), lazy.lazy.flat); // once, shared with fill()
    if (!flat) return; // model.edgembed cannot be reached (offline): stay lazy
    emb.impl = flatImpl(parseFlat(flat), flat, emb.tokenizer, art, lazy.features);
    emb.info = { ...emb.info, rows: "whole" };
  })().catch((e) => {
    decision = null;
    throw e;
  }));
  const { embedTexts, embedIds } = lazy;
  lazy.embedTexts = async (texts) => {
    await decide(texts.length);
    return emb.impl === lazy ? embedTexts(texts) : emb.impl.embedTexts(texts);
  };
  lazy.embedIds = async (lists) => {
    await decide(lists.length);
    return emb.impl === lazy ? embedIds(lists) : emb.impl.embedIds(lists);
  };
  return emb;
}

function decodeText(bytes) {
  return new TextDecoder("utf-8").decode(bytes);
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
      numThreads: impl.numThreads ?? 1, workers: impl.workers ?? null, rows: impl.rows ?? null,
      features: impl.features, fallbacks: impl.fallbacks,
      // "exact": edgembed's tokenizer, proven equal to Python's; "library": @huggingface/tokenizers, not proven
      tokenizer: tokenizer.path ?? "library" };
    this.loadStats = null;
    this.wholeBytes = 0;
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

  /** Embeddings of token id lists (ids of this model's vocabulary). */
  async embedIds(lists) {
    return this.impl.embedIds(lists);
  }

  /** Where the flat backend's rows are: "lazy" (row shards, fetched as needed), "whole" (model.edgembed), or null. */
  get rows() {
    return this.impl.rows ?? null;
  }

  /**
   * Fetch the rest of the table now (lazy rows: every shard not here yet, never one twice), e.g. once the page is
   * idle, so that later batches and offline use do not wait. Resolves with the rows' stats; a no-op otherwise.
   * @param {{concurrency?: number, signal?: AbortSignal, onProgress?: (fetched: number, total: number) => void}} [opts]
   */
  async fill(opts = {}) {
    if (this.impl.lazy) await this.impl.lazy.fill({ background: true, ...opts });
    return this.stats.rows;
  }

  /** Bytes fetched and load time (set by load()); lazy rows: shards fetched so far. */
  get stats() {
    const lazy = this.impl.lazy;
    const rows = lazy ? lazy.stats() : null;
    const loaded = this.loadStats?.counter.bytes ?? 0;
    return { bytesFetched: loaded, loadMs: this.loadStats?.loadMs, phases: this.loadStats?.phases, rows };
  }

  /**
   * Check this embedder on this device against the reference ids and vectors edgembed computed in Python at export
   * time (the export's selftest.json; load() fetches it, fromArtifacts callers pass its text or parsed content):
   * {ok, idTexts, idMismatches, firstMismatch, vectorTexts, maxDiff, tolerance, ms}.
   * @param {string | object} [spec]
   */
  async selfTest(spec) {
    const s = spec ?? (this.selfTestSource ? await this.selfTestSource() : null);
    if (!s) throw new Error("no self-test here: the export has no selftest.json (pass its content to selfTest)");
    const { runSelfTest } = await import("./selftest.mjs");
    return runSelfTest(this, typeof s === "string" ? JSON.parse(s) : s);
  }

  /** The flat backend's worker pool once a batch started it ({size, shared, batches, texts}), else null. */
  get pool() {
    return this.impl.pool ?? null;
  }

  async release() {
    await this.impl.release?.();
  }
}
