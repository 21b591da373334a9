// edgembed's edge worker: one module worker for Cloudflare Workers (workerd), Deno (`deno serve`) and Bun
// (`Bun.serve({ fetch: worker.fetch })`). The model bytes and the tokenizer are JS modules next to this file
// (model.mjs, written by `edgembed export --target edge`), so no runtime needs a file system, fetch or config.
// The model is decoded while the module loads; requests that do not embed (GET /, bad input) never wait for it.
//
//   POST /embed            {"texts": ["...", ...]}  ->  {"embeddings": [[...], ...], "dims": N}
//   POST /v1/embeddings    the OpenAI embeddings API (string / list / token-id input, base64, dimensions)
//   GET  /                 model name, dims, quant, normalize, vocab size, limits
import { createHandler } from "./api.mjs";
import { decodeBase64 } from "./base64.mjs";
import { data, info, manifest, settings } from "./model.mjs";
import { fromArtifacts } from "./runtime/edgembed.mjs";
import { embedIds, parseFlat } from "./runtime/flat.mjs";

/** @returns {Promise<import("./api.mjs").Engine>} */
async function createEngine() {
  const flat = decodeBase64(data.flat);
  const embedder = await fromArtifacts({
    backend: "flat",
    manifest,
    tokenizerJson: data.tokenizer,
    flat,
    chartable: data.chartable === null ? undefined : decodeBase64(data.chartable),
    // a tokenizer that is not WordPiece: the bundled @huggingface/tokenizers (ids not proven equal to Python's)
    loadLibrary: data.tokenizersLibrary === null ? undefined : async () => data.tokenizersLibrary,
  });
  const model = parseFlat(flat); // views over the same bytes: token-id input is embedded without the tokenizer
  const tok = embedder.tokenizer;
  return {
    embedTexts: (texts) => embedder.embed(texts),
    tokenize: (texts) => (typeof tok.encodeBatch === "function" ? tok.encodeBatch(texts) : texts.map((t) => embedder.tokenize(t))),
    embedIds: (lists) => lists.map((ids) => embedIds(model, ids)),
  };
}

/** Start building the engine; a failed start is retried by the next request that embeds. */
function start() {
  const p = createEngine();
  p.catch(() => {
    if (engine === p) engine = null;
  });
  return p;
}

// Started while the module loads (not awaited: no runtime needs top-level await), so the model is decoded
// in the start-up phase (on Workers: its own CPU budget, often during the TLS handshake), not in the first
// request's CPU time.
let engine = start();

const handler = createHandler({ info, settings, engine: () => (engine ??= start()) });

export default {
  /** @param {Request} request */
  fetch: (request) => handler(request),
};
