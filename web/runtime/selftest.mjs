// The self-test: an export's selftest.json holds token ids and vectors edgembed computed in Python at export time;
// the runtime on the user's device tokenizes and embeds the same texts and compares (ids exactly, vectors to the
// file's tolerance, 1e-5). It proves the whole path on this engine: tokenizer tables, rows, arithmetic.

/** Decode standard base64 without atob (Hermes, old engines): A-Z a-z 0-9 + / and = padding. */
function base64Bytes(text) {
  const map = new Int16Array(128).fill(-1);
  const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < 64; i++) map[abc.charCodeAt(i)] = i;
  const s = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0, n = 0, o = 0;
  for (let i = 0; i < s.length; i++) {
    const v = map[s.charCodeAt(i)];
    if (v < 0) throw new Error("selftest.json: bad base64");
    bits = (bits << 6) | v;
    n += 6;
    if (n >= 8) {
      n -= 8;
      out[o++] = (bits >> n) & 255;
    }
  }
  return out;
}

/**
 * Run the self-test of EMBEDDER against SPEC (the parsed selftest.json).
 * @returns {Promise<{ok: boolean, idTexts: number, idMismatches: number, firstMismatch: string | null,
 *   vectorTexts: number, maxDiff: number, tolerance: number, ms: number}>}
 */
export async function runSelfTest(embedder, spec) {
  const t0 = globalThis.performance?.now?.() ?? Date.now();
  let idMismatches = 0, firstMismatch = null;
  for (const { text, ids } of spec.ids ?? []) {
    const got = embedder.tokenize(text);
    const same = got.length === ids.length && ids.every((x, i) => got[i] === x);
    if (!same) {
      idMismatches++;
      firstMismatch ??= text;
    }
  }
  const { texts, dims, float32_base64: b64 } = spec.vectors;
  const raw = base64Bytes(b64);
  const want = new DataView(raw.buffer);
  const got = await embedder.embed(texts);
  let maxDiff = 0;
  got.forEach((v, i) => {
    if (v.length !== dims) maxDiff = Infinity;
    for (let j = 0; j < dims; j++) {
      const d = Math.abs(v[j] - want.getFloat32(4 * (i * dims + j), true));
      if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    }
  });
  const tolerance = spec.tolerance ?? 1e-5;
  return { ok: idMismatches === 0 && maxDiff <= tolerance, idTexts: (spec.ids ?? []).length, idMismatches, firstMismatch,
    vectorTexts: texts.length, maxDiff, tolerance, ms: (globalThis.performance?.now?.() ?? Date.now()) - t0 };
}
