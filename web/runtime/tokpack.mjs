// The tokenizer pack (tokenizer.bin, docs/format.md): the exact tokenizer's vocabulary, settings and character
// table in one gzipped file, ready to use (no JSON parse of the vocabulary, no string per token).
import { PackedVocab } from "./wordpiece.mjs";

const MAGIC = "EDGETOKP";
const HEADER_BYTES = 64;
const align8 = (n) => (n + 7) & ~7;

/** True when BYTES start with the gzip magic (1f 8b). */
export function isGzip(bytes) {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** True when this engine can gunzip (DecompressionStream): browsers, Node >= 18, Deno, Bun, workerd; not Hermes. */
export function canGunzip() {
  return typeof globalThis.DecompressionStream === "function" && typeof globalThis.Response === "function"
    && typeof globalThis.Blob === "function";
}

/**
 * Gunzip BYTES with the engine's DecompressionStream. WHAT names the data in errors (default: the tokenizer pack).
 * @param {Uint8Array} bytes
 * @param {string} [what]
 * @returns {Promise<Uint8Array>}
 */
export async function gunzip(bytes, what = "the tokenizer pack") {
  if (!canGunzip()) {
    const hint = what === "the tokenizer pack" ? ": pass tokenizerJson and chartable instead" : "";
    throw new Error(`this engine has no DecompressionStream to unpack ${what}${hint}`);
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${what} is not valid gzip data (${String(e?.message ?? e).split("\n")[0]}): truncated or corrupt data`);
  }
}

const u8 = (data) => (data instanceof Uint8Array ? data
  : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));

/**
 * Parse an (uncompressed) tokenizer pack.
 * @param {ArrayBuffer | ArrayBufferView} data
 * @returns {{spec: object, chartable: Uint8Array, raw: Uint8Array}} spec: the tokenizer.json's settings with
 *   `model.vocab` a PackedVocab; raw: the pack's bytes
 */
export function parseTokenizerPack(data) {
  const bytes = u8(data);
  if (isGzip(bytes)) throw new Error("the tokenizer pack is still gzipped: gunzip it first (loadTokenizerPack does)");
  if (bytes.length < HEADER_BYTES || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error("not an edgembed tokenizer pack (bad magic)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o) => dv.getUint32(o, true);
  const version = u32(8);
  if (version !== 1) throw new Error(`tokenizer pack version ${version}; this runtime reads version 1`);
  const ids = u32(16), entries = u32(20), nConfig = u32(24), nTokens = u32(28), nChars = u32(32);
  const configAt = HEADER_BYTES, tokensAt = configAt + align8(nConfig), charsAt = tokensAt + align8(nTokens);
  if (charsAt + nChars > bytes.length) {
    throw new Error(`truncated or corrupt tokenizer pack: ${bytes.length} bytes, the header says ${charsAt + nChars}`);
  }
  let json = "";
  for (let i = configAt; i < configAt + nConfig; i += 4096) {
    json += String.fromCharCode(...bytes.subarray(i, Math.min(i + 4096, configAt + nConfig))); // ASCII JSON
  }
  let spec;
  try {
    spec = JSON.parse(json);
  } catch {
    throw new Error("corrupt tokenizer pack: its settings are not JSON");
  }
  spec.model = { ...spec.model, vocab: new PackedVocab(bytes.subarray(tokensAt, tokensAt + nTokens), ids, entries) };
  return { spec, chartable: bytes.subarray(charsAt, charsAt + nChars), raw: bytes };
}

/**
 * A pack's bytes as they were fetched or read (gzipped, as exported, or already gunzipped) -> parseTokenizerPack.
 * @param {ArrayBuffer | ArrayBufferView} data
 */
export async function loadTokenizerPack(data) {
  const bytes = u8(data);
  return parseTokenizerPack(isGzip(bytes) ? await gunzip(bytes) : bytes);
}
