// Words and terms of a text for site search, exactly as exporter/search/analyze.py makes them: BERT-uncased
// normalization and BertPreTokenizer from the index's character table (analyzer.bin, probed from Python
// `tokenizers`), stop words from index.json, Snowball English stems for words of [a-z0-9] (search_stem.mjs).
import { BERT_PUNCT, IS_WHITESPACE, codePoints, createNormalizer, parseChartable } from "./chartable.mjs";
import { stemEnglish } from "./search_stem.mjs";

const ASCII_WORD = /^[a-z0-9]+$/;

/**
 * @param {ArrayBuffer | ArrayBufferView} chartable the index's analyzer.bin
 * @param {{stop_words: string[]}} spec index.json's "analyzer"
 */
export function createAnalyzer(chartable, spec) {
  const table = parseChartable(chartable);
  const normalize = createNormalizer(table);
  const { bmpCls, cls } = table;
  const stop = new Set(spec.stop_words ?? []);
  const cache = new Map();
  const clsOf = (cp) => (cp < 0x10000 ? bmpCls[cp] : cls(cp));

  /** The normalized words of TEXT (punctuation marks included, one a word), as [string, single punct?]. */
  const rawWords = (text) => {
    const cps = codePoints(text);
    const r = normalize(cps, 0, cps.length);
    const out = [];
    let w = -1;
    const push = (a, b) => out.push(String.fromCodePoint(...r.cps.subarray(a, b)));
    for (let i = 0; i < r.length; i++) {
      const c = clsOf(r.cps[i]);
      if (c & IS_WHITESPACE) {
        if (w >= 0) push(w, i);
        w = -1;
      } else if (c & BERT_PUNCT) {
        if (w >= 0) push(w, i);
        push(i, i + 1);
        w = -1;
      } else if (w < 0) {
        w = i;
      }
    }
    if (w >= 0) push(w, r.length);
    return out;
  };

  /** The index term of one normalized word, or null. */
  const term = (word) => {
    let t = cache.get(word);
    if (t !== undefined) return t;
    const cp = word.codePointAt(0);
    const single = word.length === (cp >= 0x10000 ? 2 : 1);
    if (stop.has(word) || (single && (cp < 128 || (clsOf(cp) & BERT_PUNCT)))) t = null;
    else if (ASCII_WORD.test(word)) t = stemEnglish(word);
    else t = word;
    if (cache.size < 1_000_000) cache.set(word, t);
    return t;
  };

  return {
    words: rawWords,
    term,
    /** The index terms of TEXT, in order (repeats kept). */
    terms(text) {
      const out = [];
      for (const w of rawWords(text)) {
        const t = term(w);
        if (t !== null) out.push(t);
      }
      return out;
    },
  };
}
