// Shared by the Node scripts: an export folder's files read from disk and handed to the runtime's
// fromArtifacts, as a React Native or server host would (no fetch, no DOM).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fromArtifacts } from "../runtime/edgembed.mjs";

/** The bytes of a file as a standalone ArrayBuffer (a Node Buffer may be a view into a shared pool). */
export function readArrayBuffer(file) {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

/**
 * The embedder of the export in DIR on BACKEND, from its files' bytes: the tokenizer pack (tokenizer.bin) when the
 * manifest lists one, as load() does (OPTS.tokenizer "json": tokenizer.json + chartable.bin instead), and the
 * backend's model file. OPTS go to fromArtifacts as well.
 * @returns {Promise<{model: import("../runtime/edgembed.mjs").Embedder, manifest: object, tokenizerJson: string}>}
 */
export async function fromDisk(dir, backend = "flat", opts = {}) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const file = manifest.files?.[backend];
  if (!file) throw new Error(`the export has no '${backend}' file`);
  const tokenizerJson = readFileSync(join(dir, manifest.files.tokenizer), "utf8");
  const pack = manifest.files.tokenizer_pack && opts.tokenizer !== "json";
  const tok = pack ? { tokenizerPack: readFileSync(join(dir, manifest.files.tokenizer_pack)) }
    : { tokenizerJson, chartable: manifest.files.chartable ? readArrayBuffer(join(dir, manifest.files.chartable)) : undefined };
  const model = await fromArtifacts({ ...opts, backend, manifest, ...tok, [backend]: readArrayBuffer(join(dir, file)) });
  return { model, manifest, tokenizerJson };
}
