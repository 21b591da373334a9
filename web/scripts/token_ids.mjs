// Token ids from the runtime's tokenizer (web/runtime/tokenize.mjs), for parity checks against Python `tokenizers`.
//   node web/scripts/token_ids.mjs TOKENIZER.json TEXTS.json OUT.json [CHARTABLE.bin]
// (CHARTABLE.bin: the export's character table, which WordPiece tokenizers need)
import { readFileSync, writeFileSync } from "node:fs";
import { createTokenizer } from "../runtime/tokenize.mjs";

const [tokFile, textsFile, outFile, charFile] = process.argv.slice(2);
try {
  const tok = await createTokenizer(readFileSync(tokFile, "utf8"), { chartable: charFile ? readFileSync(charFile) : undefined });
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  writeFileSync(outFile, JSON.stringify({ maxLength: tok.maxLength, piecewise: tok.piecewise, ids: texts.map((t) => tok.encode(t)), batchIds: tok.encodeBatch(texts).map((ids) => Array.from(ids)), path: tok.path }));
} catch (e) {
  process.stderr.write(`token_ids: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
}
