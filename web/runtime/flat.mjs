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
  if (version !== 1 && version !== 2) {
    throw new Error(`flat format version ${version}; this runtime reads versions 1 and 2 (a newer edgembed wrote it: update the runtime)`);
  }
  const vocab = dv.getUint32(12, true);
  const dims = dv.getUint32(16, true);
  const qcode = dv.getUint32(20, true);
  const flags = dv.getUint32(24, true);
  const rowBytes = dv.getUint32(28, true);
  const u64 = (off) => Number(dv.getBigUint64(off, true));
  const tOff = u64(32), tBytes = u64(40), sOff = u64(48), sBytes = u64(56);
  if (version === 2 || qcode === QUANT_PQ) {
    return parsePq(dv, buf, base, size, { version, vocab, dims, qcode, flags, rowBytes, tOff, tBytes, sOff, sBytes }, u64);
  }
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

const QUANT_PQ = 4;

/** Version 2 (pqM): codes uint8[V][M], row norms float32[V], codebooks float32[M][256][D/M] (docs/format.md). */
function parsePq(dv, buf, base, size, h, u64) {
  const { version, vocab, dims, qcode, flags, rowBytes, tOff, tBytes, sOff, sBytes } = h;
  if (version !== 2 || qcode !== QUANT_PQ) {
    throw new Error(`corrupt flat file: version ${version} with quant code ${qcode} (pq is quant 4 in version 2 only)`);
  }
  if (size < 128) throw new Error(`truncated flat file: ${size} bytes, shorter than the version 2 header`);
  const m = dv.getUint32(64, true), k = dv.getUint32(68, true), ds = dv.getUint32(72, true);
  const cOff = u64(80), cBytes = u64(88);
  const ok = m >= 1 && k === 256 && ds >= 1 && m * ds === dims && rowBytes === m && tBytes === vocab * m &&
    tOff + tBytes <= size && sBytes === 4 * vocab && sOff % 4 === 0 && sOff + sBytes <= size &&
    cBytes === 4 * m * k * ds && cOff % 4 === 0 && cOff + cBytes <= size;
  if (!ok) throw new Error(`truncated or corrupt flat file: header says ${vocab}x${dims} pq${m}, ${size} bytes`);
  const f32 = (off, bytes) => {
    const at = base + off;
    return at % 4 === 0 ? new Float32Array(buf, at, bytes / 4) : new Float32Array(buf.slice(at, at + bytes));
  };
  return {
    vocab, dims, quant: `pq${m}`, rowBytes, subspaces: m, subDims: ds,
    normalize: (flags & 1) === 1,
    table: new Uint8Array(buf, base + tOff, tBytes),
    scales: f32(sOff, sBytes),
    codebooks: f32(cOff, cBytes),
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
  if (model.codebooks) { // pq: add norm x centroid of each subspace; column j = component j / M of subspace j % M
    const m = model.subspaces, ds = model.subDims, cb = model.codebooks, s = model.scales[id], o = id * m;
    for (let k = 0; k < m; k++) {
      const c = (k * 256 + t[o + k]) * ds;
      for (let i = 0, j = k; i < ds; i++, j += m) acc[j] += Math.fround(cb[c + i] * s);
    }
    return;
  }
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
  if (model.codebooks) {
    sumPq(model, ids, out);
    return finish(out, n, out, model.normalize);
  }
  // the float64 sums: wasm SIMD where a pool worker set model.rowSum (rowsum_wasm.mjs, the same sums bit for bit)
  return finish(model.rowSum ? model.rowSum(ids) : sumRows(model, ids), n, out, model.normalize);
}

/**
 * OUT = SUM (float64 or float32 values; OUT itself for pq) rounded to float32, divided by N, then (NORMALIZE)
 * L2-normalized: one pass for the first two and the squares, one for the division, with normalizeInPlace's results
 * bit for bit (every value is stored as float32 before it is squared or divided, the squares summed in order).
 */
function finish(sum, n, out, normalize) {
  const d = out.length, inv = Math.fround(n);
  let ss = 0;
  for (let j = 0; j < d; j++) {
    const v = Math.fround(Math.fround(sum[j]) / inv);
    out[j] = v;
    ss += v * v;
  }
  if (!normalize) return out;
  const norm = Math.max(Math.fround(Math.sqrt(ss)), 1e-12);
  for (let j = 0; j < d; j++) out[j] = out[j] / norm;
  return out;
}

let ACC = new Float64Array(0); // the float64 accumulator of sumRows and sumPq, reused (single-threaded per realm)

/** ACC's first D entries, zeroed, after checking that every id indexes a row. */
function accumulator(d, ids, vocab) {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!(id >= 0 && id < vocab)) throw new RangeError(`token id ${id} out of range 0..${vocab - 1}`);
  }
  if (ACC.length < d) ACC = new Float64Array(d);
  ACC.fill(0, 0, d);
  return ACC;
}

/**
 * The sum over IDS of the dequantized rows, accumulated in float64 (each q * scale is exact there), to be rounded to
 * float32 once: closer to the exact mean than a float32 running sum, and ~2x faster than addRow. Returns the
 * accumulator (ACC, reused: its first dims entries).
 */
function sumRows(model, ids) {
  const d = model.dims, t = model.table, n = ids.length;
  const acc = accumulator(d, ids, model.vocab);
  const q = model.quant, sc = model.scales, h = q === "fp16" ? halfTable() : null;
  const rb = q === "int4" ? model.rowBytes : d;
  let i = 0;
  // four rows per pass: one load and store of the accumulator per four multiply-adds
  if (q === "int8") {
    for (; i + 4 <= n; i += 4) {
      const a = ids[i] * d, b = ids[i + 1] * d, c = ids[i + 2] * d, e = ids[i + 3] * d;
      const sa = sc[ids[i]], sb = sc[ids[i + 1]], sc2 = sc[ids[i + 2]], se = sc[ids[i + 3]];
      for (let j = 0; j < d; j++) acc[j] += t[a + j] * sa + t[b + j] * sb + t[c + j] * sc2 + t[e + j] * se;
    }
  } else if (q === "fp32") {
    for (; i + 4 <= n; i += 4) {
      const a = ids[i] * d, b = ids[i + 1] * d, c = ids[i + 2] * d, e = ids[i + 3] * d;
      for (let j = 0; j < d; j++) acc[j] += t[a + j] + t[b + j] + t[c + j] + t[e + j];
    }
  }
  for (; i < n; i++) { // the rest, and every row of int4 and fp16
    const id = ids[i], o = id * rb;
    if (q === "int8") {
      const s = sc[id];
      for (let j = 0; j < d; j++) acc[j] += t[o + j] * s;
    } else if (q === "int4") {
      const s = sc[id], even = d & ~1;
      for (let j = 0; j < even; j += 2) {
        const b = t[o + (j >> 1)];
        acc[j] += ((b & 15) - 8) * s;
        acc[j + 1] += ((b >> 4) - 8) * s;
      }
      if (d & 1) acc[d - 1] += ((t[o + (d >> 1)] & 15) - 8) * s;
    } else if (q === "fp16") {
      for (let j = 0; j < d; j++) acc[j] += h[t[o + j]];
    } else {
      for (let j = 0; j < d; j++) acc[j] += t[o + j];
    }
  }
  return acc;
}

/**
 * pq: OUT (zeros) = the sum over IDS of norm x centroid, never dequantizing the table: per token M code loads
 * and D multiply-adds of centroid values into a subspace-major float64 accumulator (four tokens a pass, like
 * sumRows), rounded to float32 and reordered once per text (column j is component j / M of subspace j % M).
 * float64 accumulation: closer to the exact sum than a float32 running sum (far inside 1e-5 of it).
 */
function sumPq(model, ids, out) {
  const d = model.dims, n = ids.length;
  const m = model.subspaces, ds = model.subDims, cb = model.codebooks, t = model.table, sc = model.scales;
  const acc = accumulator(d, ids, model.vocab); // subspace-major here
  let r = 0;
  // four tokens per pass: one load and store of the accumulator per four centroid multiply-adds
  for (; r + 4 <= n; r += 4) {
    const ia = ids[r], ib = ids[r + 1], ic = ids[r + 2], ie = ids[r + 3];
    const sa = sc[ia], sb = sc[ib], sc2 = sc[ic], se = sc[ie];
    const oa = ia * m, ob = ib * m, oc = ic * m, oe = ie * m;
    if (ds === 4) { // pq at dims/4 (the default recipe): the four columns unrolled
      for (let k = 0, x = 0; k < m; k++, x += 4) {
        const k8 = k << 8;
        const ca = (k8 | t[oa + k]) << 2, cbb = (k8 | t[ob + k]) << 2, cc = (k8 | t[oc + k]) << 2, ce = (k8 | t[oe + k]) << 2;
        acc[x] += cb[ca] * sa + cb[cbb] * sb + cb[cc] * sc2 + cb[ce] * se;
        acc[x + 1] += cb[ca + 1] * sa + cb[cbb + 1] * sb + cb[cc + 1] * sc2 + cb[ce + 1] * se;
        acc[x + 2] += cb[ca + 2] * sa + cb[cbb + 2] * sb + cb[cc + 2] * sc2 + cb[ce + 2] * se;
        acc[x + 3] += cb[ca + 3] * sa + cb[cbb + 3] * sb + cb[cc + 3] * sc2 + cb[ce + 3] * se;
      }
      continue;
    }
    for (let k = 0, x = 0; k < m; k++) {
      const k8 = k << 8;
      const ca = (k8 | t[oa + k]) * ds, cbb = (k8 | t[ob + k]) * ds, cc = (k8 | t[oc + k]) * ds, ce = (k8 | t[oe + k]) * ds;
      for (let i = 0; i < ds; i++, x++) acc[x] += cb[ca + i] * sa + cb[cbb + i] * sb + cb[cc + i] * sc2 + cb[ce + i] * se;
    }
  }
  for (; r < n; r++) {
    const id = ids[r], s = sc[id], o = id * m;
    for (let k = 0, x = 0; k < m; k++) {
      const c = ((k << 8) | t[o + k]) * ds;
      for (let i = 0; i < ds; i++, x++) acc[x] += cb[c + i] * s;
    }
  }
  for (let k = 0, a = 0; k < m; k++) for (let i = 0; i < ds; i++) out[i * m + k] = acc[a++];
}

/** L2-normalize a vector in place, dividing by max(norm, 1e-12) like torch.nn.functional.normalize. */
export function normalizeInPlace(v) {
  let ss = 0;
  for (let j = 0; j < v.length; j++) ss += v[j] * v[j];
  const norm = Math.max(Math.fround(Math.sqrt(ss)), 1e-12);
  for (let j = 0; j < v.length; j++) v[j] = v[j] / norm;
  return v;
}
