// Embed texts with the JS runtime in Node.js: no DOM, no fetch (deleted before the runtime loads); the
// export's files are read from disk and handed over as ArrayBuffers, as a React Native host would.
//   node web/scripts/node_embed.mjs EXPORT_DIR TEXTS.json OUT.json [flat|onnx]
// TEXTS.json: a JSON array of strings. OUT.json: {ids, embeddings, info, ms}. Errors: one line on stderr, exit 1.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The bytes of a file as a standalone ArrayBuffer (a Node Buffer may be a view into a shared pool). */
function readArrayBuffer(file) {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

async function main([dir, textsFile, outFile, backend = "flat"]) {
  if (!dir || !textsFile || !outFile) throw new Error("usage: node node_embed.mjs EXPORT_DIR TEXTS.json OUT.json [flat|onnx]");
  delete globalThis.fetch; // prove the runtime needs none
  if (typeof globalThis.window !== "undefined" || typeof globalThis.document !== "undefined") throw new Error("a DOM is present");
  const { fromArtifacts } = await import("../runtime/edgembed.mjs");
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  const file = manifest.files?.[backend];
  if (!file) throw new Error(`the export has no '${backend}' file`);
  const model = await fromArtifacts({
    backend,
    manifest,
    tokenizerJson: readFileSync(join(dir, manifest.files.tokenizer), "utf8"),
    chartable: manifest.files.chartable ? readArrayBuffer(join(dir, manifest.files.chartable)) : undefined,
    [backend]: readArrayBuffer(join(dir, file)),
  });
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
