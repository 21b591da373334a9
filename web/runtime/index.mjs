// The npm package's entry point ("edgembed"): the public API of the runtime in one place.
// Only the flat backend's code is imported eagerly; onnx.mjs, pool.mjs and the optional peers load on demand.
export { BACKENDS, Embedder, POOL_MIN_TEXTS, ROWS, WHOLE_BATCH, embedIdsWithRows, fromArtifacts, gunzip, load, loadRows } from "./edgembed.mjs";
export { parseFlat } from "./flat.mjs";
export { WHOLE_SHARE, parseRowsIndex, partialRowsIndex, shardPath } from "./rows.mjs";
export { createTokenizer } from "./tokenize.mjs";
export { MODES, SiteSearch, loadSearch } from "./search.mjs";
