// Node side of benchmarks/bench_tokenize.py: one thread, the runtime's embed() and tokenizer over real passages.
//   node web/scripts/bench_tokenize.mjs EXPORT_DIR TEXTS.json PASSES
// Prints one JSON line: best-of-PASSES seconds (wall and CPU) for embed(), for the tokenizer alone (batch, and one
// text per call), and for the
// previous runtime's tokenizer (@huggingface/tokenizers with a per-batch piece cache and an ASCII shortcut).
import { readFileSync } from "node:fs";
import { createTokenizerWith } from "../runtime/tokenize_core.mjs";
import { fromDisk } from "./from_disk.mjs";

async function main([dir, textsFile, passes = "5"]) {
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  const { model, tokenizerJson } = await fromDisk(dir, "flat");
  const { Tokenizer } = await import("@huggingface/tokenizers");
  const library = createTokenizerWith(Tokenizer, tokenizerJson);
  const best = async (fn) => {
    let wall = Infinity, cpu = Infinity;
    for (let r = 0; r < Number(passes); r++) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      await fn();
      const t = (performance.now() - t0) / 1000, c = process.cpuUsage(c0);
      wall = Math.min(wall, t);
      cpu = Math.min(cpu, (c.user + c.system) / 1e6);
    }
    return { wall, cpu };
  };
  const out = {
    embed: await best(() => model.embed(texts)),
    tokenize: await best(() => model.tokenizer.encodeBatch(texts)),
    single: await best(() => { for (const t of texts) model.tokenizer.encode(t); }), // no piece shared between texts
    library: await best(() => library.encodeBatch(texts)),
    tokens: model.tokenizer.encodeBatch(texts).reduce((a, ids) => a + ids.length, 0),
    tokenizer: model.info.tokenizer,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`bench_tokenize: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
