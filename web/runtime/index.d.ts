// Type declarations of the edgembed runtime (the npm package "edgembed"; the same files as web/runtime/).
// Checked by tests/test_npm_package.py with `tsc --strict`: correct use compiles, wrong use does not.

/** The two runtime backends: plain JS over model.edgembed, or onnxruntime-web over onnx/model.onnx. */
export type Backend = "flat" | "onnx";

/** Table quantization of an export (product-quantized exports are named pq<subvectors>, e.g. "pq32"). */
export type Quant = "fp32" | "fp16" | "int8" | "int4" | `pq${number}`;

/** Raw bytes of an artifact: a whole buffer, or a typed array / DataView over part of one. */
export type Bytes = ArrayBuffer | ArrayBufferView;

/** An export folder's manifest.json. */
export interface Manifest {
  format: "edgembed";
  format_version: number;
  source?: { kind?: string; path?: string; id?: string; base?: string };
  dims: number;
  quant: Quant;
  vocab_size: number;
  normalize: boolean;
  /** artifact role (flat, onnx, tokenizer, chartable, demo, ...) -> path relative to the folder */
  files: Record<string, string>;
  sha256?: Record<string, string>;
}

/** The parts of the onnxruntime-web module the onnx backend uses (`import * as ort from "onnxruntime-web/wasm"`). */
export interface OrtModule {
  env: { wasm: { numThreads?: number; wasmPaths?: unknown } };
  InferenceSession: {
    create(model: Uint8Array, options?: { executionProviders?: readonly string[]; graphOptimizationLevel?: "all" }): Promise<unknown>;
  };
  Tensor: new (type: "int64", data: BigInt64Array, dims: readonly number[]) => unknown;
}

/** Where onnxruntime-web finds its .wasm/.mjs files: a URL prefix, or file name -> URL. */
export type WasmPaths = string | Record<string, string>;

/** Options shared by `load` and `fromArtifacts`. */
export interface RuntimeOptions {
  /** default: "flat" (fromArtifacts: "flat" when `flat` is given, else "onnx") */
  backend?: Backend;
  /** onnx backend: the onnxruntime-web module; default: a run-time import of "onnxruntime-web/wasm" (import map / node_modules) */
  ort?: OrtModule;
  /** onnx backend: wasm threads (default 1, or up to 4 on a cross-origin-isolated page); 1 where the engine has no wasm
   *  threads, and a threaded session that fails to start is retried with 1 (both recorded in `info.fallbacks`) */
  numThreads?: number;
  /** onnx backend: see onnxruntime-web's env.wasm.wasmPaths */
  wasmPaths?: WasmPaths;
  /** flat backend, browsers only: split batches of at least `poolMinTexts` texts over this many module Web Workers
   *  (default 1); the calling thread where there are none or the pool cannot start (recorded in `info.fallbacks`) */
  workers?: number;
  /** flat backend: the smallest batch that goes to the worker pool (default POOL_MIN_TEXTS, 64) */
  poolMinTexts?: number;
  /** flat backend worker pool: the URL the workers import @huggingface/tokenizers from (default: the page's resolution) */
  tokenizersUrl?: string;
}

/** Lazy rows handed to fromArtifacts: the export's rows/index.bin and a reader of its row shards. */
export interface RowsSource {
  /** the bytes of rows/index.bin */
  index: Bytes;
  /**
   * the bytes of shard K (rows/<K>.bin, path from `shardPath`), fetched or read when a batch needs its rows;
   * o.background: asked by fill() (load() then fetches with priority "low")
   */
  fetchShard(k: number, o?: { background: boolean }): Promise<Bytes>;
  /**
   * the bytes of model.edgembed, already checked (load(): against the manifest's sha256): a batch or fill() that needs
   * `wholeShare` of the shards or more takes the table in this one request instead; absent: shards only.
   * background: asked by fill() (load() then fetches with priority "low"); null: the file cannot be reached
   * (offline, say): the rows then come shard by shard
   */
  fetchWhole?(opts: { background: boolean }): Promise<Bytes | null>;
  /**
   * the link as the caller saw it (load(): the manifest's time, the next files' rate): a batch needing fewer than
   * `wholeShare` of the shards also takes the whole table when that is estimated faster than its shards
   */
  link?: { rttMs: number; bytesPerMs: number };
  /** shard fetches at once (default 8) */
  concurrency?: number;
}

/** The artifacts of an export, already in memory (no fetch, no DOM: Node.js, React Native, workers). */
export interface Artifacts extends RuntimeOptions {
  /** tokenizer.json: its text, or the parsed object (or pass tokenizerPack instead) */
  tokenizerJson?: string | object;
  /** the bytes of the export's tokenizer.bin (gzipped as exported: needs DecompressionStream; or gunzipped) */
  tokenizerPack?: Bytes;
  /** the bytes of model.edgembed (flat backend) */
  flat?: Bytes;
  /** flat backend, instead of `flat`: rows fetched shard by shard as batches need them */
  rows?: RowsSource;
  /** lazy rows: the share of all shards from which a batch or fill() takes the whole table (default WHOLE_SHARE) */
  wholeShare?: number;
  /** check each row shard's SHA-256 against rows/index.bin (default true) */
  verify?: boolean;
  /** the bytes of onnx/model.onnx (onnx backend) */
  onnx?: ArrayBuffer | Uint8Array;
  /** the bytes of the export's chartable.bin (manifest.files.chartable), for the built-in WordPiece tokenizer */
  chartable?: ArrayBuffer | ArrayBufferView;
  /** for tokenizers that are not WordPiece: how to get @huggingface/tokenizers (default: a run-time import of its name) */
  loadLibrary?: () => Promise<TokenizersModule>;
  /** the export's manifest.json, checked against the flat file's header */
  manifest?: Manifest;
}

/** What `load` needs to fetch: the global fetch, or any function with its shape. */
export type FetchLike = (url: string) => Promise<{
  ok: boolean;
  status: number;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}>;

export interface LoadOptions extends RuntimeOptions {
  /** default: globalThis.fetch */
  fetch?: FetchLike;
  /**
   * flat backend: "lazy" fetches rows/index.bin at load, then only the row shards each batch needs; "whole" fetches
   * model.edgembed; "auto" (default) is lazy unless the first batch has `wholeBatch` texts or more
   */
  rows?: RowsMode;
  /** rows "auto": the first batch size from which the whole table is fetched instead (default WHOLE_BATCH, 512) */
  wholeBatch?: number;
  /** lazy rows: the share of all shards from which a batch or fill() takes model.edgembed in one request (default WHOLE_SHARE) */
  wholeShare?: number;
  /** lazy rows: row shard fetches at once (default 8; the site search asks for 32: over HTTP/2 a question's new
   * words' shards then go out together, over HTTP/1.1 the browser queues them by priority anyway) */
  rowsConcurrency?: number;
  /** check every fetched file against the manifest's sha256 (SubtleCrypto, else a JS SHA-256; default true) */
  verify?: boolean;
  /** "json": tokenizer.json + chartable.bin even when the export has the tokenizer pack (default: the pack) */
  tokenizer?: "pack" | "json";
  /**
   * flat backend: ask for tokenizer.bin and rows/index.bin (the names exports give them) together with manifest.json,
   * one round trip instead of two; used only when the manifest names them, and checked like any file (default true;
   * false for a folder without them: no request that fails)
   */
  early?: boolean;
}

/** Where the flat backend's rows come from. */
export type RowsMode = "auto" | "lazy" | "whole";

/** Lazy rows so far: shards fetched (and their bytes) of the export's total. */
export interface RowsStats {
  readonly shards: number;
  /** shards fetched one by one */
  readonly shardsFetched: number;
  /** bytes of the shards and of the whole table, if taken */
  readonly bytesFetched: number;
  readonly complete: boolean;
  /** fetches made for rows: shards plus the whole table */
  readonly requests: number;
  /** whether the whole table (model.edgembed) was taken in one request */
  readonly whole: boolean;
}

/** What this JS engine offers the runtime's fast paths (features.mjs), detected when the embedder is built. */
export interface RuntimeFeatures {
  crossOriginIsolated: boolean;
  /** a SharedArrayBuffer can be posted to workers (the flat pool then shares one table) */
  sharedArrayBuffer: boolean;
  /** module Web Workers, in a page or a worker (the flat backend's pool) */
  moduleWorkers: boolean;
  /** shared wasm memory that workers can use (onnxruntime-web threads) */
  wasmThreads: boolean;
}

/** A fast path the runtime could not take, and what it runs instead (e.g. WebKit: no SharedArrayBuffer). */
export interface Fallback {
  feature: "sharedArrayBuffer" | "moduleWorkers" | "wasmThreads";
  /** what was asked for, e.g. "2 wasm threads" */
  wanted: string;
  /** what runs instead, e.g. "1 wasm thread", "the calling thread", "a copy of the table per worker" */
  used: string;
  /** why, in words */
  reason: string;
}

export interface EmbedderInfo {
  backend: Backend;
  /** null: an onnx embedder built by fromArtifacts without a manifest */
  dims: number | null;
  quant: Quant | null;
  normalize: boolean | null;
  vocab: number | null;
  numThreads: number;
  /** flat backend: the workers it may use (1 outside browsers); onnx: null */
  workers: number | null;
  /** "exact": edgembed's WordPiece tokenizer (chartable.bin), proven equal to Python's; "library": @huggingface/tokenizers */
  tokenizer: TokenizerPath;
  /** flat backend: "lazy" (row shards fetched as needed) or "whole" (model.edgembed); onnx: null */
  rows: "lazy" | "whole" | null;
  features: RuntimeFeatures;
  /** every fallback taken so far (a worker pool that cannot start adds one when it is first used) */
  fallbacks: Fallback[];
  /** set by load(): the model's name, the folder's URL, the rows mode asked for, the tokenizer file, integrity checks */
  model?: string;
  url?: string;
  rowsMode?: RowsMode | "whole" | null;
  tokenizerFile?: string;
  integrity?: "sha256" | "off";
}

export interface EmbedderStats {
  /** set by load(): bytes fetched (manifest, tokenizer, model file, row shards so far) and load time */
  bytesFetched: number;
  loadMs?: number;
  /** set by load(): ms since it began when the manifest was in, when every file was fetched and checked, when built */
  phases?: { manifest: number; files: number; built: number };
  /** lazy rows: shards fetched so far; otherwise null */
  rows: RowsStats | null;
}

/** The flat backend's Web Worker pool, once a large enough batch started it. */
export interface PoolInfo {
  readonly size: number;
  /** true when the workers share one SharedArrayBuffer (cross-origin-isolated page) */
  readonly shared: boolean;
  readonly batches: number;
  readonly texts: number;
}

export declare class Embedder {
  private constructor();
  readonly backend: Backend;
  info: EmbedderInfo;
  readonly stats: EmbedderStats;
  /** Token ids of one text (add_special_tokens=False, the tokenizer.json's truncation applied). */
  tokenize(text: string): number[];
  /** One Float32Array of `dims` numbers per text; an empty text gives the zero vector. */
  embed(texts: readonly string[] | string): Promise<Float32Array[]>;
  /** One Float32Array per list of token ids (ids of this model's vocabulary). */
  embedIds(lists: ReadonlyArray<ArrayLike<number>>): Promise<Float32Array[]>;
  /** Where the flat backend's rows are now: "lazy", "whole", or null (onnx). */
  readonly rows: "lazy" | "whole" | null;
  /**
   * Lazy rows: fetch every shard not here yet (never one twice), or model.edgembed in one low-priority request when
   * a large share is missing (WHOLE_SHARE, or the link estimate), e.g. once the page is idle, so that later batches
   * and offline use do not wait; resolves with the rows' stats (null for other embedders, which hold everything).
   * background (default true): the whole table's fetch yields to the page's other requests
   */
  fill(opts?: { concurrency?: number; signal?: AbortSignal; background?: boolean; onProgress?: (fetched: number, total: number) => void }): Promise<RowsStats | null>;
  /**
   * Check this embedder on this device against the ids and vectors edgembed computed in Python at export time
   * (selftest.json: load() fetches it; with fromArtifacts pass its text or parsed content).
   */
  selfTest(spec?: string | object): Promise<SelfTestResult>;
  /** The worker pool once a batch started it, else null. */
  get pool(): PoolInfo | null;
  /** Free the onnx session / stop the workers. */
  release(): Promise<void>;
}

/** What `Embedder.selfTest` found. */
export interface SelfTestResult {
  /** every id list equal and every vector within `tolerance` */
  ok: boolean;
  idTexts: number;
  idMismatches: number;
  firstMismatch: string | null;
  vectorTexts: number;
  maxDiff: number;
  tolerance: number;
  ms: number;
}

/** The backends `load` and `fromArtifacts` accept. */
export declare const BACKENDS: readonly Backend[];
/** Batches smaller than this stay on the calling thread even with a worker pool. */
export declare const POOL_MIN_TEXTS: number;
/** rows "auto": a first batch of at least this many texts fetches the whole table (512). */
export declare const WHOLE_BATCH: number;
/** Lazy rows: a batch or fill() needing at least this share of all shards takes the whole table in one request (0.25). */
export declare const WHOLE_SHARE: number;
/** The rows modes `load` accepts. */
export declare const ROWS: readonly RowsMode[];
/** rows/index.bin, parsed: how the table is cut into shards (docs/format.md). */
export interface RowsIndex {
  vocab: number;
  dims: number;
  quant: Quant;
  normalize: boolean;
  rowBytes: number;
  shardRows: number;
  shards: number;
  hashBytes: number;
  scaleBytes: number;
  digits: number;
}
/** Parse the bytes of rows/index.bin; throws on a truncated or corrupt index. */
export declare function parseRowsIndex(data: Bytes): RowsIndex;
/** The path of row shard K relative to the export folder ("rows/0042.bin"). */
export declare function shardPath(index: RowsIndex, k: number): string;

/**
 * What a page ships for ids it embeds before rows/index.bin comes: the index's fields and the hashes (hex of the first
 * hashBytes bytes of each shard's SHA-256) of the shards those ids are in, keyed by shard number. Not for pq tables.
 */
export interface PartialRowsHead extends RowsIndex {
  hashes: Record<string, string>;
}
/** A rows index from a PartialRowsHead (the hashes of the other shards unknown: LazyRows refuses those shards). */
export declare function partialRowsIndex(head: PartialRowsHead): RowsIndex & { known: Uint8Array };
/**
 * Vectors of token id lists from the row shards they need alone (no tokenizer, index or manifest): every shard checked
 * against HEAD's hash; the rows and pooling are the lazy embedder's, so the vectors are bit-identical to embed()'s.
 * Also the shards' bytes, by shard number, for a later load() to take instead of fetching them again.
 */
export declare function embedIdsWithRows(head: PartialRowsHead, idLists: ArrayLike<number>[],
  fetchShard: (k: number, o: { background: boolean }) => Promise<Bytes>): Promise<{ vectors: Float32Array[]; shards: Record<number, Uint8Array> }>;

/**
 * An embedder of token id lists over an export's row shards, without its tokenizer: the manifest and rows/index.bin
 * (checked against the manifest), then the shards the ids need (each checked against the index). The rows and pooling
 * are the lazy embedder's, so the vectors are bit-identical to embed()'s for the texts the ids are of. What site
 * search uses for a question whose ids its index's word table gives. An export without row shards is an error.
 */
export declare function loadRows(baseUrl: string | URL, opts?: { fetch?: FetchLike; verify?: boolean; rowsConcurrency?: number }):
  Promise<{ embedIds(lists: ArrayLike<number>[]): Promise<Float32Array[]>; rows: unknown }>;

/** Fetch an export folder's manifest, tokenizer and model file (relative to the page, or an absolute URL), then build the embedder. */
export declare function load(baseUrl: string | URL, opts?: LoadOptions): Promise<Embedder>;

/** Build an embedder over artifacts already in memory. */
export declare function fromArtifacts(artifacts: Artifacts): Promise<Embedder>;

/** BYTES (gzip data) unpacked by the engine's DecompressionStream; WHAT names them in errors (default "the tokenizer pack"). */
export declare function gunzip(bytes: Uint8Array, what?: string): Promise<Uint8Array>;

/** Which tokenizer runs: edgembed's exact WordPiece, or the @huggingface/tokenizers fallback. */
export type TokenizerPath = "exact" | "library";

/** The runtime's tokenizer: ids equal to Python `tokenizers` (add_special_tokens=False) on the same file. */
export interface Tokenizer {
  readonly path: TokenizerPath;
  encode(text: string): number[];
  /** ids of each text; the exact tokenizer returns Int32Arrays when it can split texts at spaces (`piecewise`) */
  encodeBatch(texts: readonly string[]): Array<number[] | Int32Array>;
  /** the tokenizer.json's truncation max_length, or null */
  readonly maxLength: number | null;
}

/** The @huggingface/tokenizers module, or what of it the fallback uses. */
export interface TokenizersModule {
  Tokenizer: new (tokenizerJson: object, tokenizerConfig: object) => object;
}

export interface CreateTokenizerOptions {
  /** the export's chartable.bin: required for WordPiece tokenizers */
  chartable?: ArrayBuffer | ArrayBufferView;
  /** how to get @huggingface/tokenizers for other tokenizers (default: a run-time import of its bare name) */
  loadLibrary?: () => Promise<TokenizersModule>;
}

/** WordPiece tokenizers need `chartable`; others load @huggingface/tokenizers (an optional peer). */
export declare function createTokenizer(tokenizerJson: string | object, opts?: CreateTokenizerOptions): Promise<Tokenizer>;

/** A flat file's header and typed-array views of its sections (no copy when aligned). */
export interface FlatModel {
  vocab: number;
  dims: number;
  quant: Quant;
  rowBytes: number;
  normalize: boolean;
  table: Float32Array | Uint16Array | Int8Array | Uint8Array;
  scales: Float32Array | null;
  /** int8: the float64 row sums in wasm SIMD, bit-identical to the JavaScript ones, which embedIds then uses (the
   *  pool workers set it with rowsum_wasm.mjs; absent or null: JavaScript) */
  rowSum?: ((ids: ArrayLike<number>) => Float64Array) | null;
}

/** Parse the bytes of model.edgembed (docs/format.md); throws on a truncated or corrupt file. */
export declare function parseFlat(data: ArrayBuffer | SharedArrayBuffer | ArrayBufferView): FlatModel;

// ---- Site search (search.mjs; an index folder written by `edgembed index`, docs/search.md) ----

/** hybrid (default): keyword and dense scores fused; keyword: BM25 only (no model); semantic: dense only. */
export type SearchMode = "hybrid" | "keyword" | "semantic";

export interface SearchOptions {
  /** pages to return (default 10) */
  limit?: number;
  mode?: SearchMode;
  /** a list shown until another replaces it: a page too long for an outline lists only the sub-results whose text
   * is already fetched or on its way (no fetch for the others); hits and scores are unchanged */
  provisional?: boolean;
}

/** One chunk of a page (a section of it: docs/search.md, how pages are split). */
export interface SearchSubResult {
  /** page URL plus #anchor */
  url: string;
  heading: string;
  score: number;
}

/** One page, scored by its best chunk (plus index.json's fusion.page_alpha x its other chunks' scores); its other
 * matching chunks are sub_results, best first (at most 3), then any later page folded into it (its whole best chunk
 * repeats this hit's excerpt: its anchor URL, its title as heading). No excerpt repeats one shown above it. */
export interface SearchHit {
  /** the page's URL (as indexed, prefixed by LoadSearchOptions.baseUrl) */
  url: string;
  title: string;
  /** heading of the best chunk ("" before the first heading) */
  heading: string;
  /** url plus the best chunk's #anchor */
  anchor_url: string;
  excerpt: string;
  score: number;
  sub_results: SearchSubResult[];
}

export interface LoadSearchOptions {
  /** default: globalThis.fetch */
  fetch?: FetchLike;
  /** prefix of every result URL (a site served under a sub-path), default "" */
  baseUrl?: string;
  /** start loading the model (model/ in the index folder) right away (default true); false: on the first dense query */
  preload?: boolean;
  /** hybrid feedback's inputs (term bags or text) are fetched with the first pass's vectors for its best
   * feedback_docs + this many chunks by the sign-code estimate; -1: none (fetched after the vectors); default: 4
   * where index.json came over HTTP/2 or 3 (its resource timing), else none. The results are the same either way. */
  speculate?: number;
}

export declare const MODES: readonly SearchMode[];

export declare class SiteSearch {
  private constructor();
  /** the index's index.json */
  readonly meta: { pages: number; chunks: number; terms: number; dims: number; site_name?: string; [key: string]: unknown };
  /** requests made so far; feedback inputs speculated (fetched with the first pass's vectors), and of the chunks
   * feedback read (fed), those among them (used) */
  readonly stats: { requests: number; speculated: number; used: number; fed: number };
  /** the last query's typo corrections: its term -> the index term searched instead */
  readonly corrections: Map<string, string>;
  /** Pages best first; fetches only the pieces this query needs. */
  search(query: string, opts?: SearchOptions): Promise<SearchHit[]>;
  /** The embedder of the index's model, loaded once (its tokenizer pack included: with a word ids table, a search
   * alone fetches that only for a question neither the table nor its vocab/ shards can answer). */
  loadModel(): Promise<Embedder>;
  /** Start fetching what any query of MODE needs whatever its text (the model, the sign codes); the box calls it
   * when its input gets focus. */
  prefetch(mode?: SearchMode): void;
  /** Start fetching the term shards of a query being typed: its finished words and the word being typed (from 3
   * characters on); the box calls it on every key. */
  prefetchTerms(text: string): void; // nothing for a text the analyzer cannot read yet (not printable ASCII, table on its way)
  /** Whether a keyword search of `text` needs no term fetch (every term shard has arrived, no typo to correct, and
   * the word still being typed, if any, is a term of the index). */
  termsReady(text: string): boolean;
  /** While a query is typed: the keyword ranking of its finished words and the text shards of its first `limit`
   * pages' best chunks (once two strong terms are finished); with `model`, also the model's rows of those words and
   * the word ids shard of the word being typed. */
  prefetchResults(text: string, limit?: number, model?: boolean): Promise<void>;
}

/** Open an index folder (e.g. "/_edgembed/"): fetches index.json and starts the analyzer's character table. With
 * index.json's BERT-uncased analyzer (every index `edgembed index` writes) it resolves without waiting for the
 * table: printable-ASCII questions are analyzed at once, and every list still waits for the table (its excerpts);
 * with another analyzer it resolves once the table is here. */
export declare function loadSearch(indexUrl: string | URL, opts?: LoadSearchOptions): Promise<SiteSearch>;
