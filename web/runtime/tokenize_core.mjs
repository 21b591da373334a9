// The library path (tokenizers that are not WordPiece): @huggingface/tokenizers, whose `Tokenizer` class is a
// parameter, so module workers (which do not see the page's import map) can pass the class they imported by URL.
// tokenize.mjs imports this module only for such tokenizers.
import { checkTexts } from "./wordpiece.mjs";

/**
 * True when tokenizing a text equals tokenizing its space-separated pieces and concatenating the ids:
 * BERT's normalizer is character-local, its pre-tokenizer splits at every space, WordPiece works per
 * word, and no added token contains a space. Then a batch can tokenize each distinct piece once.
 */
export function splitsAtSpaces(spec) {
  const norm = spec.normalizer?.type ?? null;
  const pre = spec.pre_tokenizer?.type ?? null;
  return (norm === null || norm === "BertNormalizer")
    && (pre === "BertPreTokenizer" || pre === "Whitespace" || pre === "WhitespaceSplit")
    && spec.model?.type === "WordPiece"
    && (spec.added_tokens ?? []).every((t) => !String(t.content).includes(" "));
}


/**
 * A tokenizer whose ids equal Python `tokenizers` with add_special_tokens=False on the same file.
 * `encodeBatch` memoizes the ids of each space-separated piece within one call when `splitsAtSpaces`
 * holds (real text repeats words: ~3x faster on 5,000 Cranfield/CISI lines); the cache dies with the call,
 * unless the caller passes its own Map (a pool worker keeps one for all the shares of one batch).
 * @param {Function} Tokenizer the @huggingface/tokenizers Tokenizer class
 * @param {string | object} tokenizerJson the exported tokenizer.json (text or parsed object)
 * @returns {{encode(text: string): number[], encodeBatch(texts: string[], cache?: Map<string, number[]>): number[][],
 *            maxLength: number | null, piecewise: boolean}}
 */
export function createTokenizerWith(Tokenizer, tokenizerJson) {
  const spec = typeof tokenizerJson === "string" ? JSON.parse(tokenizerJson) : tokenizerJson;
  const tok = new Tokenizer(spec, {});
  const trunc = spec.truncation ?? null;
  const maxLength = trunc && Number.isInteger(trunc.max_length) ? trunc.max_length : null;
  const keepLast = trunc?.direction === "Left";
  const piecewise = splitsAtSpaces(spec);
  const truncate = (ids) => {
    if (maxLength === null || ids.length <= maxLength) return ids;
    return keepLast ? ids.slice(ids.length - maxLength) : ids.slice(0, maxLength);
  };
  const raw = (text) => tok.encode(text, { add_special_tokens: false }).ids;
  // A piece of printable ASCII goes through BERT's normalizer unchanged (lowercased, if the normalizer
  // lowercases) and BertPreTokenizer cuts it at each ASCII punctuation character, so the library's WordPiece
  // model alone gives its tokens: about 3x cheaper per piece than a full encode. Pieces holding an added
  // token (say "[MASK]") take the full path.
  const model = tok.model;
  const fast = piecewise && spec.pre_tokenizer?.type === "BertPreTokenizer" && typeof model?._call === "function"
    && model.tokens_to_ids instanceof Map;
  const lower = spec.normalizer?.type === "BertNormalizer" && spec.normalizer.lowercase !== false;
  const added = (spec.added_tokens ?? []).map((t) => ({ content: String(t.content), normalized: Boolean(t.normalized) }));
  const ASCII = /^[!-~]+$/;
  const PUNCT = /([!-/:-@[-`{-~])/;
  const holdsAdded = (piece, norm) => added.some((t) => (t.normalized ? norm : piece).includes(t.content));
  const rawPiece = (piece) => {
    if (!fast || !ASCII.test(piece)) return raw(piece);
    const norm = lower ? piece.toLowerCase() : piece;
    if (holdsAdded(piece, norm)) return raw(piece);
    const ids = [];
    for (const part of norm.split(PUNCT)) {
      if (part === "") continue;
      for (const t of model._call([part])) ids.push(model.tokens_to_ids.get(t) ?? model.unk_token_id);
    }
    return ids;
  };
  return {
    maxLength,
    piecewise,
    encode(text) {
      checkTexts([text]);
      return truncate(raw(text));
    },
    encodeBatch(texts, cache = new Map()) {
      if (!piecewise) return texts.map((t) => this.encode(t));
      checkTexts(texts);
      return texts.map((text) => {
        const ids = [];
        for (const piece of text.split(" ")) {
          if (piece === "") continue;
          let got = cache.get(piece);
          if (got === undefined) cache.set(piece, (got = rawPiece(piece)));
          for (let i = 0; i < got.length; i++) ids.push(got[i]);
        }
        return truncate(ids);
      });
    },
  };
}
