// A module Web Worker of the flat backend's pool (pool.mjs). It tokenizes and embeds the shares of a batch
// it is given with the code of the single-thread path (tokenize.mjs + flat.mjs): bit-identical vectors.
// Messages in:  {type: "init", tokenizersUrl, tokenizerJson | tokenizerPack (unpacked bytes), chartable, flat}  (flat: ArrayBuffer or SharedArrayBuffer;
//               tokenizersUrl: where to import @huggingface/tokenizers from, for non-WordPiece tokenizers only)
//               {type: "embed", id, texts}  (the piece cache below outlives batches)
// Messages out: {type: "ready"} | {type: "result", id, data: Float32Array [texts x dims], transferred}
//               {type: "error", id, message, name}  (id null: init failed)
import { embedIds, parseFlat } from "./flat.mjs";
import { createTokenizer } from "./tokenize.mjs";
import { parseTokenizerPack } from "./tokpack.mjs";
import { rowSumWasm } from "./rowsum_wasm.mjs";

let ready = null; // Promise<{tokenizer, model}>, set by the init message
// The piece cache (wordpiece.mjs PieceCache; a Map on the library path): the ids of each distinct space-separated piece
// this worker has tokenized, kept across batches (a piece's ids are a pure function of the piece when the tokenizer is
// `piecewise`), and started over once it holds MAX_PIECES pieces (a few MB).
let cache = null;
const MAX_PIECES = 1 << 17;

const oneLine = (e) => String(e?.message ?? e).split("\n")[0];

async function init(msg) {
  // The worker does not see the page's import map: the page passes the URL it resolves the library to.
  const loadLibrary = () => import(msg.tokenizersUrl);
  const pack = msg.tokenizerPack ? parseTokenizerPack(msg.tokenizerPack) : null;
  const tokenizer = pack ? await createTokenizer(pack.spec, { chartable: pack.chartable })
    : await createTokenizer(msg.tokenizerJson, { chartable: msg.chartable, loadLibrary });
  const model = parseFlat(msg.flat);
  model.rowSum = await rowSumWasm(model); // int8: the same sums in wasm SIMD (bit-identical), else null (JavaScript)
  return { tokenizer, model };
}

function embed({ tokenizer, model }, texts) {
  const lists = tokenizer.encodeBatch(texts, cache);
  const d = model.dims;
  const out = new Float32Array(lists.length * d);
  for (let i = 0; i < lists.length; i++) embedIds(model, lists[i], out.subarray(i * d, (i + 1) * d));
  return out;
}

self.onmessage = async ({ data: msg }) => {
  if (msg.type === "init") {
    ready = init(msg);
    ready.then(() => self.postMessage({ type: "ready" }), (e) => self.postMessage({ type: "error", id: null, message: oneLine(e) }));
    return;
  }
  if (msg.type !== "embed") return;
  try {
    if (!ready) throw new Error("the worker got texts before its init message");
    const state = await ready;
    if (!cache || (cache.count ?? cache.size) > MAX_PIECES) cache = state.tokenizer.newCache ? state.tokenizer.newCache() : new Map();
    const out = embed(state, msg.texts);
    self.postMessage({ type: "result", id: msg.id, data: out }, [out.buffer]);
  } catch (e) {
    self.postMessage({ type: "error", id: msg.id, message: oneLine(e), name: e?.name });
  }
};
