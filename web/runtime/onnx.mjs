// The `onnx` backend: onnxruntime-web (wasm) running the exported model.onnx.
// onnxruntime-web is an optional peer imported lazily, so pages that only use the flat backend never fetch it.
// Threads: wanted when asked for (numThreads) or when the page is cross-origin isolated (up to 4); taken only where
// the engine has wasm threads (features.mjs), and a threaded session that fails to start (iOS Safari: "RangeError:
// Out of memory" on isolated pages) is retried with one thread. Both fallbacks are recorded in model.info.fallbacks.
import { detectFeatures, fallback, missing } from "./features.mjs";
import { importFresh, importPeer } from "./peers.mjs";

/**
 * Load onnxruntime-web: the module given by the caller (`ort`: what bundlers need), else the bare specifier
 * "onnxruntime-web/wasm" (an import map entry in browsers, node_modules in Node.js).
 */
async function importOrt(ort) {
  if (ort) return ort;
  const mod = await importPeer("onnxruntime-web/wasm", "the onnx backend");
  return mod.default && mod.default.InferenceSession ? mod.default : mod;
}

/**
 * A new instance of onnxruntime-web's module, for the single-threaded retry: the module keeps a failed wasm
 * initialization for good, and a URL with another query is another module instance. Null when it cannot be had.
 */
async function freshOrt() {
  const mod = await importFresh("onnxruntime-web/wasm", "edgembed-single-thread");
  return mod && mod.default && mod.default.InferenceSession ? mod.default : mod;
}

async function createSession(ort, bytes, threads, opts) {
  ort.env.wasm.numThreads = threads;
  if (opts.wasmPaths !== undefined) ort.env.wasm.wasmPaths = opts.wasmPaths;
  return ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
}

/**
 * Create an ONNX session over the model bytes.
 * @param {ArrayBuffer | Uint8Array} modelBytes the exported onnx/model.onnx
 * @param {{ort?: object, numThreads?: number, wasmPaths?: string | object}} [opts]
 * @param {ReturnType<typeof detectFeatures>} [features] this engine's (default: detected now)
 */
export async function createOnnxBackend(modelBytes, opts = {}, features = detectFeatures()) {
  let ort = await importOrt(opts.ort);
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  const wanted = opts.numThreads ?? (features.crossOriginIsolated ? Math.max(1, Math.min(4, cores)) : 1);
  const fallbacks = [];
  let threads = wanted;
  if (wanted > 1 && !features.wasmThreads) {
    threads = 1;
    fallbacks.push(fallback("wasmThreads", `${wanted} wasm threads`, "1 wasm thread", missing("wasmThreads", features)));
  }
  const bytes = modelBytes instanceof Uint8Array ? modelBytes : new Uint8Array(modelBytes);
  let session;
  try {
    session = await createSession(ort, bytes, threads, opts);
  } catch (e) {
    if (threads === 1) throw e;
    const why = String(e?.message ?? e).split("\n")[0];
    const fresh = opts.ort ? null : await freshOrt(); // a module passed in cannot be loaded again
    if (!fresh) throw new Error(`the onnx backend's ${threads}-thread session failed (${why}); onnxruntime-web keeps that failure: load with numThreads: 1`);
    ort = fresh;
    session = await createSession(ort, bytes, 1, opts);
    fallbacks.push(fallback("wasmThreads", `${threads} wasm threads`, "1 wasm thread", `the ${threads}-thread session failed: ${why}`));
  }
  return new OnnxBackend(ort, session, fallbacks);
}

export class OnnxBackend {
  constructor(ort, session, fallbacks = []) {
    this.ort = ort;
    this.session = session;
    this.numThreads = ort.env.wasm.numThreads;
    this.fallbacks = fallbacks;
  }

  /**
   * Embeddings of token id lists: texts sorted by length, padded per batch (attention_mask 0 on pads).
   * @param {number[][]} idLists
   * @param {number} [maxTokens] cap on batch * seq per run
   * @returns {Promise<Float32Array[]>}
   */
  async embedIds(idLists, maxTokens = 1 << 15) {
    const order = idLists.map((_, i) => i).sort((a, b) => idLists[a].length - idLists[b].length || a - b);
    const out = new Array(idLists.length);
    let i = 0;
    while (i < order.length) {
      let n = 1;
      while (i + n < order.length && (n + 1) * Math.max(1, idLists[order[i + n]].length) <= maxTokens) n++;
      const idx = order.slice(i, i + n);
      const width = Math.max(1, idLists[idx[n - 1]].length); // sorted: the last is the longest
      const ids = new BigInt64Array(n * width);
      const mask = new BigInt64Array(n * width);
      idx.forEach((j, r) => {
        const row = idLists[j];
        for (let k = 0; k < row.length; k++) {
          ids[r * width + k] = BigInt(row[k]);
          mask[r * width + k] = 1n;
        }
      });
      const feeds = {
        input_ids: new this.ort.Tensor("int64", ids, [n, width]),
        attention_mask: new this.ort.Tensor("int64", mask, [n, width]),
      };
      const res = await this.session.run(feeds, ["sentence_embedding"]);
      const t = res.sentence_embedding;
      const d = t.dims[1];
      idx.forEach((j, r) => { out[j] = t.data.slice(r * d, (r + 1) * d); });
      t.dispose?.();
      i += n;
    }
    return out;
  }

  async release() {
    await this.session.release();
  }
}
