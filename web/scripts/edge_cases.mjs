// Seeded hostile requests for an edge worker, each with the answer it must get: malformed JSON of many shapes,
// bytes that are not UTF-8, wrong types for every field, oversized bodies and batches, wrong methods and paths,
// deep nesting, odd content types, valid but hostile texts, and the boundaries (exactly the byte limit vs one
// more, max_texts vs one more, token ids at and past the vocabulary, nesting depth at and past the limit).
// Used by edge_hostile.mjs (over HTTP, in the tests) and edge_cpu.mjs (in-process CPU per request).
//
//   const cases = hostileCases(seed, info)   // info: the worker's GET / answer
//   case: {kind, method, path, headers, body: Uint8Array | string | null, expect: {status, param?, code?, count?}}
//   (expect.count: a 200 that embeds, with that many vectors)

/** A small seeded PRNG (mulberry32): the same seed gives the same cases in every runtime. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)] };
}

const enc = new TextEncoder();
const nested = (depth, open, close, inner) => open.repeat(depth) + inner + close.repeat(depth);
const nestedObj = (depth, inner) => '{"a":'.repeat(depth) + inner + "}".repeat(depth);

/** A text of random code points from every plane (surrogates excluded: JSON.stringify would escape them). */
function randomText(r, n) {
  const ranges = [[0x20, 0x7e], [0xa0, 0x2ff], [0x300, 0x36f], [0x370, 0x1fff], [0x2000, 0x206f], [0x3000, 0x9fff],
    [0xac00, 0xd7a3], [0xe000, 0xfffd], [0x10000, 0x1ffff], [0x20000, 0x2ffff], [0xe0000, 0xe01ef], [0, 0x1f]];
  let s = "";
  for (let i = 0; i < n; i++) {
    const [lo, hi] = r.pick(ranges);
    s += String.fromCodePoint(lo + r.int(hi - lo + 1));
  }
  return s;
}

/** A JSON body of exactly N bytes: {"texts": ["word word …"]} padded with spaces inside the text. */
function exactBody(n, field = "texts") {
  const head = `{"${field}": ["`, tail = '"]}';
  const room = n - head.length - tail.length;
  const words = "boundary layer ".repeat(Math.ceil(room / 15)).slice(0, room);
  return head + words + tail;
}

/**
 * The cases, in a seeded order. Requests under /v1/ expect OpenAI's error shape; `param` and `code` are checked
 * when given.
 */
export function hostileCases(seed, info) {
  const r = rng(seed);
  const { dims, vocab_size: vocab } = info;
  const { max_texts: maxTexts, max_bytes: maxBytes, max_depth: MAX_DEPTH } = info.limits;
  const out = [];
  const add = (kind, method, path, body, expect, headers = {}) => {
    const h = { ...headers };
    if (body !== null && !Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["content-type"] = "application/json";
    out.push({ kind, method, path, headers: h, body, expect });
  };
  const both = (kind, bodyFor, expect) => { // the same fault on both embedding endpoints
    add(kind, "POST", "/embed", bodyFor("texts"), expect);
    add(kind, "POST", "/v1/embeddings", bodyFor("input"), expect);
  };

  // malformed JSON of many shapes
  const valid = ['{"F": ["a cat sits", "a kitten rests"]}', '{"F": ["x"], "model": "m"}', '{"F": ["caf\\u00e9 \\"q\\""]}'];
  const broken = ['{', '}', '[', '{"F": ["a"]', '{"F": ["a"]}}', '{"F": ["a",]}', "{'F': ['a']}", '{F: ["a"]}',
    '{"F": [NaN]}', '{"F": [Infinity]}', '{"F": ["a"]} x', '{"F": ["a"]} {}', '/* c */ {"F": ["a"]}',
    '{"F": ["\\x41"]}', '{"F": ["\\u12"]}', '{"F": ["a\nb"]}', '{"F": ["a\tb"]}', '{"F": ["a"], }', '{,}',
    '{"F" "a"}', '{"F": ["a"] "b"}', '"', '"\\', '{"F": [01]}', '{"F": [1.]}', '{"F": [.5]}', '{"F": [-]}',
    '{"F": [1e]}', '{"F": tru}', '{"F": nul}', '{"F": ["a"]', "\u0000", "\ufeff\ufeff{}"];
  for (const b of broken) both("malformed-json", (f) => b.replaceAll("F", f), { status: 400 });
  for (let i = 0; i < 24; i++) { // random truncations of valid bodies
    const v = r.pick(valid);
    const cut = 1 + r.int(v.length - 2);
    both("malformed-json", (f) => v.replaceAll("F", f).slice(0, cut + (f === "input" ? 1 : 0)), { status: 400 });
  }
  for (const b of ["", "   ", "\r\n\t "]) both("empty-body", () => b, { status: 400 });
  for (const b of ["null", "true", "1", '"a string"', "[]", '["a"]', "[[1]]"]) both("not-an-object", () => b, { status: 400 });

  // bytes that are not UTF-8
  const badBytes = [[0xff], [0xc0, 0x80], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]];
  for (const b of badBytes) {
    both("not-utf8", (f) => new Uint8Array([...enc.encode(`{"${f}": ["a`), ...b, ...enc.encode('"]}')]), { status: 400 });
  }
  both("not-utf8", (f) => { // UTF-16LE
    const s = `{"${f}": ["a"]}`, u = new Uint8Array(2 * s.length);
    for (let i = 0; i < s.length; i++) u[2 * i] = s.charCodeAt(i);
    return u;
  }, { status: 400 });

  // wrong types for every field
  const wrong = [1, -3.5, true, false, { a: 1 }, "a text, not a list"];
  for (const w of wrong) add("wrong-type", "POST", "/embed", JSON.stringify({ texts: w }), { status: 400, param: "texts" });
  add("wrong-type", "POST", "/embed", JSON.stringify({ texts: null }), { status: 400, param: "texts" });
  add("wrong-type", "POST", "/embed", JSON.stringify({ text: ["a"] }), { status: 400, param: "texts" });
  for (const w of [1, null, true, ["x"], { t: "a" }]) { // a non-string at a random place among strings
    const texts = Array.from({ length: 1 + r.int(20) }, (_, i) => `text ${i}`);
    texts.splice(r.int(texts.length + 1), 0, w);
    add("wrong-type", "POST", "/embed", JSON.stringify({ texts }), { status: 400, param: "texts" });
  }
  for (const w of [5, true, { a: 1 }, ["a", 1], [[1, 2], "a"], [1, "a"], [[1], 2], [null], [{}], [true], [[1, [2]]]]) {
    add("wrong-type", "POST", "/v1/embeddings", JSON.stringify({ input: w }), { status: 400, param: "input" });
  }
  add("wrong-type", "POST", "/v1/embeddings", JSON.stringify({}), { status: 400, param: "input" });
  add("wrong-type", "POST", "/v1/embeddings", JSON.stringify({ input: null }), { status: 400, param: "input" });
  for (const w of [7, ["m"], { id: "m" }, true]) {
    add("wrong-type", "POST", "/v1/embeddings", JSON.stringify({ input: "a", model: w }), { status: 400, param: "model" });
  }
  for (const w of ["int8", "FLOAT", "", 1, ["float"], { f: 1 }, true, "x".repeat(100_000)]) {
    add("wrong-type", "POST", "/v1/embeddings", JSON.stringify({ input: "a", encoding_format: w }), { status: 400, param: "encoding_format" });
  }
  for (const w of [0, -1, dims + 1, 1.5, "64", [64], { d: 64 }, true, 2 ** 53, 1e300]) {
    add("wrong-type", "POST", "/v1/embeddings", JSON.stringify({ input: "a", dimensions: w }), { status: 400, param: "dimensions" });
  }
  add("wrong-type", "POST", "/v1/embeddings", '{"input": "a", "dimensions": 1e400}', { status: 400, param: "dimensions" });
  add("wrong-type", "POST", "/v1/embeddings", '{"input": "a", "dimensions": -0.0e1}', { status: 400, param: "dimensions" });
  // nulls mean the defaults; unknown fields are ignored
  add("valid", "POST", "/v1/embeddings", JSON.stringify({ input: "a", dimensions: null, encoding_format: null, model: null }), { status: 200, count: 1 });
  add("valid", "POST", "/v1/embeddings", JSON.stringify({ input: ["a", "b"], user: { any: [1, 2] }, extra: "x" }), { status: 200, count: 2 });
  add("valid", "POST", "/v1/embeddings", JSON.stringify({ input: ["a"], dimensions: 1 }), { status: 200, count: 1 });
  add("valid", "POST", "/v1/embeddings", JSON.stringify({ input: ["a"], dimensions: dims, encoding_format: "base64" }), { status: 200, count: 1 });

  // token ids at and past the vocabulary
  const ids = (xs) => JSON.stringify({ input: xs });
  add("token-ids", "POST", "/v1/embeddings", ids([0, vocab - 1]), { status: 200, count: 1 });
  add("token-ids", "POST", "/v1/embeddings", ids([[vocab - 1], [0], []]), { status: 200, count: 3 });
  for (const bad of [vocab, vocab + 1, -1, 2 ** 31, 2 ** 53, 1.5]) {
    add("token-ids", "POST", "/v1/embeddings", ids([0, bad]), { status: 400, param: "input", code: "invalid_token_id" });
    add("token-ids", "POST", "/v1/embeddings", ids([[1, 2], [3, bad]]), { status: 400, param: "input", code: "invalid_token_id" });
  }
  add("token-ids", "POST", "/v1/embeddings", '{"input": [1, 1e400]}', { status: 400, param: "input", code: "invalid_token_id" });
  add("token-ids", "POST", "/v1/embeddings", '{"input": [1, -0]}', { status: 200, count: 1 });

  // oversized batches and bodies: max_texts vs one more, exactly max_bytes vs one more
  add("boundary", "POST", "/embed", JSON.stringify({ texts: Array(maxTexts).fill("a") }), { status: 200, count: maxTexts });
  add("boundary", "POST", "/embed", JSON.stringify({ texts: Array(maxTexts + 1).fill("a") }), { status: 413, param: "texts", code: "too_many_inputs" });
  add("boundary", "POST", "/v1/embeddings", JSON.stringify({ input: Array(maxTexts).fill("a") }), { status: 200, count: maxTexts });
  add("boundary", "POST", "/v1/embeddings", JSON.stringify({ input: Array(maxTexts + 1).fill("a") }), { status: 413, param: "input", code: "too_many_inputs" });
  add("boundary", "POST", "/v1/embeddings", JSON.stringify({ input: Array(maxTexts + 1).fill([1]) }), { status: 413, param: "input", code: "too_many_inputs" });
  add("boundary", "POST", "/embed", exactBody(maxBytes), { status: 200, count: 1 });
  add("boundary", "POST", "/embed", exactBody(maxBytes + 1), { status: 413, code: "request_too_large" });
  add("boundary", "POST", "/v1/embeddings", exactBody(maxBytes, "input"), { status: 200, count: 1 });
  add("boundary", "POST", "/v1/embeddings", exactBody(maxBytes + 1, "input"), { status: 413, code: "request_too_large" });
  add("oversized", "POST", "/embed", "x".repeat(maxBytes + 1 + r.int(1 << 20)), { status: 413, code: "request_too_large" });
  add("oversized", "POST", "/nope", "x".repeat(maxBytes + 1), { status: 413, code: "request_too_large" });

  // wrong methods and paths (with and without bodies)
  for (const m of ["GET", "PUT", "DELETE", "PATCH"]) {
    for (const p of ["/embed", "/v1/embeddings"]) {
      add("method", m, p, m === "GET" ? null : '{"texts": ["a"]}', { status: 405, code: "method_not_allowed" });
    }
  }
  add("method", "GET", "/", "a body on GET", { status: 200 });
  add("method", "HEAD", "/", null, { status: 200, empty: true });
  add("method", "OPTIONS", "/embed", null, { status: 204, empty: true },
    { origin: "https://app.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" });
  add("method", "OPTIONS", "/v1/embeddings", "{}", { status: 204, empty: true });
  for (const m of ["POST", "PUT", "DELETE"]) {
    for (const p of ["/", "/v1/models"]) add("method", m, p, "{}", { status: 405, code: "method_not_allowed" });
  }
  const paths = ["/nope", "/embed/", "/EMBED", "/v1/embeddings/", "//embed", "/v1/models/x", "/v1", "/v2/embeddings",
    "/embed%20", "/embed.json", "/" + "a".repeat(4000), "/v1/" + "b".repeat(3000)];
  for (const p of paths) {
    add("path", "POST", p, r.next() < 0.5 ? '{"texts": ["a"]}' : "x".repeat(r.int(5000)), { status: 404, code: "unknown_url" });
    add("path", "GET", p, null, { status: 404, code: "unknown_url" });
  }
  add("path", "POST", "/embed?x=1&y=%zz", '{"texts": ["a"]}', { status: 200, count: 1 });
  add("path", "GET", "/?q=" + "z".repeat(2000), null, { status: 200 });
  add("path", "GET", "/v1/models", null, { status: 200 });

  // deep nesting: at the limit (valid where the field is ignored), one past, and megabytes deep
  const deep = (d) => nested(d, "[", "]", "1");
  add("nesting", "POST", "/v1/embeddings", `{"input": "a", "user": ${deep(MAX_DEPTH - 1)}}`, { status: 200, count: 1 });
  add("nesting", "POST", "/v1/embeddings", `{"input": "a", "user": ${deep(MAX_DEPTH)}}`, { status: 400, code: "too_deep" });
  add("nesting", "POST", "/v1/embeddings", `{"input": "a", "user": ${nestedObj(MAX_DEPTH - 1, "1")}}`, { status: 200, count: 1 });
  add("nesting", "POST", "/v1/embeddings", `{"input": "a", "user": ${nestedObj(MAX_DEPTH, "1")}}`, { status: 400, code: "too_deep" });
  add("nesting", "POST", "/embed", `{"texts": ["${"[".repeat(10_000)}"]}`, { status: 200, count: 1 }); // brackets in a string
  add("nesting", "POST", "/embed", `{"texts": ["\\"${"[".repeat(1000)}\\\\"]}`, { status: 200, count: 1 });
  const huge = (maxBytes - 100) >> 1; // levels that fit the body limit
  for (const field of ["input", "dimensions", "encoding_format", "model"]) {
    const d = r.pick([MAX_DEPTH + 1, 1000 + r.int(100_000), huge]);
    add("nesting", "POST", "/v1/embeddings", `{"input": "a", "${field}": ${deep(d)}}`.replace('"input": "a", "input"', '"input"'),
      { status: 400, code: "too_deep" });
  }
  add("nesting", "POST", "/embed", `{"texts": ${deep(huge)}}`, { status: 400, code: "too_deep" });
  add("nesting", "POST", "/embed", nestedObj(huge >> 2, "1"), { status: 400, code: "too_deep" });
  add("nesting", "POST", "/v1/embeddings", nestedObj(100_000, "1"), { status: 400, code: "too_deep" });
  add("nesting", "POST", "/embed", "[".repeat(huge), { status: 400, code: "too_deep" });
  add("nesting", "POST", "/embed", "]".repeat(huge) + "[".repeat(10), { status: 400 });
  add("nesting", "POST", "/nope", deep(huge), { status: 404, code: "unknown_url" }); // the route decides first

  // odd content types: the worker reads JSON whatever the header says
  for (const ct of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
    "application/json; charset=latin1", "application/octet-stream", ""]) {
    add("content-type", "POST", "/embed", '{"texts": ["typed"]}', { status: 200, count: 1 }, { "content-type": ct });
  }

  // valid but hostile texts
  const hostile = ["", " ", "\u0000", "\ud800", "a\udc00b", "\u202e\u202dRTL", "e" + "\u0301".repeat(5000),
    "👩‍👩‍👧‍👦".repeat(300), "的".repeat(20_000), "a".repeat(50_000), "[CLS] [SEP] [MASK] [UNK] [PAD]", "\ufeffbom",
    "word ".repeat(60_000), "\u00ad\u200b\u2060\ufeff", "Ⅻ ½ ﬁ ㎏ ＡＢＣ", "\r\n\t\u000b\u000c\u0085\u2028\u2029"];
  for (const t of hostile) both("hostile-text", (f) => JSON.stringify({ [f]: [t, "after"] }), { status: 200, count: 2 });
  for (let i = 0; i < 20; i++) {
    const texts = Array.from({ length: 1 + r.int(8) }, () => randomText(r, r.int(300)));
    both("hostile-text", (f) => JSON.stringify({ [f]: texts }), { status: 200, count: texts.length });
  }
  add("hostile-text", "POST", "/embed", '{"texts": ["\\ud83d\\ude00", "\\udfff\\ud800", "\\u0000\\u001f"]}', { status: 200, count: 3 });
  add("hostile-text", "POST", "/v1/embeddings", '{"input": "single string ' + "z".repeat(1000) + '"}', { status: 200, count: 1 });
  add("bom", "POST", "/embed", new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"texts": ["bom"]}')]), { status: 200, count: 1 });

  // a shuffled order, so a fault that poisons the next request shows
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const LEAK = /\n|\bat [\w.$<>]+ \(|file:|\.m?js:\d|\/(?:tmp|home|usr|work|root|var)\/|node_modules|\b[A-Z][a-z]+Error\b/;

/**
 * What is wrong with an answer (a list of problems, empty when right): the status, CORS, JSON, error shape
 * (OpenAI's under /v1/), no stack frames or file paths, a short body for refusals, the vectors' shape.
 * @param {{method: string, path: string, expect: object}} c
 * @param {{status: number, headers: Record<string, string | string[] | undefined>, body: Uint8Array}} res
 * @param {{origin: string, dims: number}} want
 */
export function checkAnswer(c, res, want) {
  const bad = [];
  const e = c.expect;
  if (res.status !== e.status) bad.push(`status ${res.status}, expected ${e.status}`);
  const allow = res.headers["access-control-allow-origin"];
  if (allow !== want.origin) bad.push(`access-control-allow-origin ${allow}, expected ${want.origin}`);
  const text = new TextDecoder().decode(res.body);
  if (e.empty) {
    if (res.body.length) bad.push(`a body of ${res.body.length} bytes where none belongs`);
    return bad;
  }
  if (!String(res.headers["content-type"] ?? "").startsWith("application/json")) bad.push(`content-type ${res.headers["content-type"]}`);
  let j;
  try {
    j = JSON.parse(text);
  } catch {
    return [...bad, `body is not JSON: ${text.slice(0, 80)}`];
  }
  if (res.status >= 400) {
    if (res.body.length > 1024) bad.push(`error body of ${res.body.length} bytes`);
    if (LEAK.test(text)) bad.push(`error body leaks internals: ${text.slice(0, 200)}`);
    const openai = c.path.split("?")[0].startsWith("/v1/");
    const msg = openai ? j?.error?.message : j?.error;
    if (typeof msg !== "string" || !msg) bad.push(`no error message: ${text.slice(0, 100)}`);
    if (openai) {
      const keys = Object.keys(j.error ?? {}).sort().join(",");
      if (Object.keys(j).join(",") !== "error" || keys !== "code,message,param,type") bad.push(`not OpenAI's error shape: ${keys}`);
      else if (j.error.type !== (res.status >= 500 ? "server_error" : "invalid_request_error")) bad.push(`error type ${j.error.type}`);
      if (e.param !== undefined && j.error?.param !== e.param) bad.push(`param ${j.error?.param}, expected ${e.param}`);
      if (e.code !== undefined && j.error?.code !== e.code) bad.push(`code ${j.error?.code}, expected ${e.code}`);
    } else if (Object.keys(j).join(",") !== "error") {
      bad.push(`error body keys ${Object.keys(j)}`);
    }
    if (res.status === 405 && !/POST|GET/.test(String(res.headers.allow ?? ""))) bad.push(`405 without Allow`);
    return bad;
  }
  if (e.count !== undefined) {
    const vecs = c.path.startsWith("/v1/") ? j.data?.map((d) => d.embedding) : j.embeddings;
    if (!Array.isArray(vecs) || vecs.length !== e.count) return [...bad, `${vecs?.length} vectors, expected ${e.count}`];
    for (const v of vecs) {
      const ok = typeof v === "string" ? v.length > 0 : Array.isArray(v) && v.length >= 1 && v.length <= want.dims && v.every(Number.isFinite);
      if (!ok) return [...bad, "a vector of the wrong shape"];
    }
    if (c.path.startsWith("/v1/")) {
      if (j.object !== "list" || j.data.some((d, i) => d.index !== i || d.object !== "embedding")) bad.push("data out of order");
      if (!Number.isInteger(j.usage?.prompt_tokens) || j.usage.prompt_tokens !== j.usage.total_tokens) bad.push("bad usage");
    } else if (j.dims !== want.dims) bad.push(`dims ${j.dims}`);
  }
  return bad;
}
