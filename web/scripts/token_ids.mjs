// Token ids from the runtime's tokenizer (web/runtime/tokenize.mjs), for parity checks against Python `tokenizers`.
//   node web/scripts/token_ids.mjs TOKENIZER.json TEXTS.json OUT.json
import { readFileSync, writeFileSync } from "node:fs";
import { createTokenizer } from "../runtime/tokenize.mjs";

const [tokFile, textsFile, outFile] = process.argv.slice(2);
try {
  const tok = createTokenizer(readFileSync(tokFile, "utf8"));
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  writeFileSync(outFile, JSON.stringify({ maxLength: tok.maxLength, piecewise: tok.piecewise, ids: texts.map((t) => tok.encode(t)), batchIds: tok.encodeBatch(texts) }));
} catch (e) {
  process.stderr.write(`token_ids: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
}
