// The bundle against the modules it is made of: the same vectors, bit for bit, for the same files.
//   node web/scripts/bundle_check.mjs EXPORT_DIR TEXTS.json   -> prints {"texts", "paths", "identical"} as JSON
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseRowsIndex, shardPath } from "../runtime/rows.mjs";

const [dir, textsFile] = process.argv.slice(2);
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
const f = manifest.files;
const art = (lazy) => {
  const a = { manifest, tokenizerPack: readFileSync(join(dir, f.tokenizer_pack)) };
  if (lazy) {
    const index = readFileSync(join(dir, f.rows));
    const parsed = parseRowsIndex(index);
    a.rows = { index, fetchShard: async (k) => readFileSync(join(dir, shardPath(parsed, k))) };
  } else {
    a.flat = readFileSync(join(dir, f.flat));
  }
  return a;
};
const modules = await import("../runtime/edgembed.mjs");
const bundle = await import("../runtime/edgembed.bundle.mjs");
let identical = true;
const paths = [];
for (const lazy of [true, false]) {
  const a = await (await modules.fromArtifacts(art(lazy))).embed(texts);
  const b = await (await bundle.fromArtifacts(art(lazy))).embed(texts);
  const same = a.length === b.length && a.every((v, i) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)
    .equals(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength)));
  paths.push({ rows: lazy ? "lazy" : "whole", same });
  identical &&= same;
}
console.log(JSON.stringify({ texts: texts.length, paths, identical, exports: Object.keys(bundle).sort() }));
