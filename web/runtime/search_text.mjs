// Words and terms of a text for site search, exactly as exporter/search/analyze.py makes them: BERT-uncased
// normalization and BertPreTokenizer from the index's character table (analyzer.bin, probed from Python
// `tokenizers`), stop words from index.json, Snowball English stems for words of [a-z0-9] (search_stem.mjs).
import { BERT_PUNCT, IS_WHITESPACE, K_DELTA, codePoints, createNormalizer, parseChartable } from "./chartable.mjs";
import { stemEnglish } from "./search_stem.mjs";

const ASCII_WORD = /^[a-z0-9]+$/;

/** Printable ASCII, tab, line feed and carriage return: the texts earlyAnalyzer() answers before the table arrives
 * (and those whose token ids search_ids.mjs reads from the word ids table). */
export const PRINTABLE_ASCII = /^[\x20-\x7e\t\n\r]*$/;

/**
 * The character table's printable-ASCII part (PRINTABLE_ASCII's characters) when SPEC (index.json's "analyzer") is
 * BERT-uncased's (BertNormalizer with lowercase and clean_text, BertPreTokenizer) and its weak words are ASCII, else
 * null: A–Z lowercased, tab / LF / CR to a space (clean_text), a space and those whitespace, every other character
 * that is not a letter or a digit BERT punctuation, nothing else changed (accents and CJK spacing have no ASCII to
 * act on). Only the class bits the analyzer reads (IS_WHITESPACE, BERT_PUNCT) are set, and only code points below
 * 0x80 are in it (tests/test_search_js.py checks the analyzer it makes against the one chartable.bin makes).
 */
export function asciiTable(spec) {
  const n = spec?.normalizer;
  if (n?.type !== "BertNormalizer" || n.lowercase !== true || n.clean_text !== true || spec.pre_tokenizer !== "BertPreTokenizer") return null;
  if (!(spec.weak_words ?? []).every((w) => PRINTABLE_ASCII.test(String(w)))) return null;
  const bmpCls = new Uint8Array(0x80), bmpRule = new Int32Array(0x80);
  for (let cp = 0; cp < 0x80; cp++) {
    const alnum = (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
    if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d) bmpCls[cp] = IS_WHITESPACE;
    else if (cp > 0x20 && cp < 0x7f && !alnum) bmpCls[cp] = BERT_PUNCT;
    if (cp >= 0x41 && cp <= 0x5a) bmpRule[cp] = (32 << 3) | K_DELTA;
    else if (cp === 0x09 || cp === 0x0a || cp === 0x0d) bmpRule[cp] = ((0x20 - cp) << 3) | K_DELTA;
  }
  return { reorder: false, pool: new Int32Array(0), bmpCls, bmpRule, cls: (cp) => bmpCls[cp], rule: (cp) => bmpRule[cp] };
}

/**
 * An analyzer usable before the index's character table arrives: printable-ASCII texts (a typed or pasted question,
 * almost always) are analyzed from asciiTable(SPEC) at once, exactly as the table would; once FULL (a promise of the
 * table's analyzer) resolves, every text is its. covers(text): whether TEXT can be analyzed now; ready: FULL; the
 * other members are createAnalyzer()'s and throw for a text not covered (await ready first). Without an ASCII table
 * (another normalizer) nothing is covered until FULL resolves.
 */
export function earlyAnalyzer(full, spec) {
  const table = asciiTable(spec);
  const ascii = table ? createAnalyzer(table, spec) : null;
  let done = null;
  const ready = full.then((a) => (done = a));
  ready.catch(() => {}); // reported by whoever awaits it
  const covers = (text) => done !== null || (ascii !== null && PRINTABLE_ASCII.test(text));
  const pick = (text) => {
    if (!covers(text)) throw new Error("the analyzer's character table has not arrived: await analyzer.ready before analyzing this text");
    return done ?? ascii;
  };
  return {
    ready,
    covers,
    words: (text) => pick(text).words(text),
    term: (word) => pick(word).term(word),
    terms: (text) => pick(text).terms(text),
    strongWords: (text) => pick(text).strongWords(text),
    /** The weak words' terms (ASCII words: the same set from either table). */
    get weak() { return (done ?? ascii ?? pick("\u0080")).weak; },
  };
}

/**
 * @param {ArrayBuffer | ArrayBufferView | object} chartable the index's analyzer.bin (or a table already parsed:
 *   parseChartable()'s or asciiTable()'s)
 * @param {{stop_words: string[], weak_words?: string[], identifiers?: {connectors: string, max: number}}} spec
 *   index.json's "analyzer"
 */
export function createAnalyzer(chartable, spec) {
  const table = chartable?.bmpCls ? chartable : parseChartable(chartable);
  const normalize = createNormalizer(table);
  const { bmpCls, cls } = table;
  const stop = new Set(spec.stop_words ?? []);
  const cache = new Map();
  const clsOf = (cp) => (cp < 0x10000 ? bmpCls[cp] : cls(cp));
  const connectors = new Set(codePoints(spec.identifiers?.connectors ?? ""));
  const maxCompound = spec.identifiers?.max ?? 0;

  /** The normalized words of TEXT with their spans in the normalized code points: [[word, start, end], ...], and
   * those code points. Punctuation marks are words of their own. */
  const spans = (text) => {
    const cps = codePoints(text);
    const r = normalize(cps, 0, cps.length);
    const out = [];
    let w = -1;
    const push = (a, b) => out.push([String.fromCodePoint(...r.cps.subarray(a, b)), a, b]);
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
    return [out, r.cps];
  };
  const rawWords = (text) => spans(text)[0].map((s) => s[0]);
  const isPunct = (word) => {
    const cp = word.codePointAt(0);
    return word.length === (cp >= 0x10000 ? 2 : 1) && (clsOf(cp) & BERT_PUNCT) !== 0;
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

  const weak = new Set();
  for (const w of spec.weak_words ?? []) {
    const t = term(w);
    if (t !== null) weak.add(t);
  }

  return {
    words: rawWords,
    term,
    /** Terms of the weak words: they score, but never make a result on their own. */
    weak,
    /** The index terms of TEXT, in order (repeats kept), identifiers' whole terms after their parts. */
    terms(text) {
      const [ws, cps] = spans(text);
      const out = [];
      let words = 0, conn = 0, start = 0, end = 0, last = 0;
      const close = () => {
        if (words >= 2 && end - start <= maxCompound) out.push(String.fromCodePoint(...cps.subarray(start, end)));
        words = conn = 0;
      };
      for (const [w, a, b] of ws) {
        if (isPunct(w)) {
          if (words && a === last && connectors.has(w.codePointAt(0)) && conn < 2) conn++;
          else close();
        } else if (words && a === last && conn) {
          words++;
          conn = 0;
          end = b;
        } else {
          close();
          words = 1;
          start = a;
          end = b;
        }
        last = b;
        const t = term(w);
        if (t !== null) out.push(t);
      }
      close();
      return out;
    },
    /** How many whitespace-separated words of TEXT (runs of words with no gap between them, so from_prefixed_env
     * is one) hold a term that is not weak: feedback's gate counts an identifier once (analyze.py's strong_words). */
    strongWords(text) {
      const [ws, cps] = spans(text);
      let n = 0, start = -1, last = -1;
      const close = () => {
        if (start < 0) return 0;
        return this.terms(String.fromCodePoint(...cps.subarray(start, last))).some((t) => !weak.has(t)) ? 1 : 0;
      };
      for (const [, a, b] of ws) {
        if (a !== last) {
          n += close();
          start = a;
        }
        last = b;
      }
      return n + close();
    },
  };
}
