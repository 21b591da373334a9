// The int8 row sum of flat.mjs (sumRows) in WebAssembly SIMD, for the flat backend's pool workers (flat_worker.mjs).
// Same arithmetic, same order: each lane of an f64x2 does what sumRows' scalar loop does for one column (four rows
// a pass: acc + (((qa·sa + qb·sb) + qc·sc) + qe·se), then one row at a time; every q·s exact in float64, no fused
// multiply-add in wasm), so the float64 sums, and the vectors, are bit-identical to the JavaScript path
// (tests/test_js_rowsum.py checks it). The module's bytes are assembled here at load, from the instruction list
// below: no binary blob, no build step. Engines without wasm SIMD (or a page whose CSP forbids wasm) keep the
// JavaScript path: rowSumWasm resolves to null.

const OP = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, get: 0x20, set: 0x21, tee: 0x22,
  i32load: 0x28, f32load: 0x2a, i32const: 0x41, geS: 0x4e, gtS: 0x4a, add: 0x6a, mul: 0x6c, promote: 0xbb,
};
const SIMD = { load: 0x00, load8x8s: 0x01, store: 0x0b, shuffle: 0x0d, splat: 0x14, extLo: 0xa7, extHi: 0xa8, fadd: 0xf0, fmul: 0xf2, cvtLo: 0xfe };

/** Unsigned (and, for i32.const, signed) LEB128. */
const uleb = (n) => { const o = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; o.push(b); } while (n); return o; };
const sleb = (n) => { const o = []; for (;;) { const b = n & 0x7f; n >>= 7; if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) { o.push(b); return o; } o.push(b | 0x80); } };
const simd = (op, ...imm) => [0xfd, ...uleb(op), ...imm];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];
const str = (s) => vec([...s].map((c) => [c.charCodeAt(0)]));

// parameters: 0 tab (address of row 0), 1 sc (address of the float32 scales), 2 ids (address of n int32 ids), 3 n, 4 d
// (columns, a multiple of 8), 5 acc (address of d float64s, zeroed). i32 locals: 6 i, 7 j, 8–11 row addresses
// a b c e, 12 p (acc + 8 j); v128 locals: 13–16 scales, 17–24 the low and high int32 quads of each row's 8 columns.
const [TAB, SC, IDS, N, D, ACC, I, J, RA, , , , P, S0, , , , LO0] = Array.from({ length: 18 }, (_, k) => k);
const SWAP = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]; // lanes 2, 3 of an i32x4 to lanes 0, 1

/** Row R of the pass (ids[i + r]): its address into local RA + r and its scale, splatted, into S0 + r. */
function rowSetup(r) {
  const id = [OP.get, IDS, OP.get, I, OP.i32const, ...sleb(4), OP.mul, OP.add, OP.i32load, 2, ...uleb(4 * r)];
  return [
    ...id, OP.get, D, OP.mul, OP.get, TAB, OP.add, OP.set, RA + r,
    ...id, OP.i32const, 2, 0x74 /* i32.shl */, OP.get, SC, OP.add, OP.f32load, 2, 0, OP.promote, ...simd(SIMD.splat), OP.set, S0 + r,
  ];
}

/** Load 8 int8 columns of row R at j, as two int32 quads (locals LO0 + 2r, LO0 + 2r + 1). */
const loadRow = (r) => [
  OP.get, RA + r, OP.get, J, OP.add, ...simd(SIMD.load8x8s, 0, 0), OP.tee, LO0 + 2 * r, ...simd(SIMD.extHi), OP.set, LO0 + 2 * r + 1,
  OP.get, LO0 + 2 * r, ...simd(SIMD.extLo), OP.set, LO0 + 2 * r,
];

/** Columns 2k, 2k + 1 (of the 8) of row R as f64x2, times its scale. */
function term(r, k) {
  const quad = LO0 + 2 * r + (k >> 1);
  const src = k & 1 ? [OP.get, quad, OP.get, quad, ...simd(SIMD.shuffle, ...SWAP)] : [OP.get, quad];
  return [...src, ...simd(SIMD.cvtLo), OP.get, S0 + r, ...simd(SIMD.fmul)];
}

/** acc[j + 2k .. +2) += the rows' terms, summed in sumRows' order. */
function accumulate(rows, k) {
  const sum = term(0, k);
  for (let r = 1; r < rows; r++) sum.push(...term(r, k), ...simd(SIMD.fadd));
  return [OP.get, P, OP.get, P, ...simd(SIMD.load, 3, ...uleb(16 * k)), ...sum, ...simd(SIMD.fadd), ...simd(SIMD.store, 3, ...uleb(16 * k))];
}

/** A loop over the ids, ROWS at a time while ROWS more remain, each pass over every column (8 at a time). */
function pass(rows) {
  const inner = [
    OP.block, 0x40, OP.loop, 0x40,
    OP.get, J, OP.get, D, OP.geS, OP.brIf, 1,
  ];
  for (let r = 0; r < rows; r++) inner.push(...loadRow(r));
  for (let k = 0; k < 4; k++) inner.push(...accumulate(rows, k));
  inner.push(OP.get, J, OP.i32const, 8, OP.add, OP.set, J, OP.get, P, OP.i32const, ...sleb(64), OP.add, OP.set, P, OP.br, 0, OP.end, OP.end);
  const setup = [];
  for (let r = 0; r < rows; r++) setup.push(...rowSetup(r));
  return [
    OP.block, 0x40, OP.loop, 0x40,
    OP.get, I, OP.i32const, rows, OP.add, OP.get, N, OP.gtS, OP.brIf, 1,
    ...setup, OP.i32const, 0, OP.set, J, OP.get, ACC, OP.set, P, ...inner,
    OP.get, I, OP.i32const, rows, OP.add, OP.set, I, OP.br, 0, OP.end, OP.end,
  ];
}

/** The module: memory "mem" (grown by the caller) and sum(tab, sc, ids, n, d, acc). */
function moduleBytes() {
  const body = [...vec([[7, 0x7f], [12, 0x7b]]), ...pass(4), ...pass(1), OP.end];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(Array(6).fill([0x7f])), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...str("sum"), 0x00, 0], [...str("mem"), 0x02, 0]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

/** The assembled module's bytes (for tests). */
export const ROWSUM_WASM = moduleBytes();

const PAGE = 65536;

/**
 * For an int8 model with a multiple of 8 dims: a function (ids) that returns the float64 sums of the dequantized rows
 * of IDS (checked in range; a Float64Array of dims, the module's own, overwritten by the next call) exactly as flat.mjs
 * sumRows makes them (embedIds uses it as model.rowSum). The table and scales are copied into the module's memory once.
 * Resolves to null where it does not apply or wasm SIMD is unavailable.
 * @param {{quant: string, dims: number, vocab: number, table: Int8Array, scales: Float32Array}} model a parsed flat file
 * @returns {Promise<((ids: ArrayLike<number>) => Float64Array) | null>}
 */
export async function rowSumWasm(model) {
  if (model.quant !== "int8" || model.codebooks || model.dims % 8 !== 0 || typeof WebAssembly !== "object") return null;
  let inst;
  try {
    if (!WebAssembly.validate(ROWSUM_WASM)) return null; // no SIMD in this engine
    inst = (await WebAssembly.instantiate(ROWSUM_WASM)).instance;
  } catch {
    return null; // a CSP without 'wasm-unsafe-eval', or no wasm at all
  }
  const { sum, mem } = inst.exports;
  const d = model.dims, vocab = model.vocab;
  const tab = 0, sc = align(model.table.byteLength, 16), acc = align(sc + 4 * vocab, 16), ids = acc + 8 * d;
  let cap = 0;
  let f64, i32;
  const room = (n) => { // memory for N ids after the accumulator
    if (n <= cap) return;
    cap = Math.max(1024, 2 * n);
    const need = ids + 4 * cap;
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / PAGE));
    f64 = new Float64Array(mem.buffer, acc, d);
    i32 = new Int32Array(mem.buffer, ids, cap);
  };
  try {
    room(1024);
    new Int8Array(mem.buffer, tab, model.table.length).set(model.table);
    new Float32Array(mem.buffer, sc, vocab).set(model.scales);
  } catch {
    return null; // no memory for the module's copy of the table: the JavaScript sums need none
  }
  return (list) => {
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const id = list[i];
      if (!(id >= 0 && id < vocab)) throw new RangeError(`token id ${id} out of range 0..${vocab - 1}`);
    }
    room(n);
    i32.set(list);
    f64.fill(0);
    sum(tab, sc, ids, n, d, acc);
    return f64; // a view of the module's accumulator: read it before the next call
  };
}

const align = (n, a) => Math.ceil(n / a) * a;
