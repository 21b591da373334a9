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

/** The artifacts of an export, already in memory (no fetch, no DOM: Node.js, React Native, workers). */
export interface Artifacts extends RuntimeOptions {
  /** tokenizer.json: its text, or the parsed object */
  tokenizerJson: string | object;
  /** the bytes of model.edgembed (flat backend) */
  flat?: Bytes;
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
  features: RuntimeFeatures;
  /** every fallback taken so far (a worker pool that cannot start adds one when it is first used) */
  fallbacks: Fallback[];
  /** set by load(): the model's name and the folder's URL */
  model?: string;
  url?: string;
}

export interface EmbedderStats {
  /** set by load(): bytes fetched (manifest, tokenizer, model file) and load time */
  bytesFetched?: number;
  loadMs?: number;
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
  stats: EmbedderStats;
  /** Token ids of one text (add_special_tokens=False, the tokenizer.json's truncation applied). */
  tokenize(text: string): number[];
  /** One Float32Array of `dims` numbers per text; an empty text gives the zero vector. */
  embed(texts: readonly string[] | string): Promise<Float32Array[]>;
  /** The worker pool once a batch started it, else null. */
  get pool(): PoolInfo | null;
  /** Free the onnx session / stop the workers. */
  release(): Promise<void>;
}

/** The backends `load` and `fromArtifacts` accept. */
export declare const BACKENDS: readonly Backend[];
/** Batches smaller than this stay on the calling thread even with a worker pool. */
export declare const POOL_MIN_TEXTS: number;

/** Fetch an export folder's manifest, tokenizer and model file (relative to the page, or an absolute URL), then build the embedder. */
export declare function load(baseUrl: string | URL, opts?: LoadOptions): Promise<Embedder>;

/** Build an embedder over artifacts already in memory. */
export declare function fromArtifacts(artifacts: Artifacts): Promise<Embedder>;

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
}

/** Parse the bytes of model.edgembed (docs/format.md); throws on a truncated or corrupt file. */
export declare function parseFlat(data: ArrayBuffer | SharedArrayBuffer | ArrayBufferView): FlatModel;
