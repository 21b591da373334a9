// Types of edgembed.bundle.mjs: what edgembed.mjs exports (load, loadRows, fromArtifacts, embedIdsWithRows, Embedder, gunzip and the constants), the
// same declarations as the package entry's (index.d.ts), which also has the tokenizer, flat reader and site search.
export { BACKENDS, Embedder, POOL_MIN_TEXTS, ROWS, WHOLE_BATCH, embedIdsWithRows, fromArtifacts, gunzip, load, loadRows } from "./index.js";
export type {
  Artifacts, Backend, Bytes, EmbedderInfo, EmbedderStats, Fallback, FetchLike, LoadOptions, Manifest, OrtModule,
  PartialRowsHead, PoolInfo, Quant, RowsMode, RowsSource, RowsStats, RuntimeFeatures, RuntimeOptions, SelfTestResult, WasmPaths,
} from "./index.js";
