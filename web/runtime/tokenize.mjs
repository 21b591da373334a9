// Tokenization with @huggingface/tokenizers on the exported tokenizer.json (post_processor null,
// padding null), plus the file's `truncation` setting, which that library does not apply itself.
// The logic lives in tokenize_core.mjs (no imports); this wrapper imports the library by its bare name.
import { Tokenizer } from "@huggingface/tokenizers";
import { createTokenizerWith } from "./tokenize_core.mjs";

export { checkTexts, splitsAtSpaces } from "./tokenize_core.mjs";

/**
 * A tokenizer whose ids equal Python `tokenizers` with add_special_tokens=False on the same file
 * (see createTokenizerWith in tokenize_core.mjs).
 * @param {string | object} tokenizerJson the exported tokenizer.json (text or parsed object)
 */
export function createTokenizer(tokenizerJson) {
  return createTokenizerWith(Tokenizer, tokenizerJson);
}
