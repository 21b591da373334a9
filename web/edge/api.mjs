// The edge worker's HTTP API: routing, limits, CORS, request validation and the two embedding endpoints
// (`POST /embed` and the OpenAI-compatible `POST /v1/embeddings`). No model code here: the handler gets an
// `engine` (see worker.mjs), so this module runs the same in workerd, Deno, Bun and Node.

import { float32ToBase64 } from "./base64.mjs";

/**
 * @typedef {{name: string, dims: number, quant: string, normalize: boolean, vocab_size: number, source?: object}} ModelInfo
 * @typedef {{corsOrigin: string, maxTexts: number, maxBytes: number, maxDepth?: number}} Settings
 * @typedef {{embedTexts(texts: string[]): Promise<Float32Array[]>, tokenize(texts: string[]): number[][],
 *            embedIds(lists: number[][]): Float32Array[]}} Engine
 */

/** How much of an over-limit body is read (and dropped) before the 413, so clients see the answer. */
const DRAIN_BYTES = 64 * 1024 * 1024;
/** The deepest JSON nesting of arrays/objects a body may have unless settings.maxDepth says (the API needs 3). */
export const MAX_DEPTH = 64;
const JSON_TYPE = "application/json; charset=utf-8";
const ROUTES = {
  "/": ["GET", "HEAD"],
  "/embed": ["POST"],
  "/v1/embeddings": ["POST"],
  "/v1/models": ["GET", "HEAD"],
};

/** A request the worker refuses: status, message, and for OpenAI-shaped answers the offending param and a code. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {{param?: string | null, code?: string | null, type?: string, headers?: Record<string, string>}} [extra]
   */
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.param = extra.param ?? null;
    this.code = extra.code ?? null;
    this.type = extra.type ?? (status >= 500 ? "server_error" : "invalid_request_error");
    this.headers = extra.headers ?? {};
  }
}

/**
 * The worker's `fetch(request)`. It never throws: bad input is a 4xx JSON answer, a failure of the worker
 * itself a 500 with a one-line message (never a stack trace).
 * @param {{info: ModelInfo, settings: Settings, engine: () => Promise<Engine>}} app
 * @returns {(request: Request) => Promise<Response>}
 */
export function createHandler(app) {
  return async function fetch(request) {
    const cors = corsHeaders(app.settings.corsOrigin, request);
    let path = "/";
    try {
      path = new URL(request.url).pathname;
      // Every body is read (or drained) before the answer, whatever the route: a worker that answers without
      // reading it leaves the rest on a keep-alive connection, which workerd then closes under the client.
      const body = await readBody(request, app.settings.maxBytes);
      return withHeaders(await route(app, request, path, body, cors), cors);
    } catch (e) {
      const err = e instanceof HttpError ? e : internal(e);
      return withHeaders(errorResponse(err, path.startsWith("/v1/")), { ...cors, ...err.headers });
    }
  };
}

async function route(app, request, path, body, cors) {
  const methods = ROUTES[path];
  if (methods === undefined) {
    throw new HttpError(404, `no route ${clip(path, 100)}: use GET /, POST /embed or POST /v1/embeddings`, { code: "unknown_url" });
  }
  if (request.method === "OPTIONS") return preflight(methods, request, cors);
  if (!methods.includes(request.method)) {
    throw new HttpError(405, `${clip(request.method, 20)} is not allowed on ${path}: use ${methods.join(" or ")}`,
      { code: "method_not_allowed", headers: { Allow: [...methods, "OPTIONS"].join(", ") } });
  }
  if (path === "/") return json(200, describe(app));
  if (path === "/v1/models") return json(200, { object: "list", data: [modelObject(app.info)] });
  const value = parseJson(body, app.settings.maxDepth ?? MAX_DEPTH);
  if (path === "/embed") return json(200, await embedRoute(app, value));
  return json(200, await openaiRoute(app, value));
}

/** `GET /`: what this worker serves. */
function describe(app) {
  const { info, settings } = app;
  return {
    name: info.name, dims: info.dims, quant: info.quant, normalize: info.normalize, vocab_size: info.vocab_size,
    source: info.source ?? null,
    endpoints: { embed: "POST /embed", openai: "POST /v1/embeddings", models: "GET /v1/models" },
    limits: { max_texts: settings.maxTexts, max_bytes: settings.maxBytes, max_depth: settings.maxDepth ?? MAX_DEPTH },
  };
}

const modelObject = (info) => ({ id: info.name, object: "model", created: 0, owned_by: "edgembed" });

/** `POST /embed {"texts": [...]}` → `{"embeddings": [[...]], "dims": N}`. */
async function embedRoute(app, body) {
  if (!isObject(body)) throw new HttpError(400, 'the body must be a JSON object like {"texts": ["..."]}');
  const texts = body.texts;
  if (texts === undefined) throw new HttpError(400, "missing 'texts': a list of strings", { param: "texts" });
  if (!Array.isArray(texts)) throw new HttpError(400, "'texts' must be a list of strings", { param: "texts" });
  checkCount(texts.length, app.settings.maxTexts, "texts");
  texts.forEach((t, i) => {
    if (typeof t !== "string") throw new HttpError(400, `texts[${i}] is not a string`, { param: "texts" });
  });
  const engine = await app.engine();
  const vecs = texts.length ? await engine.embedTexts(texts) : [];
  return { embeddings: vecs.map((v) => Array.from(v)), dims: app.info.dims };
}

/** `POST /v1/embeddings`, the OpenAI embeddings API. */
async function openaiRoute(app, body) {
  const { info, settings } = app;
  if (!isObject(body)) throw new HttpError(400, "the body must be a JSON object with an 'input' field", { param: null });
  const model = body.model ?? info.name;
  if (typeof model !== "string") throw new HttpError(400, "'model' must be a string", { param: "model" });
  const format = body.encoding_format ?? "float";
  if (format !== "float" && format !== "base64") {
    throw new HttpError(400, `'encoding_format' must be "float" or "base64", got ${short(format)}`, { param: "encoding_format" });
  }
  const dims = body.dimensions ?? info.dims;
  if (!Number.isInteger(dims) || dims < 1 || dims > info.dims) {
    throw new HttpError(400, `'dimensions' must be a whole number from 1 to ${info.dims} (this export's dims), got ${short(body.dimensions)}`,
      { param: "dimensions" });
  }
  const input = parseInput(body.input, info.vocab_size, settings.maxTexts);
  const engine = await app.engine();
  const ids = input.texts ? engine.tokenize(input.texts) : input.ids;
  let vecs = engine.embedIds(ids);
  if (dims < info.dims) vecs = vecs.map((v) => truncate(v, dims, info.normalize));
  const tokens = ids.reduce((n, l) => n + l.length, 0);
  return {
    object: "list",
    data: vecs.map((v, index) => ({ object: "embedding", index, embedding: format === "base64" ? float32ToBase64(v) : Array.from(v) })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/**
 * OpenAI's `input`: a string, a list of strings, a list of token ids, or a list of lists of token ids.
 * @returns {{texts?: string[], ids?: number[][]}}
 */
export function parseInput(input, vocab, maxTexts) {
  const bad = (msg) => new HttpError(400, msg, { param: "input" });
  if (input === undefined || input === null) throw bad("missing 'input': a string, a list of strings, or token ids");
  if (typeof input === "string") return { texts: [input] };
  if (!Array.isArray(input)) throw bad("'input' must be a string, a list of strings, a list of token ids or a list of such lists");
  if (input.length === 0) return { texts: [] }; // an empty batch (OpenAI answers 400 here)
  if (input.every((x) => typeof x === "string")) {
    checkCount(input.length, maxTexts, "input");
    return { texts: input };
  }
  if (input.every((x) => typeof x === "number")) return { ids: [checkIds(input, vocab, "input")] };
  if (input.every((x) => Array.isArray(x))) {
    checkCount(input.length, maxTexts, "input");
    return { ids: input.map((l, i) => checkIds(l, vocab, `input[${i}]`)) };
  }
  throw bad("'input' mixes types: give strings, or token ids, or lists of token ids");
}

function checkIds(list, vocab, where) {
  for (let i = 0; i < list.length; i++) {
    const id = list[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocab) {
      throw new HttpError(400, `${where}[${i}] = ${short(id)} is not a token id of this model's vocabulary (0..${vocab - 1})`,
        { param: "input", code: "invalid_token_id" });
    }
  }
  return list;
}

/** The first `dims` columns, re-normalized (as edgembed does everywhere) when the model normalizes. */
export function truncate(vec, dims, normalize) {
  const out = vec.slice(0, dims);
  if (!normalize) return out;
  let ss = 0;
  for (let j = 0; j < dims; j++) ss += out[j] * out[j];
  const norm = Math.max(Math.fround(Math.sqrt(ss)), 1e-12);
  for (let j = 0; j < dims; j++) out[j] = out[j] / norm;
  return out;
}

function checkCount(n, max, what) {
  if (n > max) throw new HttpError(413, `too many ${what}: ${n}, this worker takes at most ${max} per request`, { param: what, code: "too_many_inputs" });
}

/**
 * The request's body, read to its end: bytes (empty when there is none). Past maxBytes (declared or counted)
 * the rest is read and dropped up to DRAIN_BYTES, so a client still sending gets the answer, and the 413 says
 * `Connection: close` (where the runtime passes it on).
 * @returns {Promise<Uint8Array>}
 */
export async function readBody(request, maxBytes) {
  const tooBig = (n) => new HttpError(413, `request body of ${n} bytes is over this worker's limit of ${maxBytes} bytes`,
    { code: "request_too_large", headers: { Connection: "close" } });
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (!request.body) {
    if (declared > maxBytes) throw tooBig(declared);
    return new Uint8Array(0);
  }
  const chunks = [];
  let total = 0;
  const reader = request.body.getReader();
  let over = declared > maxBytes;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) over = true;
      if (over && total > DRAIN_BYTES) break;
      if (!over) chunks.push(value);
    }
  } catch {
    throw new HttpError(400, "the request body could not be read to its end");
  }
  if (over) {
    await reader.cancel().catch(() => {});
    throw tooBig(declared > maxBytes ? declared : `over ${total}`);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/**
 * BYTES as JSON: non-UTF-8, empty, nested deeper than maxDepth (checked before parsing, in one pass with no
 * recursion) and bad JSON are 400s. A UTF-8 byte order mark is skipped.
 */
export function parseJson(bytes, maxDepth = MAX_DEPTH) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "the body is not valid UTF-8");
  }
  if (text.trim() === "") throw new HttpError(400, "empty body: send a JSON object");
  const at = nestingOver(text, maxDepth);
  if (at >= 0) throw new HttpError(400, `the body nests JSON deeper than ${maxDepth} levels (at character ${at})`, { code: "too_deep" });
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not valid JSON (${clip(String(e?.message ?? e).split("\n")[0], 100)})`);
  }
}

/**
 * Where the JSON text first nests arrays/objects deeper than MAX (the index of that bracket), or -1. One linear
 * pass that skips strings (escapes included); no recursion, so no input can overflow the stack. On valid JSON the
 * depth it counts is the parser's; invalid JSON is left to JSON.parse.
 * @param {string} text
 * @param {number} max
 */
export function nestingOver(text, max) {
  const n = text.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // '"': jump to the closing quote, one not escaped by an odd run of backslashes
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return -1; // an unterminated string: invalid JSON, and nothing after it nests
        let k = q - 1;
        while (text.charCodeAt(k) === 92) k--;
        i = q;
        if ((q - 1 - k) % 2 === 0) break;
      }
    } else if (c === 91 || c === 123) { // '[' '{'
      if (++depth > max) return i;
    } else if (c === 93 || c === 125) { // ']' '}'
      depth--;
    }
  }
  return -1;
}

/**
 * CORS headers for every answer. `origin` is "*", one origin, or a comma-separated list (then the caller's
 * Origin is echoed when listed).
 */
export function corsHeaders(origin, request) {
  const h = { "Access-Control-Allow-Origin": "*" };
  if (origin === "*") return h;
  const allowed = origin.split(",").map((s) => s.trim()).filter(Boolean);
  const asked = request.headers.get("origin");
  const out = { Vary: "Origin" };
  if (allowed.length === 1) out["Access-Control-Allow-Origin"] = allowed[0];
  else if (asked && allowed.includes(asked)) out["Access-Control-Allow-Origin"] = asked;
  return out;
}

function preflight(methods, request, cors) {
  return new Response(null, {
    status: 204,
    headers: {
      ...cors,
      "Access-Control-Allow-Methods": [...methods, "OPTIONS"].join(", "),
      "Access-Control-Allow-Headers": request.headers.get("access-control-request-headers") ?? "Content-Type, Authorization",
      "Access-Control-Max-Age": "86400",
    },
  });
}

function json(status, obj) {
  return new Response(JSON.stringify(obj), { status, headers: { "Content-Type": JSON_TYPE, "Cache-Control": "no-store" } });
}

/** `{"error": "…"}` for /embed and /, OpenAI's `{"error": {message, type, param, code}}` under /v1/. */
function errorResponse(err, openai) {
  const body = openai
    ? { error: { message: err.message, type: err.type, param: err.param, code: err.code } }
    : { error: err.message };
  return json(err.status, body);
}

function withHeaders(res, headers) {
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}

/** A failure of the worker itself: logged in full, answered with a fixed line (no message, path or stack). */
function internal(e) {
  console.error("edgembed worker:", e);
  return new HttpError(500, "internal error: the worker failed on this request (its log has the details)");
}

const isObject = (x) => typeof x === "object" && x !== null && !Array.isArray(x);

/** A bounded description of a JSON value for an error message: never the whole value (it may be 4 MiB deep). */
export function short(x) {
  if (x === undefined) return "nothing";
  if (typeof x === "string") return x.length > 40 ? `${JSON.stringify(x.slice(0, 40))}… (${x.length} characters)` : JSON.stringify(x);
  if (x === null || typeof x === "number" || typeof x === "boolean") return String(x);
  if (Array.isArray(x)) return `a list of ${x.length}`;
  return "an object";
}

const clip = (s, n) => (s.length > n ? `${s.slice(0, n)}…` : s);
