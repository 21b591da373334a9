// The edgembed flat binary (docs/format.md) in plain JavaScript: no DOM, no fetch, no dependencies.
// Runs unchanged in browsers, Node.js and React Native.

export const QUANTS = ["fp32", "fp16", "int8", "int4"];
const MAGIC = "EDGEMBED";
const HEADER_BYTES = 64;

/**
 * Parse a flat file held in an ArrayBuffer (or a typed array / DataView over one) into typed-array
 * views of the table and scales. No copy when the sections are aligned, which they are in files
 * written by edgembed (every section starts at a multiple of 64 bytes).
 * @param {ArrayBuffer | SharedArrayBuffer | ArrayBufferView} data
 */
export function parseFlat(data) {
  const whole = data instanceof ArrayBuffer || isShared(data);
  const buf = whole ? data : data.buffer;
  const base = whole ? 0 : data.byteOffset;
  const size = data.byteLength;
  if (!(buf instanceof ArrayBuffer) && !isShared(buf)) {
    throw new TypeError("parseFlat expects an ArrayBuffer or a typed array");
  }
  if (size < HEADER_BYTES) throw new Error(`not an edgembed flat file: ${size} bytes, shorter than the header`);
  const dv = new DataView(buf, base, size);
  let magic = "";
  for (let i = 0; i < 8; i++) magic += String.fromCharCode(dv.getUint8(i));
  if (magic !== MAGIC) throw new Error("not an edgembed flat file (bad magic)");
  const version = dv.getUint32(8, true);
  if (version !== 1) throw new Error(`flat format version ${version}; this runtime reads version 1`);
  const vocab = dv.getUint32(12, true);
  const dims = dv.getUint32(16, true);
  const qcode = dv.getUint32(20, true);
  const flags = dv.getUint32(24, true);
  const rowBytes = dv.getUint32(28, true);
  const u64 = (off) => Number(dv.getBigUint64(off, true));
  const tOff = u64(32), tBytes = u64(40), sOff = u64(48), sBytes = u64(56);
  const quant = QUANTS[qcode];
  if (quant === undefined) throw new Error(`unknown quant code ${qcode}`);
  const expectRow = quant === "fp32" ? 4 * dims : quant === "fp16" ? 2 * dims : quant === "int8" ? dims : (dims + 1) >> 1;
  if (dims < 1 || rowBytes !== expectRow || tBytes !== vocab * rowBytes || tOff + tBytes > size) {
    throw new Error(`truncated or corrupt flat file: header says ${vocab}x${dims} ${quant}, ${size} bytes`);
  }
  const hasScales = quant === "int8" || quant === "int4";
  if (hasScales && (sBytes !== 4 * vocab || sOff + sBytes > size || sOff % 4)) {
    throw new Error("truncated or corrupt flat file: bad scales section");
  }
  const view = (Ctor, off, bytes) => {
    const at = base + off;
    if (at % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(buf, at, bytes / Ctor.BYTES_PER_ELEMENT);
    return new Ctor(buf.slice(at, at + bytes)); // unaligned caller buffer: copy once
  };
  const Table = { fp32: Float32Array, fp16: Uint16Array, int8: Int8Array, int4: Uint8Array }[quant];
  return {
    vocab, dims, quant, rowBytes,
    normalize: (flags & 1) === 1,
    table: view(Table, tOff, tBytes),
    scales: hasScales ? view(Float32Array, sOff, sBytes) : null,
  };
}

const isShared = (b) => typeof SharedArrayBuffer !== "undefined" && b instanceof SharedArrayBuffer;

let HALF = null; // float16 bit pattern -> float32 value, built on first use (256 KiB)

function halfTable() {
  if (HALF) return HALF;
  HALF = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    HALF[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1024 + m) * 2 ** (e - 25);
  }
  return HALF;
}

/** Decode IEEE binary16 values (a Uint16Array) to a new Float32Array. */
export function decodeHalf(bits) {
  const t = halfTable();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]];
  return out;
}

/**
 * Add the dequantized row `id` into `acc` (a Float32Array of length dims). Every addition is
 * rounded to float32 by the store into `acc`, and `q * scale` is exact in float64 before that
 * rounding, so the sum equals numpy's float32 sum of the dequantized rows token by token.
 */
export function addRow(model, id, acc) {
  const d = model.dims, t = model.table;
  if (!(id >= 0 && id < model.vocab)) throw new RangeError(`token id ${id} out of range 0..${model.vocab - 1}`);
  switch (model.quant) {
    case "fp32": {
      const o = id * d;
      for (let j = 0; j < d; j++) acc[j] += t[o + j];
      break;
    }
    case "fp16": {
      const h = halfTable(), o = id * d;
      for (let j = 0; j < d; j++) acc[j] += h[t[o + j]];
      break;
    }
    case "int8": {
      const o = id * d, s = model.scales[id];
      for (let j = 0; j < d; j++) acc[j] += Math.fround(t[o + j] * s);
      break;
    }
    case "int4": {
      const o = id * model.rowBytes, s = model.scales[id];
      for (let j = 0; j < d; j++) {
        const b = t[o + (j >> 1)];
        acc[j] += Math.fround(((j & 1 ? b >> 4 : b & 15) - 8) * s);
      }
      break;
    }
  }
}

/**
 * The embedding of one text given its token ids: the float32 mean of the dequantized rows, then
 * (if the model normalizes) division by max(L2 norm, 1e-12). No ids gives the zero vector.
 * The norm is computed in float64 (a few ulps from numpy's float32 norm; far inside 1e-5).
 * @param {{dims:number}} model a parsed flat file (parseFlat)
 * @param {ArrayLike<number>} ids
 * @param {Float32Array} [out] where to write the vector (length dims, all zeros): a pool worker's result rows
 * @returns {Float32Array} out
 */
export function embedIds(model, ids, out = new Float32Array(model.dims)) {
  const n = ids.length;
  if (n === 0) return out;
  for (let i = 0; i < n; i++) addRow(model, ids[i], out);
  const inv = Math.fround(n);
  for (let j = 0; j < out.length; j++) out[j] = out[j] / inv;
  if (model.normalize) normalizeInPlace(out);
  return out;
}

/** L2-normalize a vector in place, dividing by max(norm, 1e-12) like torch.nn.functional.normalize. */
export function normalizeInPlace(v) {
  let ss = 0;
  for (let j = 0; j < v.length; j++) ss += v[j] * v[j];
  const norm = Math.max(Math.fround(Math.sqrt(ss)), 1e-12);
  for (let j = 0; j < v.length; j++) v[j] = v[j] / norm;
  return v;
}
