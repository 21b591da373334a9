// The bundle's entry when hermes_embed.mjs runs it in the Hermes VM. The VM's host (a prelude script standing in
// for the app's native side) offers globalThis.__edgembedHost = {files: {name: {encoding, data}}, texts, quiet}; this module
// embeds the texts with app.js and prints one line per text, "V <ids JSON> <float32 bytes, base64>", then
// "EDGEMBED <summary JSON>" (or "EDGEMBED-ERROR <message>"). print is the Hermes shell's; an app has console.log.
import { fromByteArray, toByteArray } from "base64-js";
import { loadEmbedder } from "./app";

const ABSENT = ["TextDecoder", "TextEncoder", "fetch", "WebAssembly", "atob", "btoa", "performance", "Worker",
  "SharedArrayBuffer", "Intl", "navigator", "location", "window", "document"];
const out = typeof print === "function" ? print : console.log;

async function main() {
  const host = global.__edgembedHost;
  const t0 = Date.now();
  const model = await loadEmbedder(async (name, encoding) => { // react-native-fs: RNFS.readFile(`${dir}/${name}`, encoding)
    const file = host.files[name];
    if (!file || file.encoding !== encoding) throw new Error(`the host has no file ${name} in ${encoding}`);
    return file.data;
  });
  const t1 = Date.now();
  const vectors = await model.embed(host.texts);
  const t2 = Date.now();
  if (!host.quiet) host.texts.forEach((text, i) => { // quiet: benchmarks, only the summary
    const v = vectors[i];
    out(`V ${JSON.stringify(model.tokenize(text))} ${fromByteArray(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))}`);
  });
  let base64Ms = null; // benchmarks: the share of loadMs that decoding model.edgembed's base64 takes
  if (host.quiet) {
    const flat = host.files[JSON.parse(host.files["manifest.json"].data).files.flat].data;
    const t3 = Date.now();
    toByteArray(flat);
    base64Ms = Date.now() - t3;
  }
  out(`EDGEMBED ${JSON.stringify({
    info: model.info,
    texts: host.texts.length,
    bundleStartMs: t0 - __BUNDLE_START_TIME__, // bundle start (Metro's prelude) -> this module runs
    loadMs: t1 - t0, // JSON.parse of tokenizer.json, base64 decoding, parsing the two binary files, the vocab trie
    embedMs: t2 - t1, // tokenizing and embedding all the texts, one call
    base64Ms,
    absent: ABSENT.filter((name) => typeof global[name] === "undefined"),
  })}`);
}

main().catch((e) => out(`EDGEMBED-ERROR ${String((e && e.message) || e).split("\n")[0]}`));
