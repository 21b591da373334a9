// Tokenization with @huggingface/tokenizers on the exported tokenizer.json (post_processor null,
// padding null), plus the file's `truncation` setting, which that library does not apply itself.
import { Tokenizer } from "@huggingface/tokenizers";

/**
 * A tokenizer whose ids equal Python `tokenizers` with add_special_tokens=False on the same file.
 * @param {string | object} tokenizerJson the exported tokenizer.json (text or parsed object)
 * @returns {{encode(text: string): number[], maxLength: number | null}}
 */
export function createTokenizer(tokenizerJson) {
  const spec = typeof tokenizerJson === "string" ? JSON.parse(tokenizerJson) : tokenizerJson;
  const tok = new Tokenizer(spec, {});
  const trunc = spec.truncation ?? null;
  const maxLength = trunc && Number.isInteger(trunc.max_length) ? trunc.max_length : null;
  const keepLast = trunc?.direction === "Left";
  return {
    maxLength,
    encode(text) {
      if (typeof text !== "string") throw new TypeError(`texts must be strings, got ${typeof text}`);
      const ids = tok.encode(text, { add_special_tokens: false }).ids;
      if (maxLength === null || ids.length <= maxLength) return ids;
      return keepLast ? ids.slice(ids.length - maxLength) : ids.slice(0, maxLength);
    },
  };
}
