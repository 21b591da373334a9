// edgembed's own WordPiece tokenizer: the ids of Python `tokenizers` `encode(text, add_special_tokens=False)`
// for tokenizer.json files with a WordPiece model, a BertNormalizer (any options) or none, and a
// BertPreTokenizer, Whitespace, WhitespaceSplit or no pre-tokenizer; added tokens (normalized or not,
// single_word, lstrip, rstrip) and the file's truncation. Character properties come only from the export's
// chartable.bin (chartable.mjs). Proven against the library over every code point (tests/test_tokenizer_exact.py).
import { BERT_PUNCT, IS_WHITESPACE, REGEX_MASK, REGEX_SPACE, REGEX_WORD, codePoints, createNormalizer, parseChartable } from "./chartable.mjs";

const PRE = { BertPreTokenizer: 1, Whitespace: 2, WhitespaceSplit: 3 };

/** Throw the runtime's TypeError unless every text is a string. */
export function checkTexts(texts) {
  for (const t of texts) {
    if (typeof t !== "string") throw new TypeError(`texts must be strings, got ${typeof t}`);
  }
}

/**
 * Why this runtime cannot tokenize SPEC itself (then the library path applies), or null when it can.
 * Mirrors exporter/formats/chartable.py exact_path.
 * @param {object} spec a parsed tokenizer.json
 * @returns {string | null}
 */
export function exactPathRefusal(spec) {
  const model = spec?.model?.type, norm = spec?.normalizer?.type ?? null, pre = spec?.pre_tokenizer?.type ?? null;
  if (model !== "WordPiece") return `model ${model} is not WordPiece`;
  if (norm !== null && norm !== "BertNormalizer") return `normalizer ${norm} is not BertNormalizer`;
  if (pre !== null && !(pre in PRE)) return `pre-tokenizer ${pre} is not one of BertPreTokenizer, Whitespace, WhitespaceSplit`;
  return null;
}

/**
 * A vocabulary stored as in the tokenizer pack (tokpack.mjs): UTF-8 tokens in id order, separated by NUL bytes
 * (an id with no token is an empty entry).
 */
export class PackedVocab {
  /**
   * @param {Uint8Array} bytes the pack's token section
   * @param {number} ids how many ids the section holds (the largest id + 1)
   * @param {number} entries how many tokens it holds (the model's vocabulary size)
   */
  constructor(bytes, ids, entries) {
    this.bytes = bytes;
    this.ids = ids;
    this.entries = entries;
  }
}

/**
 * A trie of the vocabulary over code points: open addressing on (node, code point), each slot three adjacent
 * int32s [node, code point, child] so that a probe touches one cache line. Built from tokenizer.json's vocabulary
 * object (all at once), or from a PackedVocab's bytes lazily: one pass at load groups the tokens by the code point
 * they start with (continuation tokens, "##x…", also by the code point after the prefix), and a group goes into
 * the trie the first time a word (or a continuation) starting with that code point is looked up. A walk from the
 * root along c… or from the prefix's node along x… only meets tokens of group c (or x), so the lookups see exactly
 * the tokens the eager trie would.
 */
class VocabTrie {
  /**
   * @param {Record<string, number> | PackedVocab} vocab
   * @param {string} prefix the WordPiece continuation prefix ("##")
   */
  constructor(vocab, prefix) {
    const packed = vocab instanceof PackedVocab;
    const keys = packed ? null : Object.keys(vocab);
    this.size = packed ? vocab.entries : keys.length;
    let chars = 0;
    if (!packed) for (let k = 0; k < keys.length; k++) chars += keys[k].length;
    // tokenizer.json: room for every node at once; a pack starts with room for an eighth of them (a first query loads
    // a few groups) and doubles the table as groups come in (allocating the whole table costs more than a query)
    this.alloc(packed ? vocab.bytes.length / 4 : 2 * (chars + 2));
    this.nodes = 1; // node 0 is the root
    this.prefix = Array.from(prefix, (ch) => ch.codePointAt(0));
    let node = 0;
    for (const cp of this.prefix) node = this.insert(node, cp);
    this.contRoot = this.prefix.length ? node : 0;
    this.lazy = packed ? this.group(vocab) : null;
    if (!packed) for (let k = 0; k < keys.length; k++) this.ids[this.walk(keys[k], true)] = vocab[keys[k]];
  }

  alloc(want) {
    let cap = 1 << 10;
    while (cap < want) cap <<= 1;
    this.mask = cap - 1;
    this.slots = new Int32Array(3 * cap).fill(-1);
    const ids = new Int32Array(cap).fill(-1); // nodes < slots: a node is the child of one slot (the root of none)
    if (this.ids) ids.set(this.ids.subarray(0, Math.min(this.ids.length, cap)));
    this.ids = ids;
  }

  /** Double the table once it is half full (a lazy trie, as groups come in): every slot moves to its new place. */
  grow() {
    const old = this.slots;
    this.alloc(2 * (this.mask + 1));
    const s = this.slots, mask = this.mask;
    for (let o = 0; o < old.length; o += 3) {
      if (old[o] === -1) continue;
      let h = (Math.imul(old[o], 0x9e3779b1) ^ Math.imul(old[o + 1], 0x85ebca6b)) & mask;
      while (s[3 * h] !== -1) h = (h + 1) & mask;
      s[3 * h] = old[o]; s[3 * h + 1] = old[o + 1]; s[3 * h + 2] = old[o + 2];
    }
  }

  /**
   * One pass over the packed tokens: each token's byte range, and its groups (2·c: tokens starting with c;
   * 2·x + 1: continuation tokens prefix + x…), kept as one sorted array of key·2^20 + id.
   */
  group(vocab) {
    const b = vocab.bytes, n = b.length, nIds = vocab.ids;
    if (nIds >= ID_SPAN) throw new Error(`tokenizer pack of ${nIds} ids: this runtime reads packs of fewer than ${ID_SPAN}`);
    const pb = utf8(this.prefix);
    const start = new Int32Array(nIds + 1), keyA = new Int32Array(nIds), keyB = new Int32Array(nIds);
    let id = 0, s = 0;
    while (s <= n) { // token `id` is b[s .. i), i its NUL (or the end): found by the native scan, not a per-byte JS loop
      let i = b.indexOf(0, s);
      if (i < 0) i = n;
      if (id >= nIds) throw new Error(`corrupt tokenizer pack: more than the ${nIds} tokens its header says`);
      start[id] = s;
      keyA[id] = keyB[id] = -1;
      if (i > s) {
        keyA[id] = 2 * firstCp(b, s);
        let k = 0;
        while (k < pb.length && s + k < i && b[s + k] === pb[k]) k++;
        if (k === pb.length && k > 0 && s + k < i) keyB[id] = 2 * firstCp(b, s + k) + 1;
      }
      id++;
      s = i + 1;
    }
    if (id !== nIds) throw new Error(`corrupt tokenizer pack: ${id} tokens, the header says ${nIds}`);
    start[id] = s;
    // every (group key, id) as key·2^20 + id in one Float64Array, sorted natively: a group is one run of it
    const entries = new Float64Array(2 * nIds);
    let e = 0;
    for (let i = 0; i < nIds; i++) {
      if (keyA[i] >= 0) entries[e++] = keyA[i] * ID_SPAN + i;
      if (keyB[i] >= 0) entries[e++] = keyB[i] * ID_SPAN + i;
    }
    return { bytes: b, start, sorted: entries.subarray(0, e).sort(), doneBmp: new Uint8Array(0x20000), done: new Set() };
  }

  /** Put the tokens of group KEY (2·c or 2·x + 1) into the trie, once. */
  load(key) {
    const g = this.lazy;
    if (key < 0x20000) {
      if (g.doneBmp[key]) return;
      g.doneBmp[key] = 1;
    } else {
      if (g.done.has(key)) return;
      g.done.add(key);
    }
    const s = g.sorted, b = g.bytes;
    let lo = 0, hi = s.length; // the first entry of the group: binary search
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] < key * ID_SPAN) lo = mid + 1; else hi = mid;
    }
    for (let m = lo, end = (key + 1) * ID_SPAN; m < s.length && s[m] < end; m++) {
      const id = s[m] - key * ID_SPAN;
      let node = 0;
      for (let i = g.start[id], stop = g.start[id + 1] - 1; i < stop;) {
        const c = b[i];
        let cp;
        if (c < 0x80) { cp = c; i += 1; }
        else if (c >= 0xf0) { cp = ((c & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63); i += 4; }
        else if (c >= 0xe0) { cp = ((c & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63); i += 3; }
        else { cp = ((c & 31) << 6) | (b[i + 1] & 63); i += 2; }
        node = this.insert(node, cp);
      }
      this.ids[node] = id;
    }
  }

  /** Make sure the tokens a walk from the root along CP can meet are in (a lazy trie loads their group). */
  word(cp) {
    if (this.lazy) this.load(2 * cp);
  }

  /** The same for a walk from the continuation prefix's node along CP (with no prefix: the root's). */
  cont(cp) {
    if (this.lazy) this.load(this.prefix.length ? 2 * cp + 1 : 2 * cp);
  }

  /** The node of TEXT's code points (surrogate pairs combined), inserting the missing ones when ADD, else -1. */
  walk(text, add) {
    let node = 0;
    for (let i = 0; i < text.length && node >= 0; i++) {
      let cp = text.charCodeAt(i);
      if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
        const lo = text.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo < 0xe000) { cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00); i++; }
      }
      if (i === 0 && !add) this.word(cp);
      node = add ? this.insert(node, cp) : this.next(node, cp);
    }
    return node;
  }

  /** The id of the vocabulary token TEXT, or -1. */
  lookup(text) {
    if (typeof text !== "string" || text === "") return -1;
    const node = this.walk(text, false);
    return node > 0 ? this.ids[node] : -1;
  }

  insert(node, cp) {
    if (2 * this.nodes >= this.mask) this.grow();
    const s = this.slots;
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(cp, 0x85ebca6b)) & this.mask;
    while (s[3 * h] !== -1) {
      if (s[3 * h] === node && s[3 * h + 1] === cp) return s[3 * h + 2];
      h = (h + 1) & this.mask;
    }
    s[3 * h] = node;
    s[3 * h + 1] = cp;
    s[3 * h + 2] = this.nodes;
    return this.nodes++;
  }

  /** The child of NODE along code point CP, or -1. */
  next(node, cp) {
    const s = this.slots, mask = this.mask;
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(cp, 0x85ebca6b)) & mask;
    for (;;) {
      const k = s[3 * h];
      if (k === -1) return -1;
      if (k === node && s[3 * h + 1] === cp) return s[3 * h + 2];
      h = (h + 1) & mask;
    }
  }
}

const ID_SPAN = 2 ** 20; // ids below it (a million): a group entry is key·ID_SPAN + id, exact in a float64

/** The code point of the UTF-8 sequence at B[I] (as Python wrote it). */
function firstCp(b, i) {
  const c = b[i];
  if (c < 0x80) return c;
  if (c >= 0xf0) return ((c & 7) << 18) | ((b[i + 1] & 63) << 12) | ((b[i + 2] & 63) << 6) | (b[i + 3] & 63);
  if (c >= 0xe0) return ((c & 15) << 12) | ((b[i + 1] & 63) << 6) | (b[i + 2] & 63);
  return ((c & 31) << 6) | (b[i + 1] & 63);
}

/** UTF-8 bytes of code points CPS. */
function utf8(cps) {
  const out = [];
  for (const cp of cps) {
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

/**
 * Leftmost-longest, non-overlapping matches of the patterns (code point arrays, by first code point) in cps[0..n), filtered and
 * widened like the library's added vocabulary (single_word, lstrip, rstrip).
 * @returns {number[]} flat triples [start, end, id]
 */
function findAdded(cps, n, byFirst, cls) {
  const out = [];
  let last = 0; // end of the previous kept match
  for (let i = 0; i < n;) {
    const cands = byFirst.get(cps[i]);
    let best = null;
    if (cands) {
      for (const p of cands) { // longest first
        const c = p.cps;
        if (i + c.length > n) continue;
        let k = 1;
        while (k < c.length && cps[i + k] === c[k]) k++;
        if (k === c.length) { best = p; break; }
      }
    }
    if (!best) { i++; continue; }
    let start = i, stop = i + best.cps.length;
    i = stop; // the iterator resumes after this match even when it is discarded
    if (best.singleWord) {
      const before = start > 0 && (cls(cps[start - 1]) & REGEX_MASK) === REGEX_WORD;
      const after = stop < n && (cls(cps[stop]) & REGEX_MASK) === REGEX_WORD;
      if (before || after) continue;
    }
    if (best.lstrip) {
      let s = start;
      while (s > 0 && (cls(cps[s - 1]) & REGEX_MASK) === REGEX_SPACE) s--;
      start = Math.max(s, last);
    }
    if (best.rstrip) while (stop < n && (cls(cps[stop]) & REGEX_MASK) === REGEX_SPACE) stop++;
    out.push(start, stop, best.id);
    last = stop;
  }
  return out;
}

/**
 * The added tokens as the library registers them: in file order, each takes its id in the model's vocabulary,
 * else the next id after it (the "id" fields of the file are not used); a repeated content keeps its first id
 * and takes the last one's options.
 */
function addedTokens(list, trie) {
  const byContent = new Map(), byId = new Map();
  let next = trie.size;
  for (const t of list) {
    if (typeof t?.content !== "string" || t.content === "") continue;
    let id = byContent.get(t.content);
    if (id === undefined) {
      const known = trie.lookup(t.content);
      id = known >= 0 ? known : next++;
    }
    byContent.set(t.content, id);
    byId.set(id, { ...t, id });
  }
  return [...byId.values()];
}

/** Split cps[0..n) at the added tokens of PATTERNS: their ids go to OUT, each stretch between them to EACH(a, b). */
function splitAdded(cps, n, patterns, cls, out, each) {
  const hits = findAdded(cps, n, patterns, cls);
  let at = 0;
  for (let k = 0; k < hits.length; k += 3) {
    if (hits[k] > at) each(at, hits[k]);
    out.push(hits[k + 2]);
    at = hits[k + 1];
  }
  if (at < n) each(at, n);
}

function patternSet(tokens, toCps) {
  const byFirst = new Map();
  for (const t of tokens) {
    const cps = toCps(t.content);
    if (cps.length === 0) continue;
    const p = { cps, id: t.id, singleWord: Boolean(t.single_word), lstrip: Boolean(t.lstrip), rstrip: Boolean(t.rstrip) };
    if (!byFirst.has(cps[0])) byFirst.set(cps[0], []);
    byFirst.get(cps[0]).push(p);
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.cps.length - a.cps.length || a.id - b.id);
  return byFirst;
}

/**
 * The exact tokenizer.
 * @param {object} spec a parsed tokenizer.json (exactPathRefusal(spec) must be null)
 * @param {ArrayBuffer | ArrayBufferView} chartable the export's chartable.bin
 */
export function createWordPiece(spec, chartable) {
  const why = exactPathRefusal(spec);
  if (why) throw new Error(`the exact tokenizer cannot run this tokenizer.json: ${why}`);
  const table = parseChartable(chartable);
  const { cls, bmpCls } = table;
  const normalize = spec.normalizer ? createNormalizer(table) : null;
  const m = spec.model;
  const trie = new VocabTrie(m.vocab ?? {}, m.continuing_subword_prefix ?? "##");
  const unkId = trie.lookup(m.unk_token);
  const maxChars = Number.isInteger(m.max_input_chars_per_word) ? m.max_input_chars_per_word : 100;
  const contRoot = trie.contRoot;
  const pre = PRE[spec.pre_tokenizer?.type] ?? 0;

  const added = addedTokens(spec.added_tokens ?? [], trie);
  const rawPatterns = patternSet(added.filter((t) => !t.normalized), codePoints);
  const normPatterns = patternSet(added.filter((t) => t.normalized), (s) => {
    const cps = codePoints(s);
    if (!normalize) return cps;
    const r = normalize(cps, 0, cps.length);
    return r.cps.slice(0, r.length);
  });

  const trunc = spec.truncation ?? null;
  const maxLength = trunc && Number.isInteger(trunc.max_length) ? trunc.max_length : null;
  const keepLast = trunc?.direction === "Left";

  const unk = (out) => {
    if (unkId < 0) throw new Error(`WordPiece: the unk token ${m.unk_token} is not in the vocabulary`);
    out.push(unkId);
  };

  /** WordPiece on the word cps[a..b), ids appended to OUT. */
  const word = (cps, a, b, out) => {
    if (b - a > maxChars) return unk(out);
    const mark = out.length;
    let start = a;
    while (start < b) {
      if (start === a) trie.word(cps[a]);
      else trie.cont(cps[start]);
      let node = start === a ? 0 : contRoot;
      let end = -1, id = -1;
      for (let i = start; i < b && node >= 0; i++) {
        node = trie.next(node, cps[i]);
        if (node >= 0 && trie.ids[node] >= 0) { end = i + 1; id = trie.ids[node]; }
      }
      if (end < 0) {
        out.length = mark;
        return unk(out);
      }
      out.push(id);
      start = end;
    }
  };

  /** Pre-tokenize the normalized cps[a..b) and run WordPiece on each piece. */
  const words = (cps, a, b, out) => {
    if (pre === 0) {
      if (b > a) word(cps, a, b, out);
      return;
    }
    let w = -1; // start of the current piece
    let kind = -1; // Whitespace: regex class of the current piece
    for (let i = a; i < b; i++) {
      const cp = cps[i];
      const c = cp < 0x10000 ? bmpCls[cp] : cls(cp);
      if (pre === 2) {
        const r = c & REGEX_MASK;
        if (r === REGEX_SPACE) {
          if (w >= 0) word(cps, w, i, out);
          w = -1;
        } else if (w < 0 || r !== kind) {
          if (w >= 0) word(cps, w, i, out);
          w = i;
          kind = r;
        }
        continue;
      }
      if (c & IS_WHITESPACE) {
        if (w >= 0) word(cps, w, i, out);
        w = -1;
      } else if (pre === 1 && c & BERT_PUNCT) {
        if (w >= 0) word(cps, w, i, out);
        word(cps, i, i + 1, out);
        w = -1;
      } else if (w < 0) {
        w = i;
      }
    }
    if (w >= 0) word(cps, w, b, out);
  };

  /** A segment of the raw text (no raw added token in it): normalize, split out normalized tokens, the rest. */
  const segment = (raw, a, b, out) => {
    let cps = raw, from = a, to = b;
    if (normalize) {
      const r = normalize(raw, a, b);
      cps = r.cps; from = 0; to = r.length;
    }
    if (normPatterns.size === 0) return words(cps, from, to, out);
    const view = cps.subarray(from, to);
    splitAdded(view, to - from, normPatterns, cls, out, (a2, b2) => words(view, a2, b2, out));
  };

  /** The ids of cps (no truncation), appended to OUT. */
  const encodeInto = (cps, out) => {
    if (rawPatterns.size === 0) return segment(cps, 0, cps.length, out);
    splitAdded(cps, cps.length, rawPatterns, cls, out, (a, b) => segment(cps, a, b, out));
  };
  /** The [from, to) of N ids that the file's truncation keeps. */
  const kept = (n) => (maxLength === null || n <= maxLength ? [0, n] : keepLast ? [n - maxLength, n] : [0, maxLength]);
  // U+0020 ends every piece whatever its neighbours: it normalizes to itself, every pre-tokenizer here drops it,
  // NFD reordering stops at it (a starter), and no added token (raw or normalized) holds it. Then a text's ids are
  // the concatenation of its space-separated pieces' ids, and a batch can tokenize each distinct piece once.
  const holdsSpace = (list) => [...list.values()].some((ps) => ps.some((p) => p.cps.includes(32)));
  const piecewise = pre !== 0 && !holdsSpace(rawPatterns) && !holdsSpace(normPatterns) && (!normalize || isSpace(table));
  // Right truncation keeps the first maxLength ids: a text's later pieces need not be tokenized at all.
  const stopAt = maxLength !== null && !keepLast ? maxLength : Infinity;
  /** The ids of TEXT, each space-separated piece looked up in (or added to) CACHE, up to stopAt of them. */
  const encodePieces = (text, cache) => {
    let out = OUT, n = 0;
    const len = text.length;
    for (let i = 0; i < len;) {
      let c = text.charCodeAt(i);
      if (c === 32) { i++; continue; }
      const start = i;
      let h = 0x811c9dc5;
      while (c !== 32) {
        h = Math.imul(h ^ c, 16777619);
        if (++i === len) break;
        c = text.charCodeAt(i);
      }
      let slot = cache.find(text, start, i, h);
      if (slot < 0) {
        const ids = [];
        encodeInto(codePoints(text.slice(start, i)), ids);
        slot = cache.add(text, start, i, h, ids);
      }
      const from = cache.idStart[slot], k = cache.idLen[slot], ids = cache.ids;
      if (n + k > out.length) {
        const bigger = new Int32Array(2 * (n + k));
        bigger.set(out.subarray(0, n));
        OUT = out = bigger;
      }
      for (let j = 0; j < k; j++) out[n++] = ids[from + j];
      if (n >= stopAt) break; // truncation keeps the first stopAt ids, and the pieces' ids only append
    }
    return out.slice(...kept(n)); // a copy: OUT is reused
  };

  return {
    /** "exact": this module; the library path says "library". */
    path: "exact",
    maxLength,
    piecewise,
    /** Token ids of one text (add_special_tokens=False, truncation applied). */
    encode(text) {
      checkTexts([text]);
      const out = [];
      encodeInto(codePoints(text), out);
      const [from, to] = kept(out.length);
      return to - from === out.length ? out : out.slice(from, to);
    },
    /**
     * Token ids of each text (Int32Array when `piecewise`). Within the call each distinct space-separated piece
     * is tokenized once; pass CACHE (from newCache()) to share that work across calls (a pool worker does, per batch).
     */
    encodeBatch(texts, cache = new PieceCache()) {
      checkTexts(texts);
      if (!piecewise) return texts.map((t) => this.encode(t));
      return texts.map((t) => encodePieces(t, cache));
    },
    /** A fresh piece cache for encodeBatch. */
    newCache: () => new PieceCache(),
  };
}

let OUT = new Int32Array(1024); // the ids of the text being encoded (single-threaded per realm)

/**
 * The ids of space-separated pieces, keyed by the pieces' UTF-16 code units: an open-addressing table over
 * flat typed arrays, so that a lookup allocates nothing (no substring, no boxed array).
 */
export class PieceCache {
  constructor() {
    this.mask = 63; // small at first (a one-text call), doubled as pieces arrive
    this.slots = new Int32Array(this.mask + 1).fill(-1); // slot -> entry
    this.count = 0;
    this.hash = new Int32Array(32);
    this.charStart = new Int32Array(32);
    this.charLen = new Int32Array(32);
    this.idStart = new Int32Array(32);
    this.idLen = new Int32Array(32);
    this.chars = new Uint16Array(256);
    this.nChars = 0;
    this.ids = new Int32Array(256);
    this.nIds = 0;
  }

  /** The entry of text[start..end) with hash H, or -1. */
  find(text, start, end, h) {
    const { slots, mask, chars } = this, len = end - start;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[s];
      if (e < 0) return -1;
      if (this.hash[e] === h && this.charLen[e] === len) {
        const o = this.charStart[e];
        let k = 0;
        while (k < len && chars[o + k] === text.charCodeAt(start + k)) k++;
        if (k === len) return e;
      }
    }
  }

  /** Add text[start..end) with hash H and its IDS; returns the entry. */
  add(text, start, end, h, ids) {
    const len = end - start;
    if (this.count === this.hash.length) {
      for (const f of ["hash", "charStart", "charLen", "idStart", "idLen"]) this[f] = grown(this[f], 2 * this.count);
    }
    if (this.nChars + len > this.chars.length) this.chars = grown(this.chars, 2 * (this.nChars + len));
    if (this.nIds + ids.length > this.ids.length) this.ids = grown(this.ids, 2 * (this.nIds + ids.length));
    const e = this.count++;
    this.hash[e] = h;
    this.charStart[e] = this.nChars;
    this.charLen[e] = len;
    for (let k = 0; k < len; k++) this.chars[this.nChars++] = text.charCodeAt(start + k);
    this.idStart[e] = this.nIds;
    this.idLen[e] = ids.length;
    for (const id of ids) this.ids[this.nIds++] = id;
    if (2 * this.count > this.mask) this.rehash();
    else this.place(e);
    return e;
  }

  place(e) {
    let s = this.hash[e] & this.mask;
    while (this.slots[s] >= 0) s = (s + 1) & this.mask;
    this.slots[s] = e;
  }

  rehash() {
    this.mask = 2 * this.mask + 1;
    this.slots = new Int32Array(this.mask + 1).fill(-1);
    for (let e = 0; e < this.count; e++) this.place(e);
  }
}

function grown(a, n) {
  const b = new a.constructor(n);
  b.set(a);
  return b;
}

/** True when the table maps U+0020 to itself, a whitespace that no rule reorders around. */
function isSpace(table) {
  return table.rule(32) === 0 && (table.cls(32) & IS_WHITESPACE) !== 0 && (table.cls(32) & REGEX_MASK) === REGEX_SPACE;
}
