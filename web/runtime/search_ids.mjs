// A pasted question's token ids without the tokenizer (docs/search.md, "word ids"): an index whose model has a
// BERT-like tokenizer ships ids/<k>.bin, the site's printable-ASCII pre-tokens with the ids the real tokenizer gives
// them (exporter/search/build.py). For such a tokenizer the ids of a text are the concatenation of its pre-tokens'
// ids, and the pre-tokens of printable ASCII are plain: lowercase, split at whitespace, every ASCII character that is
// not a letter or a digit alone (BERT counts each as punctuation). A question whose pre-tokens are all in the table
// gets its ids from it; a word of letters and digits that the table lacks, from WordPiece over the vocabulary's
// shards (vocab/<k>.bin, exporter/search/vocab.py); any other question (non-ASCII, punctuation the vocabulary
// lacks, an added token's content such as "[SEP]", more ids than the tokenizer's truncation keeps) takes the
// tokenizer, so the ids are always the tokenizer's.
// modelFetch() holds the tokenizer pack back while questions are answered from the table and the row shards;
// startModel() and startRows() load the model (or its rows alone) through it, at low priority while a keyword list
// is pending (search.mjs's lane).
import { decodeWordIds, once, prefixShards, termShard } from "./search_store.mjs";
import { PRINTABLE_ASCII } from "./search_text.mjs";

const PRE_TOKEN = /[a-z0-9]+|[\x21-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]/g;
const WORD = /^[a-z0-9]+$/; // a pre-token WordPiece alone tokenizes (letters and digits)
// a word being typed has its shards fetched from this many characters on (search.mjs: its terms' shards; here: its
// ids shard, once every word it may become lies in PARTIAL_SHARDS shards, then the one it needs)
export const PARTIAL_MIN = 3;
const PARTIAL_SHARDS = 1;

/** The BERT pre-tokens of TEXT when it is printable ASCII (plus tab, newline, carriage return), else null. */
export function asciiPreTokens(text) {
  if (!PRINTABLE_ASCII.test(text)) return null;
  return text.toLowerCase().match(PRE_TOKEN) ?? [];
}

/** index.json's word_ids ({shards, bounds, max_ids, added, vocab?}), read by GET(rel) (bytes). */
export class WordIds {
  constructor(spec, get) {
    const b = spec?.bounds;
    if (!Array.isArray(b) || b.length !== spec.shards - 1 || !b.every((x) => typeof x === "string") || !Array.isArray(spec.added)) {
      throw new Error("corrupt search index: word_ids does not bound its shards");
    }
    this.spec = spec;
    this.get = get;
    this.added = spec.added.map((a) => String(a).toLowerCase()).filter(Boolean);
    this.common = new Map(Object.entries(spec.common ?? {})); // the site's most frequent words: no fetch
    this.shards = new Map(); // k -> Promise<Map word -> ids>
    const p = spec.vocab;
    if (p !== undefined && !(Array.isArray(p?.bounds) && p.bounds.length === p.shards - 1 && typeof p.prefix === "string"
        && p.prefix !== "" && Number.isInteger(p.unk) && Number.isInteger(p.max_chars))) {
      throw new Error("corrupt search index: word_ids.vocab does not bound its shards");
    }
    this.vocab = p ?? null; // the WordPiece vocabulary of [a-z0-9] words, sharded (vocab/, exporter/search/vocab.py)
    this.vocabShards = new Map(); // k -> Promise<Map token -> [id]>
  }

  shard(k) {
    return once(this.shards, k, () => this.get(`ids/${k}.bin`).then(decodeWordIds));
  }

  /** The pre-tokens of TEXT whose ids the table may give, or null when the tokenizer must (see the top). */
  words(text) {
    const words = asciiPreTokens(text);
    if (!words?.length) return null;
    const low = text.toLowerCase();
    if (this.added.some((a) => low.includes(a))) return null; // the tokenizer splits an added token out first
    return words;
  }

  /** Vocabulary shard K (token -> [id]), fetched once. */
  vocabShard(k) {
    return once(this.vocabShards, k, () => this.get(`vocab/${k}.bin`).then(decodeWordIds));
  }

  /** WORD's ids by WordPiece over vocab/ (a word of [a-z0-9] the table lacks), or null (no vocab/, another word:
   * the tokenizer's). As the tokenizer: more than max_chars characters, or a position no token matches, is the unk id
   * alone; else the longest token from the start, then the prefix + the longest from where it ended, and so on. A
   * position's candidates are each looked up in its own shard (the bounds say which): one round trip a piece. */
  async wordPieceIds(word) {
    const p = this.vocab;
    if (!p || !WORD.test(word)) return null;
    if (word.length > p.max_chars) return [p.unk];
    const out = [];
    for (let start = 0; start < word.length;) {
      const pre = start === 0 ? "" : p.prefix;
      const cands = [], shards = new Map();
      for (let e = word.length; e > start; e--) {
        const c = pre + word.slice(start, e), k = termShard(c, p.bounds);
        cands.push([c, k]);
        if (!shards.has(k)) shards.set(k, this.vocabShard(k));
      }
      let id = -1;
      for (const [c, k] of cands) { // longest first
        const got = (await shards.get(k)).get(c);
        if (got) { id = got[0]; start += c.length - pre.length; break; }
      }
      if (id < 0) return [p.unk];
      out.push(id);
    }
    return out;
  }

  /** Start fetching the shards of TEXT's words (a typed question's finished words). */
  prefetch(text) {
    for (const w of this.words(text) ?? []) {
      if (this.common.has(w)) continue;
      this.shard(termShard(w, this.spec.bounds)).then((m) => { if (!m.has(w)) this.wordPieceIds(w).catch(() => {}); }, () => {});
    }
  }

  /** Start fetching the shards that may hold WORD, a word being typed (PARTIAL_MIN characters or more), once they
   * are at most PARTIAL_SHARDS (the shards are ranges in code-point order: every word starting with it lies between
   * its own shard and that of WORD + U+10FFFF), so that a question's last word has its ids before its last key; not
   * while it may become one of the site's most frequent words (index.json has their ids). */
  prefetchPartial(word) {
    const w = asciiPreTokens(word)?.at(-1);
    if (!w || w.length < PARTIAL_MIN || !WORD.test(w) || !word.toLowerCase().endsWith(w)) return;
    const [lo, hi] = prefixShards(w, this.spec.bounds);
    if (hi - lo < PARTIAL_SHARDS && !this.commonPrefix(w)) for (let k = lo; k <= hi; k++) this.shard(k).catch(() => {});
  }

  /** Whether one of the site's most frequent words starts with W. */
  commonPrefix(w) {
    for (const c of this.common.keys()) if (c.startsWith(w)) return true;
    return false;
  }

  /** TEXT's token ids from the table, or null (the tokenizer's then: a word not in it, see words()). */
  async ids(text) {
    const words = this.words(text);
    if (!words) return null;
    const maps = await Promise.all(words.map((w) => (this.common.has(w) ? this.common : this.shard(termShard(w, this.spec.bounds)))));
    const found = await Promise.all(words.map((w, i) => maps[i].get(w) ?? this.wordPieceIds(w)));
    const out = [];
    for (const ids of found) {
      if (!Array.isArray(ids)) return null;
      for (const id of ids) out.push(id);
    }
    const max = this.spec.max_ids;
    return max != null && out.length > max ? null : out; // truncation: the tokenizer's to apply
  }
}

/**
 * FETCHFN for the model's files, each fetched once (the manifest and row shards a table-answered question reads
 * serve the full embedder's load() later), with every other file (the tokenizer pack) held until open() is called
 * (open(true): then at low priority). Returns {fetch, open}.
 */
export function modelFetch(fetchFn) {
  const memo = new Map(); // url -> Promise<{ok, status, bytes}>
  let open, low = false, opened = false;
  const gate = new Promise((resolve) => { open = resolve; });
  const fetch = async (url, init) => {
    const shared = /\/(manifest\.json|rows\/[^/]*\.bin)$/.test(url);
    if (!shared) {
      await gate;
      const i = low ? { ...init, priority: "low" } : init;
      return i ? fetchFn(url, i) : fetchFn(url);
    }
    if (!memo.has(url)) {
      const got = (async () => {
        const res = init ? await fetchFn(url, init) : await fetchFn(url);
        return { ok: res.ok, status: res.status, bytes: res.ok ? new Uint8Array(await res.arrayBuffer()) : null };
      })();
      memo.set(url, got);
      got.then((r) => { if (!r.ok && memo.get(url) === got) memo.delete(url); },
        () => { if (memo.get(url) === got) memo.delete(url); });
    }
    const r = await memo.get(url);
    return { ok: r.ok, status: r.status, arrayBuffer: async () => (r.bytes ? r.bytes.slice().buffer : new ArrayBuffer(0)) };
  };
  // open(true): the held fetches go at low priority (the tokenizer pack in the background, after a first list)
  return { fetch, open: (background = false) => { if (!opened) { opened = true; low = background; open(); } } };
}

export const LOW = { priority: "low" }; // a fetch no keyword list waits for (vectors, term bags; the model's rows while one is pending)
const ROWS_AT_ONCE = 32; // the model's row shard fetches at once (load()'s default 8 sends a long question's in waves over HTTP/2)

/** FETCHFN, but at low priority while LANE.keyword > 0 (a keyword list is pending): on HTTP/1.1's 6 connections its
 * term and text shards then go before the hybrid path's rows (a browser queues by priority). */
export function lowWhileKeyword(fetchFn, lane) {
  return (url, init) => (lane.keyword > 0 ? fetchFn(url, { ...init, ...LOW }) : init ? fetchFn(url, init) : fetchFn(url));
}

/** The embedder of the export at ROOT + REL, loaded through edgembed.mjs's load() (the runtime as one file); its
 * fetches yield to a pending keyword list's (LANE). */
export function startModel(root, rel, fetchFn, lane) {
  const f = lowWhileKeyword(fetchFn ?? globalThis.fetch.bind(globalThis), lane);
  const got = import("./edgembed.bundle.mjs").then(({ load }) => load(new URL(rel, root).href, { backend: "flat", fetch: f, rowsConcurrency: ROWS_AT_ONCE }));
  got.catch(() => {}); // reported by the first dense query
  return got;
}

/** Ask for the model's manifest and rows index (the names every export gives them) through MF (modelFetch, which
 * hands them to load() and loadRows() when they ask): now, not once the runtime's one file (~45 kB) has been
 * imported, so that a question pasted as the page loads finds the rows index here. */
export function earlyModelFiles(mf, modelRoot) {
  for (const rel of ["manifest.json", "rows/index.bin"]) mf.fetch(new URL(rel, modelRoot).href).catch(() => {});
}

/** The model's rows at ROOT + REL without its tokenizer (edgembed.mjs's loadRows), its fetches yielding to a pending
 * keyword list's (LANE). */
export function startRows(root, rel, fetchFn, lane) {
  return import("./edgembed.bundle.mjs").then(({ loadRows }) => loadRows(new URL(rel, root).href,
    { fetch: lowWhileKeyword(fetchFn, lane), rowsConcurrency: ROWS_AT_ONCE }));
}
