// Checks web/runtime/rowsum_wasm.mjs against flat.mjs's JavaScript row sum (tests/test_rowsum_wasm.py runs it):
// random int8 tables whose row scales span 2^-40 .. 2^20 (so the float64 sums round, and any change of the order
// of additions shows), every id count 0..13 and a few long ones, dims 8..1024. Prints one JSON line.
//   node web/scripts/rowsum_check.mjs SEED [--reverse]   (--reverse: sums the ids backwards on the JavaScript side,
//   which must then differ: the check can fail)
import { embedIds } from "../runtime/flat.mjs";
import { ROWSUM_WASM, rowSumWasm } from "../runtime/rowsum_wasm.mjs";

const seed = Number(process.argv[2] ?? 1);
const reverse = process.argv.includes("--reverse");
let s = seed >>> 0 || 1;
const rand = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };

function model(vocab, dims) {
  const table = new Int8Array(vocab * dims);
  for (let i = 0; i < table.length; i++) table[i] = Math.floor(rand() * 255) - 127;
  const scales = new Float32Array(vocab);
  for (let v = 0; v < vocab; v++) scales[v] = (0.5 + rand()) * 2 ** Math.floor(-40 + rand() * 60);
  // rows 0 and 1 cancel (row 1 = -row 0, both scaled 2^20) and row 2 is tiny (2^-40): a sum over them depends on
  // the order of the additions ((r0 + r2) + r1 = 0 but (r0 + r1) + r2 = r2), so a changed order shows
  for (let j = 0; j < dims; j++) table[dims + j] = -table[j];
  scales[0] = scales[1] = 2 ** 20;
  scales[2] = 2 ** -40;
  return { vocab, dims, quant: "int8", rowBytes: dims, normalize: rand() < 0.5, table, scales };
}

const res = { seed, valid: WebAssembly.validate(ROWSUM_WASM), cases: 0, differing: 0, errors: [], nulls: {} };
for (const dims of [8, 16, 64, 256, 1024]) {
  const m = model(dims === 1024 ? 500 : 3000, dims);
  const sum = await rowSumWasm(m);
  if (!sum) throw new Error(`no wasm row sum for int8 x ${dims}`);
  const w = { ...m, rowSum: sum };
  const counts = [...Array(14).keys(), 31, 300, 5000];
  for (const n of counts) {
    for (let rep = 0; rep < 20; rep++) {
      const pick = () => { const r = rand(); return r < 0.3 ? Math.floor(r * 10) : r < 0.4 ? m.vocab - 1 : Math.floor(rand() * m.vocab); };
      const ids = Array.from({ length: n }, pick);
      const typed = rand() < 0.5 ? Int32Array.from(ids) : ids;
      const a = new Uint32Array(embedIds(m, reverse ? [...ids].reverse() : typed).buffer), b = new Uint32Array(embedIds(w, typed).buffer);
      res.cases++;
      if (a.some((x, j) => x !== b[j])) res.differing++;
    }
  }
  for (const bad of [[1, -1], [m.vocab], [0, 1, 2, 3, 4, 5, 6, 7, 8, NaN]]) { // the same RangeError as the JavaScript path
    const msg = (mm) => { try { embedIds(mm, bad); return "no error"; } catch (e) { return `${e.name}: ${e.message}`; } };
    if (msg(m) !== msg(w) || !msg(w).startsWith("RangeError")) res.errors.push([bad, msg(m), msg(w)]);
  }
}
const other = (quant, dims) => ({ ...model(10, dims), quant });
for (const [name, m] of [["fp32", other("fp32", 8)], ["int4", other("int4", 8)], ["int8x12", other("int8", 12)]]) {
  res.nulls[name] = (await rowSumWasm(m)) === null;
}
console.log(JSON.stringify(res));
