// Interleaved timing of the flat runtime's embedIds over several flat files in one process (so JIT state and
// machine load hit every quant alike): node bench_pq.mjs IDS.json REPEAT A.edgembed B.edgembed ...
// Prints JSON {file: best microseconds per text}. Driven by benchmarks/bench_pq.py.
import { readFileSync } from "node:fs";
import { embedIds, parseFlat } from "../web/runtime/flat.mjs";

const [idsPath, repeatArg, ...files] = process.argv.slice(2);
const lists = JSON.parse(readFileSync(idsPath, "utf8")).map((l) => Int32Array.from(l));
const models = files.map((f) => {
  const b = readFileSync(f);
  return parseFlat(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
});
const best = files.map(() => Infinity);
let sink = 0;
for (let r = 0; r < Number(repeatArg); r++) {
  models.forEach((model, i) => {
    const out = new Float32Array(model.dims);
    const t0 = performance.now();
    for (const ids of lists) {
      out.fill(0);
      embedIds(model, ids, out);
    }
    best[i] = Math.min(best[i], performance.now() - t0);
    sink += out[0];
  });
}
console.log(JSON.stringify(Object.fromEntries(files.map((f, i) => [f, (1000 * best[i]) / lists.length])), null, 0));
if (Number.isNaN(sink)) console.error("nan");
