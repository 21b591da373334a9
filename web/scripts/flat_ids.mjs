// Embed token-id lists with the flat runtime alone (no tokenizer): node flat_ids.mjs MODEL.edgembed IDS.json OUT.json [REPEAT]
// IDS.json: [[id, ...], ...]. OUT.json: {"info": {...}, "embeddings": [[...], ...], "ms_per_text": best of REPEAT passes}.
// Used by tests/test_pq.py (flat.mjs against the Python flat reader) and benchmarks/bench_pq.py (pq vs int8 speed).
import { readFileSync, writeFileSync } from "node:fs";
import { embedIds, parseFlat } from "../runtime/flat.mjs";

const [flatPath, idsPath, outPath, repeatArg] = process.argv.slice(2);
try {
  const bytes = readFileSync(flatPath);
  const model = parseFlat(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const lists = JSON.parse(readFileSync(idsPath, "utf8")).map((l) => Int32Array.from(l));
  const repeat = Math.max(1, Number(repeatArg ?? 1));
  let out = null, best = Infinity;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    out = lists.map((ids) => embedIds(model, ids));
    best = Math.min(best, performance.now() - t0);
  }
  const info = { quant: model.quant, dims: model.dims, vocab: model.vocab, normalize: model.normalize };
  writeFileSync(outPath, JSON.stringify({ info, embeddings: out.map((v) => Array.from(v)), ms_per_text: best / Math.max(1, lists.length) }));
} catch (e) {
  console.error(`flat_ids: error: ${String(e?.message ?? e).split("\n")[0]}`);
  process.exit(2);
}
