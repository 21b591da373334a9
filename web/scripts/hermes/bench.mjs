// Cold start and throughput of edgembed in the Hermes VM, with Node.js (V8, JIT) running the same bundle and the
// same prelude as the peer measured in the same run.
//   node web/scripts/hermes/bench.mjs DIR EXPORT_DIR [--repeat N]
// DIR: a `hermes_embed.mjs build` folder. Texts: the 1,400 documents of the bundled Cranfield corpus (title + " " +
// text, as BEIR embeds them), embedded in one call. Per engine, the median of N runs (default 3) of:
//   ready: process start (Hermes) / script start (Node) -> embedder ready: loading the bytecode, JSON.parse of
//          tokenizer.json, base64-decoding chartable.bin and model.edgembed, parsing them, the vocabulary trie;
//   load:  the part of `ready` spent in loadEmbedder (app.js); base64: the part of `load` spent decoding
//          model.edgembed's base64 (a read that hands over bytes, e.g. expo-file-system's File.bytes(), skips it);
//   embed: tokenizing and embedding the 1,400 texts; texts/s = 1,400 / embed.
// The Hermes VM is the interpreter of npm hermes-engine-cli on this machine's CPU, not a phone.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { hermesVersion, TOOLS } from "./build.mjs";
import { parseOutput, prepare, runHermes, runNode } from "./run.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const CORPUS = join(ROOT, "exporter", "data", "cranfield", "corpus.jsonl");

function cranfield() {
  return readFileSync(CORPUS, "utf8").split("\n").filter((l) => l.trim()).map((l) => {
    const d = JSON.parse(l);
    return `${d.title ?? ""} ${d.text ?? ""}`.trim();
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(argv) {
  const at = argv.indexOf("--repeat");
  const repeat = at >= 0 ? Number(argv.splice(at, 2)[1]) : 3;
  const [built, exportDir] = argv;
  if (!built || !exportDir || argv.length !== 2 || !(Number.isInteger(repeat) && repeat >= 1)) {
    throw new Error("usage: node bench.mjs DIR EXPORT_DIR [--repeat N]");
  }
  const texts = cranfield();
  const work = mkdtempSync(join(tmpdir(), "edgembed-hermes-bench-"));
  try {
    const { js, hbc } = prepare(resolve(built), work, exportDir, texts, true);
    const rows = {};
    for (const [engine, run] of [["hermes", () => runHermes(hbc)], ["node", () => runNode(js)]]) {
      const runs = [];
      for (let r = 0; r < repeat; r++) {
        const t = performance.now();
        const { summary } = parseOutput(await run());
        const wall = performance.now() - t;
        // Hermes: the process's wall time less what follows `ready` (embedding, the base64 probe); Node: in-script
        const ready = engine === "hermes" ? wall - summary.embedMs - summary.base64Ms : summary.bundleStartMs + summary.loadMs;
        runs.push({ ready,
          load: summary.loadMs, base64: summary.base64Ms, embed: summary.embedMs, info: summary.info });
      }
      const med = (k) => median(runs.map((x) => x[k]));
      rows[engine] = { ready: med("ready"), load: med("load"), base64: med("base64"), embed: med("embed"), info: runs[0].info };
    }
    const { info } = rows.hermes;
    console.log(`${texts.length} Cranfield documents, ${info.quant}@${info.dims}, median of ${repeat}; `
      + `Hermes ${hermesVersion(TOOLS.vm()).release} (interpreter, this CPU), Node ${process.versions.node} (V8)`);
    console.log("engine    ready ms   load ms  base64 ms   embed ms    texts/s");
    const col = (x, w) => x.toFixed(0).padStart(w);
    for (const [engine, r] of Object.entries(rows)) {
      console.log(`${engine.padEnd(8)}${col(r.ready, 9)}${col(r.load, 10)}${col(r.base64, 11)}${col(r.embed, 11)}`
        + `${col(texts.length / (r.embed / 1000), 11)}`);
    }
    console.log(`hermes / node: ready x${(rows.hermes.ready / rows.node.ready).toFixed(1)}, `
      + `embed x${(rows.hermes.embed / rows.node.embed).toFixed(1)}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
