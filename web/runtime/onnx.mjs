// The `onnx` backend: onnxruntime-web (wasm) running the exported model.onnx.
// onnxruntime-web is an optional peer imported lazily, so pages that only use the flat backend never fetch it.
import { importPeer } from "./peers.mjs";

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
 * Create an ONNX session over the model bytes.
 * @param {ArrayBuffer | Uint8Array} modelBytes the exported onnx/model.onnx
 * @param {{ort?: object, numThreads?: number, wasmPaths?: string | object}} [opts]
 */
export async function createOnnxBackend(modelBytes, opts = {}) {
  const ort = await importOrt(opts.ort);
  const wasm = ort.env.wasm;
  const isolated = globalThis.crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  wasm.numThreads = opts.numThreads ?? (isolated ? Math.max(1, Math.min(4, cores)) : 1);
  if (opts.wasmPaths !== undefined) wasm.wasmPaths = opts.wasmPaths;
  const bytes = modelBytes instanceof Uint8Array ? modelBytes : new Uint8Array(modelBytes);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  return new OnnxBackend(ort, session);
}

export class OnnxBackend {
  constructor(ort, session) {
    this.ort = ort;
    this.session = session;
    this.numThreads = ort.env.wasm.numThreads;
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
