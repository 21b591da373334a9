// The runtime's tokenizer. WordPiece models (BERT's family) take edgembed's own exact tokenizer
// (wordpiece.mjs, driven by the export's chartable.bin). Other models (Unigram, BPE) take the library path,
// @huggingface/tokenizers, imported lazily: its ids are not proven equal to Python's.
import { importPeer } from "./peers.mjs";
import { createWordPiece, exactPathRefusal } from "./wordpiece.mjs";

export { checkTexts, exactPathRefusal } from "./wordpiece.mjs";

/**
 * A tokenizer whose ids equal Python `tokenizers` with add_special_tokens=False on the same file.
 * @param {string | object} tokenizerJson the exported tokenizer.json (text or parsed object)
 * @param {{chartable?: ArrayBuffer | ArrayBufferView, loadLibrary?: () => Promise<{Tokenizer: Function}>}} [opts]
 *   chartable: the export's chartable.bin (required for WordPiece models); loadLibrary: how to import
 *   @huggingface/tokenizers for other models (default: the bare specifier)
 * @returns {Promise<{path: "exact" | "library", maxLength: number | null, encode(text: string): number[],
 *   encodeBatch(texts: string[]): number[][]}>}
 */
export async function createTokenizer(tokenizerJson, opts = {}) {
  const spec = typeof tokenizerJson === "string" ? JSON.parse(tokenizerJson) : tokenizerJson;
  const why = exactPathRefusal(spec);
  if (why === null) {
    if (!opts.chartable) throw new Error("this WordPiece tokenizer needs the export's chartable.bin (pass `chartable`)");
    return createWordPiece(spec, opts.chartable);
  }
  const lib = await (opts.loadLibrary ?? (() => importPeer("@huggingface/tokenizers", `this tokenizer (${why})`)))();
  const { createTokenizerWith } = await import("./tokenize_core.mjs"); // the library path only
  const tok = createTokenizerWith(lib.Tokenizer, spec);
  tok.path = "library";
  tok.refusal = why;
  return tok;
}
