// The transformers.js page of the browser benchmark (benchmarks/bench_browser.py copies it next to
// transformers.min.js and onnxruntime-web's wasm files). It exposes the demo page's contract:
// window.edgembed = { ready, embed(texts) -> Float32Array[], bytesFetched() }.
// Query: ?model=<folder under localModelPath>&threads=N&wasm=asyncify|plain&batch=64&pooling=none|mean&normalize=0|1
import { env, pipeline } from "./transformers.min.js";

const params = new URLSearchParams(location.search);
const here = (name) => new URL(name, import.meta.url).href;
const suffix = params.get("wasm") === "plain" ? "" : ".asyncify"; // transformers.js' default is asyncify

env.allowRemoteModels = false; // everything comes from this server
env.allowLocalModels = true;
env.localModelPath = new URL("../", location.href).pathname; // a path, not a URL
env.useBrowserCache = false;
const wasm = env.backends.onnx.wasm;
wasm.wasmPaths = { mjs: here(`ort-wasm-simd-threaded${suffix}.mjs`), wasm: here(`ort-wasm-simd-threaded${suffix}.wasm`) };
wasm.numThreads = Number(params.get("threads") ?? 1);
const batchSize = Number(params.get("batch") ?? 64);
// pooling=none (default): the graph pools; pooling=mean&normalize=1: a token-level graph pooled by transformers.js
const options = { pooling: params.get("pooling") ?? "none", normalize: params.get("normalize") === "1" };

// config.json (written by edgembed) sets transformers.js_config.dtype = "fp32": onnx/model.onnx, pooled in-graph.
const extractor = pipeline("feature-extraction", params.get("model") ?? "m", { device: "wasm" });

/** One Float32Array per text; texts are grouped by length into batches (what a careful caller does). */
async function embed(texts) {
  const ex = await extractor;
  const order = texts.map((_, i) => i).sort((a, b) => texts[a].length - texts[b].length || a - b);
  const out = new Array(texts.length);
  for (let i = 0; i < order.length; i += batchSize) {
    const idx = order.slice(i, i + batchSize);
    const t = await ex(idx.map((j) => texts[j]), options);
    const d = t.dims[1];
    idx.forEach((j, r) => { out[j] = t.data.slice(r * d, (r + 1) * d); });
    t.dispose?.();
  }
  return out;
}

function bytesFetched() {
  return performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
    .reduce((s, e) => s + (e.encodedBodySize || 0), 0);
}

window.edgembed = { ready: extractor.then(() => undefined), embed, bytesFetched, numThreads: () => wasm.numThreads };
