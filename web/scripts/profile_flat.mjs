// Where the flat backend's time goes per pass over a batch, on one thread in Node (a pool worker runs the same code on
// its share): tokenization with a fresh piece cache (a batch of new texts) and with a warm one (the worker's cache
// outlives batches), then embedIds with the JavaScript row sum and with the wasm SIMD one (rowsum_wasm.mjs), and the
// wasm sums alone (the rest of embedIds: mean, normalization, the float32 store). Best of REPS passes, in ms.
//   node web/scripts/profile_flat.mjs EXPORT_DIR LINES.json [REPS]
// LINES.json: a JSON array of strings, e.g. bench_browser.py's 5,000 lines:
//   python3 -c 'import json,sys; sys.path.insert(0,"benchmarks"); from bench_browser import real_lines; json.dump(real_lines(5000), open("/tmp/lines.json","w"))'
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { embedIds, parseFlat } from "../runtime/flat.mjs";
import { createTokenizer } from "../runtime/tokenize.mjs";

const [dir, linesFile, repsArg] = process.argv.slice(2);
if (!dir || !linesFile) {
  console.error("usage: node web/scripts/profile_flat.mjs EXPORT_DIR LINES.json [REPS]");
  process.exit(2);
}
const reps = Number(repsArg ?? 9);
const lines = JSON.parse(readFileSync(linesFile, "utf8"));
const man = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const tok = await createTokenizer(readFileSync(join(dir, man.files.tokenizer), "utf8"),
  { chartable: man.files.chartable ? readFileSync(join(dir, man.files.chartable)) : undefined });
const model = parseFlat(new Uint8Array(readFileSync(join(dir, man.files.flat))).buffer);
// (a runtime from before rowsum_wasm.mjs, e.g. a `git archive` of an older commit: the JavaScript rows only)
const rowSum = await import("../runtime/rowsum_wasm.mjs").then((m) => m.rowSumWasm(model), () => null);
const wasm = { ...model, rowSum };
const ids = tok.encodeBatch(lines);
const d = model.dims;
const out = new Float32Array(lines.length * d);
const embedAll = (m) => { out.fill(0); for (let i = 0; i < ids.length; i++) embedIds(m, ids[i], out.subarray(i * d, (i + 1) * d)); };
const acc = new Float32Array(d);
const steps = {
  "tokenize, fresh piece cache": () => tok.encodeBatch(lines),
  ...(tok.newCache ? {
    "tokenize, warm piece cache": (() => { const c = tok.newCache(); tok.encodeBatch(lines, c); return () => tok.encodeBatch(lines, c); })(),
  } : {}),
  "embedIds, JavaScript row sums": () => embedAll(model),
  ...(rowSum ? {
    "embedIds, wasm SIMD row sums": () => embedAll(wasm),
    "wasm row sums alone": () => { for (const x of ids) if (x.length) { acc.fill(0); rowSum(x, acc); } },
  } : {}),
};
const best = {};
for (let r = 0; r < reps; r++) {
  for (const [name, f] of Object.entries(steps)) { // interleaved, so that background load hits every step alike
    const t0 = performance.now();
    f();
    best[name] = Math.min(best[name] ?? Infinity, performance.now() - t0);
  }
}
let tokens = 0;
for (const x of ids) tokens += x.length;
console.log(`${lines.length} texts, ${tokens} tokens, ${model.vocab}x${d} ${model.quant}; best of ${reps} passes, one thread:`);
for (const [name, ms] of Object.entries(best)) console.log(`  ${name}: ${ms.toFixed(1)} ms`);
