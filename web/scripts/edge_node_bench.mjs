// The Node.js baseline of benchmarks/bench_edge.py: plain fromArtifacts (no HTTP), files read from disk.
//   node web/scripts/edge_node_bench.mjs EXPORT_DIR TEXTS.json BATCH SECONDS
// Prints "ready" once the first text is embedded (the caller times that from the process start), then one
// JSON line {"texts", "seconds"}: batches of BATCH texts embedded back to back for at least SECONDS.
import { readFileSync } from "node:fs";
import { fromDisk } from "./from_disk.mjs";

const [dir, textsFile, batch = "64", seconds = "3"] = process.argv.slice(2);
const { model } = await fromDisk(dir, "flat");
await model.embed(["hello world"]);
process.stdout.write("ready\n");
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const B = Number(batch);
let n = 0, i = 0;
const t0 = performance.now();
while (performance.now() - t0 < 1000 * Number(seconds)) {
  const chunk = texts.slice(i, i + B);
  i = i + B >= texts.length ? 0 : i + B;
  await model.embed(chunk);
  n += chunk.length;
}
process.stdout.write(JSON.stringify({ texts: n, seconds: (performance.now() - t0) / 1000 }) + "\n");
