// Token ids and embeddings of many texts from the JS runtime in Node.js, written as binary for exhaustive checks.
//   node web/scripts/exact_check.mjs EXPORT_DIR TEXTS.json OUT_PREFIX
// Writes OUT_PREFIX.ids (int32: for each text its id count, then its ids) and OUT_PREFIX.f32 (float32,
// texts x dims), plus OUT_PREFIX.json ({info, ms}). Errors: one line on stderr, exit 1.
import { readFileSync, writeFileSync } from "node:fs";
import { fromDisk } from "./from_disk.mjs";

async function main([dir, textsFile, prefix]) {
  if (!dir || !textsFile || !prefix) throw new Error("usage: node exact_check.mjs EXPORT_DIR TEXTS.json OUT_PREFIX");
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  const { model } = await fromDisk(dir, "flat");
  const t0 = performance.now();
  const vecs = await model.embed(texts);
  const ms = performance.now() - t0;
  const ids = [];
  for (const t of texts) {
    const got = model.tokenize(t);
    ids.push(got.length);
    for (const x of got) ids.push(x);
  }
  const dims = model.info.dims;
  const flat = new Float32Array(texts.length * dims);
  vecs.forEach((v, i) => flat.set(v, i * dims));
  writeFileSync(`${prefix}.ids`, new Int32Array(ids));
  writeFileSync(`${prefix}.f32`, flat);
  writeFileSync(`${prefix}.json`, JSON.stringify({ info: model.info, ms }));
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`exact_check: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
