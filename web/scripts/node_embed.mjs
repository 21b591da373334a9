// Embed texts with the JS runtime in Node.js: no DOM, no fetch (deleted before the runtime loads); the
// export's files are read from disk and handed over as ArrayBuffers, as a React Native host would.
//   node web/scripts/node_embed.mjs EXPORT_DIR TEXTS.json OUT.json [flat|onnx]
// TEXTS.json: a JSON array of strings. OUT.json: {ids, embeddings, info, ms}. Errors: one line on stderr, exit 1.
import { readFileSync, writeFileSync } from "node:fs";

async function main([dir, textsFile, outFile, backend = "flat"]) {
  if (!dir || !textsFile || !outFile) throw new Error("usage: node node_embed.mjs EXPORT_DIR TEXTS.json OUT.json [flat|onnx]");
  delete globalThis.fetch; // prove the runtime needs none
  if (typeof globalThis.window !== "undefined" || typeof globalThis.document !== "undefined") throw new Error("a DOM is present");
  const { fromDisk } = await import("./from_disk.mjs"); // the runtime loads only now, with fetch gone
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  const { model } = await fromDisk(dir, backend);
  const t0 = performance.now();
  const embeddings = await model.embed(texts);
  const ms = performance.now() - t0;
  await model.release();
  writeFileSync(outFile, JSON.stringify({
    ids: texts.map((t) => model.tokenize(t)),
    embeddings: embeddings.map((v) => Array.from(v)),
    info: model.info,
    ms,
  }));
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`node_embed: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
