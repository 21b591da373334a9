// Base64 <-> bytes with what every edge runtime has (atob/btoa), using the native
// Uint8Array.fromBase64 / toBase64 where the engine ships them.

/**
 * Decode standard base64 into a fresh Uint8Array (offset 0, so typed views over it are aligned).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function decodeBase64(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Encode bytes as standard base64.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function encodeBase64(bytes) {
  if (typeof bytes.toBase64 === "function") return bytes.toBase64();
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The little-endian float32 bytes of a vector, base64-encoded (OpenAI's `encoding_format: "base64"`).
 * @param {Float32Array} vec
 * @returns {string}
 */
export function float32ToBase64(vec) {
  if (LITTLE_ENDIAN) return encodeBase64(new Uint8Array(vec.buffer, vec.byteOffset, vec.byteLength));
  const dv = new DataView(new ArrayBuffer(vec.length * 4));
  for (let i = 0; i < vec.length; i++) dv.setFloat32(4 * i, vec[i], true);
  return encodeBase64(new Uint8Array(dv.buffer));
}
