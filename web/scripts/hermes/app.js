// A React Native app's edgembed code, as docs/mobile.md shows it: Metro bundles it and Hermes runs it
// (tests/test_hermes.py runs exactly this file). The export's files stay files: `read(name, encoding)` gives one
// as a string, the way react-native-fs `readFile(path, encoding)` does: "utf8" for manifest.json and
// tokenizer.json (decoded natively: Hermes needs no TextDecoder), "base64" for chartable.bin and model.edgembed,
// decoded by base64-js (older Hermes has no atob). fromArtifacts itself needs no TextDecoder, fetch or WebAssembly.
import { toByteArray } from "base64-js";
import { fromArtifacts } from "edgembed";

/**
 * The embedder of an export (backend "flat", on the calling thread).
 * @param {(name: string, encoding: "utf8" | "base64") => Promise<string>} read a file of the export folder
 */
export async function loadEmbedder(read) {
  const manifest = JSON.parse(await read("manifest.json", "utf8"));
  const { tokenizer, chartable, flat } = manifest.files;
  const [tokenizerJson, chartableB64, flatB64] = await Promise.all([read(tokenizer, "utf8"), read(chartable, "base64"), read(flat, "base64")]);
  return fromArtifacts({ manifest, tokenizerJson, chartable: toByteArray(chartableB64), flat: toByteArray(flatB64) });
}
