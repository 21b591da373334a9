// Site search over an index written by `edgembed index` (docs/search.md), fetched by the piece:
//
//   import { loadSearch } from "/_edgembed/js/search.mjs";
//   const s = await loadSearch("/_edgembed/");
//   const hits = await s.search("how do I ...", { limit: 10 });   // [{url, title, heading, excerpt, score, sub_results}]
//
// A query fetches its terms' shards (keyword results need nothing else), then, for hybrid and semantic modes, the
// sign codes of all chunks (16 bytes a chunk for hybrid, 32 for semantic at 256 dims; one file per 4,096 chunks,
// fetched once), the int8 vectors of the chunks it re-scores (vecs/<k>.bin, by chunk) and the text shards of the chunks it shows (~2 kB each,
// text/<k>.json: the chunk's own text, not its page's). The model (the export in model/) loads in the background through edgembed.mjs's load().
// The ranking is exporter/search/query.py's, step for step, with the same float64 sums in the same order.
import { VERSION, cmpCodePoints, decodeTerms, decodeTypo, fnv1a, once, prefixShards, termShard } from "./search_store.mjs";
import { LOW, PARTIAL_MIN, WordIds, earlyModelFiles, modelFetch, startModel, startRows } from "./search_ids.mjs";
import { createAnalyzer, earlyAnalyzer } from "./search_text.mjs";

export { VERSION, cmpCodePoints, decodeTerms, decodeTypo, termShard } from "./search_store.mjs";

export const MODES = ["hybrid", "keyword", "semantic"];
const EXCERPT_WORDS = 30;
const SUB_RESULTS = 3;
const TYPO_MIN = 4; // shorter query terms are never corrected
const TYPO_TWO = 8; // from this length on, edit distance 2
const CONNECTORS = /[_.:-]/u;
const PREFIX_SHARDS = 4; // ... and every shard of the terms it may become, once they fit in this many shards
const SPECULATE = 4; // feedback's inputs are fetched with the first pass's vectors for its best feedback_docs + this many chunks by estimate
const ONE_WAVE = 6; // ... over HTTP/1.1 too when the vectors still to fetch are at most this many (a browser's connections to a host)
const TERMS_MORE = 2; // ... and the shards of feedback_terms + this many terms of their bags (by weight)
const GUESS_MORE = 2; // over HTTP/2 or 3, the second pass prefetches the text of this many pages more than it shows

/** [number of TERMS, Map term -> count]: a chunk's term bag (build.py's term_bag of its non-weak terms). */
function termCounts(terms) {
  const counts = new Map();
  for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [terms.length, counts];
}

/** TEXT without a last word still being typed (all of it when it ends in a space or punctuation). */
function finishedPart(text) {
  return /[\s\p{P}]$/u.test(text) ? text : text.replace(/[^\s\p{P}]+$/u, "");
}

/** Optimal string alignment distance of A and B (arrays of code points), or limit + 1 when it is above LIMIT. */
export function osa(a, b, limit) {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev2 = [], prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur.push(v);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length] <= limit ? prev[b.length] : limit + 1;
}

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
const escapeHtml = (s) => s.replace(/[&<>"']/g, (c) => ESC[c]);

/** [query terms, start] of the first window of SIZE words (or all of them) in [LO, HI) with the most terms. */
function bestWindow(marks, lo, hi, size) {
  const k = Math.min(size, hi - lo);
  let best = -1, start = lo, run = 0;
  for (let i = lo; i < hi; i++) {
    run += marks[i] ? 1 : 0;
    if (i - lo >= size) run -= marks[i - size] ? 1 : 0;
    if (i - lo >= k - 1 && run > best) { best = run; start = i - k + 1; }
  }
  return [best, start];
}

/** The window of SIZE words with the most query terms (the first such), HTML-escaped, matches in <mark>. */
export function excerpt(text, qterms, analyzer, size = EXCERPT_WORDS) {
  return freshExcerpt(text, qterms, analyzer, [], size)[0] ?? "";
}

/** [excerpt, its plain text] of the best window of TEXT whose words are not within an excerpt of SHOWN (plain
 * texts): the best of TEXT, else the best of what is left around the windows that repeat one (most query terms, then
 * most words: shorter where little is left). [null, index in SHOWN of what the best window repeats] when every part
 * of TEXT repeats one. */
export function freshExcerpt(text, qterms, analyzer, shown, size = EXCERPT_WORDS) {
  const words = text ? text.split(" ") : [];
  const marks = words.map((w) => analyzer.terms(w).some((t) => qterms.has(t)));
  const spans = [[0, words.length]];
  let first = null;
  while (spans.length) {
    let best = -1, most = 0, start = 0, span = 0;
    spans.forEach(([lo, hi], j) => {
      const [run, s] = bestWindow(marks, lo, hi, size), k = Math.min(size, hi - lo);
      if (run > best || (run === best && k > most)) { best = run; most = k; start = s; span = j; } // then the longest
    });
    const [lo, hi] = spans[span], end = start + Math.min(size, hi - lo);
    const key = words.slice(start, end).join(" ");
    const dup = key ? shown.findIndex((s) => ` ${s} `.includes(` ${key} `)) : -1;
    if (dup < 0) {
      const out = [];
      for (let i = start; i < end; i++) out.push(marks[i] ? `<mark>${escapeHtml(words[i])}</mark>` : escapeHtml(words[i]));
      return [(start > 0 ? "… " : "") + out.join(" ") + (end < words.length ? " …" : ""), key];
    }
    first ??= dup;
    spans.splice(span, 1, ...[[lo, start], [end, hi]].filter(([x, y]) => y > x));
  }
  return [null, first];
}

/**
 * Terms of the feedback chunks (each a list of terms) by weight, most first, then by term: the mean over the chunks
 * of the term's share of the chunk's terms (query.py's feedback_weights, summed in the same order).
 */
export function feedbackWeights(lists) {
  return bagWeights(lists.map(termCounts));
}

/** feedbackWeights of the chunks' term bags ([number of terms, Map term -> count] each): the same sums (a term
 * gets one addition a chunk, chunk by chunk), so the same weights whichever order a bag lists its terms in. */
function bagWeights(bags) {
  const wt = new Map(), n = bags.length;
  for (const [len, counts] of bags) {
    if (!len) continue;
    for (const [t, f] of counts) wt.set(t, (wt.get(t) ?? 0) + f / len / n);
  }
  return [...wt].sort((a, b) => b[1] - a[1] || cmpCodePoints(a[0], b[0]));
}

/** Order of chunk ids by score descending, ties by id. */
function byScore(ids, score) {
  return ids.sort((a, b) => score[b] - score[a] || a - b);
}

/** The K best chunk ids by SCORE (descending, ties by id), without sorting them all. */
function topK(score, k) {
  const n = score.length;
  if (k >= n) return byScore(Array.from({ length: n }, (_, i) => i), score);
  const heap = []; // the k best so far; heap[0] is the worst of them
  const worse = (a, b) => score[a] < score[b] || (score[a] === score[b] && a > b);
  const down = (i) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let c = 0; c < n; c++) {
    if (heap.length < k) {
      heap.push(c);
      for (let i = heap.length - 1; i > 0;) {
        const p = (i - 1) >> 1;
        if (!worse(heap[i], heap[p])) break;
        [heap[i], heap[p]] = [heap[p], heap[i]];
        i = p;
      }
    } else if (worse(heap[0], c)) {
      heap[0] = c;
      down(0);
    }
  }
  return byScore(heap, score);
}

const DEFAULT_MODEL = "model/"; // where `edgembed index` writes the model (index.json's "model")

export class SiteSearch {
  constructor(root, meta, analyzer, opts) {
    this.root = root;
    this.meta = meta;
    // an analyzer from createAnalyzer() is used as earlyAnalyzer()'s once its table is here (loadSearch's covers
    // printable ASCII before that)
    this.analyzer = typeof analyzer.covers === "function" ? analyzer : earlyAnalyzer(Promise.resolve(analyzer), meta.analyzer);
    this.opts = opts;
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.first = new Int32Array(meta.page_chunks.length + 1);
    this.pageOf = new Int32Array(meta.chunks);
    for (let p = 0; p < meta.page_chunks.length; p++) {
      this.first[p + 1] = this.first[p] + meta.page_chunks[p];
      this.pageOf.fill(p, this.first[p], this.first[p + 1]);
    }
    this.terms = new Map(); // shard -> Promise<Map>
    this.termsHere = new Map(); // shard -> Map, the shards that have arrived
    this.typo = new Map(); // shard -> Promise<Array>
    this.corrections = new Map(); // the last query's typo corrections, term -> term
    this.textFirst = new Int32Array((meta.text_chunks?.length ?? 0) + 1);
    (meta.text_chunks ?? []).forEach((n, k) => { this.textFirst[k + 1] = this.textFirst[k] + n; });
    if (this.textFirst[this.textFirst.length - 1] !== meta.chunks) {
      throw new Error(`corrupt search index: its text shards hold ${this.textFirst[this.textFirst.length - 1]} chunks of ${meta.chunks}`);
    }
    this.texts = new Map(); // text shard -> Promise<object>
    this.bags = new Map(); // term bag shard -> Promise<array>
    this.vecs = new Map(); // vecs shard -> Promise<Int8Array>
    this.planes = new Map(); // "a" | "b" -> Promise<Uint8Array>
    this.model = null; // Promise<Embedder>
    this.lane = opts.lane ?? { keyword: 0 }; // keyword lists pending: the model's fetches go at low priority meanwhile
    this.speculate = opts.speculate ?? null; // -1: no speculative feedback inputs; null: SPECULATE where multiplexed
    // the model's files go through modelFetch: with a word ids table (search_ids.mjs) the tokenizer pack waits for a
    // question neither the table nor vocab/ can answer, or loadModel() (a table without vocab/: also for the first
    // dense list shown, then at low priority)
    this.modelFetch = opts.modelFetch ?? modelFetch(this.fetchFn);
    // the ids shards are the hybrid path's: at low priority while a keyword list is pending, as the model's rows
    this.wordIds = meta.word_ids ? new WordIds(meta.word_ids, (rel) => this.get(rel, "bytes", this.lane.keyword > 0)) : null;
    if (!this.wordIds) this.modelFetch.open();
    this.rowsModel = null; // Promise of loadRows(): the model's rows without its tokenizer
    this.modelReady = false;
    // stats: requests made; speculated: feedback inputs (term bags or text) fetched with the first pass's vectors, and of the
    // chunks feedback then read, how many were among them (used) and how many (fed)
    this.stats = { requests: 0, speculated: 0, used: 0, fed: 0 };
  }

  /** REL's body (KIND "json" or bytes); LOW: a low-priority fetch (nothing a keyword list waits for). */
  async get(rel, kind, low = false) {
    this.stats.requests++;
    const url = new URL(rel, this.root);
    const res = await (low ? this.fetchFn(url.href, LOW) : this.fetchFn(url.href));
    if (!res.ok) throw new Error(`cannot fetch ${url.href}: HTTP ${res.status}`);
    return kind === "json" ? res.json() : res.arrayBuffer();
  }

  /** The embedder of the index's model (model/ through load()), started once; the runtime comes as one file. */
  loadModel() {
    this.modelFetch.open(); // asked for: its tokenizer pack too
    return this.warmModel();
  }

  /** loadModel() without opening the tokenizer pack's fetch (a word ids table holds it until a question needs it):
   * the manifest and rows/index.bin start now, unless STARTED (a Promise<Embedder> of this index's model, loading
   * since loadSearch guessed it) is given to be used instead. */
  warmModel(started = null) {
    if (!this.model) {
      if (!started) earlyModelFiles(this.modelFetch, new URL(this.meta.model, this.root)); // not after the runtime's import
      this.model = started ?? startModel(this.root, this.meta.model, this.modelFetch.fetch, this.lane);
      this.model.then(() => { this.modelReady = true; }, () => {});
    }
    return this.model;
  }

  /** [QUERY's vector]: while the model is not loaded, from its ids in the word ids table and the row shards
   * (search_ids.mjs; bit-identical to embed()), else, and for a question the table cannot answer, the model's
   * embed(), whose tokenizer pack is fetched from then on. */
  async embedQuery(query) {
    if (this.wordIds && !this.modelReady) {
      const ids = await this.wordIds.ids(query).catch(() => null);
      const rows = ids ? await this.rows().catch(() => null) : null;
      if (rows) return rows.embedIds([ids]);
    }
    return (await this.loadModel()).embed([query]);
  }

  /** The model's rows without its tokenizer (edgembed.mjs's loadRows), started once. */
  rows() {
    if (!this.rowsModel) {
      const got = startRows(this.root, this.meta.model, this.modelFetch.fetch, this.lane);
      this.rowsModel = got;
      got.catch(() => { if (this.rowsModel === got) this.rowsModel = null; });
    }
    return this.rowsModel;
  }

  /** Start fetching what any query of MODE needs whatever its text: the model and the sign codes (hybrid: plane a,
   * semantic: both). */
  prefetch(mode = "hybrid") {
    if (mode === "keyword") return;
    this.warmModel().catch(() => {});
    this.codes("a").catch(() => {});
    if (mode === "semantic") this.codes("b").catch(() => {});
  }

  /** Start fetching the term shards of TEXT's words, the finished ones and the one being typed, so that a query
   * typed word by word finds its shards there when the box's debounce ends. The word being typed, from PARTIAL_MIN
   * characters on: the shard of its terms as typed so far, and every shard of the terms that start with it (the word
   * as typed, and its identifier's whole term) once they fit in PREFIX_SHARDS shards (terms shards are ranges of
   * terms in code-point order): its term's shard is then here before its last key (a stem is a prefix of the word
   * but for its last letters). Stop and weak words have no shard fetched for them here (they rarely decide a query);
   * nothing else is fetched. */
  prefetchTerms(text) {
    if (!this.analyzer.covers(text)) return; // the character table is on its way (search_text.mjs earlyAnalyzer)
    const done = finishedPart(text);
    const want = new Set(this.analyzer.terms(done));
    const prefixes = new Set();
    if (done !== text) {
      const before = new Set(want);
      for (const t of this.analyzer.terms(text)) {
        if ([...t].length < PARTIAL_MIN) continue;
        want.add(t);
        if (!before.has(t)) prefixes.add(t);
      }
      for (const w of this.analyzer.words(text.slice(done.length))) if ([...w].length >= PARTIAL_MIN) prefixes.add(w);
    }
    for (const t of want) if (!this.analyzer.weak.has(t)) this.postings(t).catch(() => {});
    const bounds = this.meta.term_bounds;
    for (const p of prefixes) {
      const [lo, hi] = prefixShards(p, bounds);
      if (hi - lo < PREFIX_SHARDS) for (let s = lo; s <= hi; s++) this.termsShard(s).catch(() => {});
    }
  }

  /** Whether a keyword search of TEXT needs no term fetch: every term's shard has arrived, every term that a
   * search would try to correct as a typo is in the index, and so is every term of a word still being typed (TEXT
   * not ending in a space or punctuation) but weak ones: a word being typed is usually not a term until its last
   * key, and its shard is often here before (terms shards are ranges), so a box that searches when this is true
   * searches at the keys that end a word, not at every key. */
  termsReady(text) {
    if (!this.analyzer.covers(text)) return false;
    const terms = this.analyzer.terms(text);
    if (!terms.length) return false;
    const done = finishedPart(text);
    const finished = done === text ? null : new Set(this.analyzer.terms(done));
    for (const t of terms) {
      const m = this.termsHere.get(termShard(t, this.meta.term_bounds));
      if (!m) return false;
      if (m.has(t) || this.analyzer.weak.has(t)) continue;
      if (finished && !finished.has(t)) return false; // a term of the word being typed that the index lacks
      if (!([...t].length < TYPO_MIN || CONNECTORS.test(t))) return false;
    }
    return true;
  }

  /** While a query is typed: the keyword ranking of its finished words (once they have two strong terms; their term
   * shards as they arrive) and a fetch of the text shards of its first LIMIT pages' best chunks, which are most often
   * among the finished query's, so that its keyword results need no text round trip after the last key. With
   * MODEL (a dense mode), also the model's rows of the finished words and, from two strong terms on, their hybrid
   * ranking's candidates' vectors (and its first pages' text), nothing kept but the fetched pieces. */
  async prefetchResults(text, limit = 8, model = false) {
    const done = finishedPart(text);
    if (model && !this.modelReady) this.wordIds?.prefetchPartial(text.slice(done.length)); // the word being typed: its ids
    if (done.trim() === this.provisional || !this.analyzer.covers(done)) return;
    this.provisional = done.trim();
    const strong = new Set(this.analyzer.terms(done).filter((t) => !this.analyzer.weak.has(t)));
    if (model) this.wordIds?.prefetch(done);
    if (model && strong.size === 1) this.embedQuery(done).catch(() => {});
    if (strong.size < 2) return;
    // hybrid: the finished words' candidates' vectors (most stay candidates when a word is added) and their rows
    if (model) this.rankedChunks(done, "hybrid", limit, false).catch(() => {});
    const [chunks] = await this.rankedChunks(done, "keyword", limit, false);
    if (this.provisional !== done.trim()) return; // the query moved on: its own ranking fetches
    this.prefetchText(chunks.map(([c]) => c), limit);
  }

  /** Terms shard S (term -> postings), fetched once. */
  termsShard(s) {
    return once(this.terms, s, () => {
      const got = this.get(`terms/${s}.bin`, "bytes").then(decodeTerms);
      got.then((m) => this.termsHere.set(s, m), () => {});
      return got;
    });
  }

  postings(term) {
    return this.termsShard(termShard(term, this.meta.term_bounds)).then((m) => m.get(term) ?? null);
  }

  typoEntries(key) {
    const s = fnv1a(key) % this.meta.typo_shards;
    if (!this.typo.has(s)) this.typo.set(s, this.get(`typo/${s}.bin`, "bytes").then(decodeTypo));
    return this.typo.get(s);
  }

  /** The index term a misspelt TERM most likely means (query.py's correct()), or null. */
  async correct(term) {
    const cps = [...term], n = cps.length, first = cps[0];
    const limit = n >= TYPO_TWO ? 2 : 1;
    const lengths = [];
    for (let len = Math.max(3, n - limit); len <= n + limit; len++) lengths.push(len);
    const shards = await Promise.all(lengths.map((len) => this.typoEntries(first + String(len))));
    let best = null, bd = limit + 1, bsame = 0, bdf = 0; // least distance, then longest common prefix, then most chunks
    lengths.forEach((len, k) => {
      for (const [t, df] of shards[k]) {
        const tc = [...t];
        if (tc.length !== len || tc[0] !== first) continue;
        const d = osa(cps, tc, limit);
        if (d > limit) continue;
        let same = 1;
        while (same < Math.min(n, len) && tc[same] === cps[same]) same++;
        if (d < bd || (d === bd && (same > bsame || (same === bsame && df > bdf)))) { best = t; bd = d; bsame = same; bdf = df; }
      }
    });
    return best;
  }

  /** The text shard holding chunk c: its index k (shard k starts at chunk textFirst[k]). */
  textShardOf(c) {
    let lo = 0, hi = this.textFirst.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.textFirst[mid] <= c) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Text shard k, fetched once (LOW: at low priority, a speculative fetch). */
  textShard(k, low = false) {
    return once(this.texts, k, () => this.get(`text/${k}.json`, "json", low));
  }

  /** Chunk c's non-weak terms of its heading and text as [their number, Map term -> count]: from its text shard
   * when TEXT (its text is likely shown), when that shard is here or on its way, or when the index has no term bags;
   * else from bags/<k>.json (the same counts, built with the text: about half its bytes). LOW: a text shard it
   * fetches goes at low priority (a speculative fetch, behind a keyword list's text). */
  async termBag(c, text = false, low = false) {
    const k = this.textShardOf(c);
    if (text || !this.meta.term_bags || this.texts.has(k)) {
      const [, , ch] = await this.chunk(c, low);
      const a = await this.analyzer.ready; // a page's text: the character table's analyzer
      return termCounts(a.terms(ch.h + " " + ch.t).filter((t) => !a.weak.has(t)));
    }
    const bag = (await once(this.bags, k, () => this.get(`bags/${k}.json`, "json", true)))?.[c - this.textFirst[k]]; // null for a chunk whose bag is never read
    if (!Array.isArray(bag) || typeof bag[1] !== "object") throw new Error(`corrupt search index: bags/${k}.json lacks chunk ${c}`);
    return [Number(bag[0]), new Map(Object.entries(bag[1]))];
  }

  /** Chunk c's page url and title and the chunk ({h, a, t, w?}), from its text shard: [url, title, chunk]. */
  async chunk(c, low = false) {
    const k = this.textShardOf(c);
    const shard = await this.textShard(k, low);
    const page = shard?.pages?.[String(this.pageOf[c])], ch = shard?.chunks?.[c - this.textFirst[k]];
    if (!Array.isArray(page) || !ch) throw new Error(`corrupt search index: text/${k}.json lacks chunk ${c}`);
    return [page[0], page[1], ch];
  }

  /** The int8 vectors of vecs shard k's chunks (k x vec_shard onward), one after the other. */
  vectors(k) {
    return once(this.vecs, k, () => this.get(`vecs/${k}.bin`, "bytes", true).then((b) => new Int8Array(b)));
  }

  /** Sign codes of every chunk: plane "a" (the first code_dims_a dims) or "b" (the others), fetched once. */
  codes(plane) {
    if (this.planes.has(plane)) return this.planes.get(plane);
    const nb = plane === "a" ? this.meta.code_bytes : this.meta.code_bytes_b;
    const suffix = plane === "a" ? ".bin" : ".b.bin";
    const got = nb === 0 ? Promise.resolve(new Uint8Array(0))
      : Promise.all(Array.from({ length: this.meta.code_shards }, (_, k) => this.get(`codes/${k}${suffix}`, "bytes"))).then((parts) => {
        const n = parts.reduce((a, p) => a + p.byteLength, 0);
        if (n !== this.meta.chunks * nb) throw new Error(`corrupt search index: ${n} code bytes for ${this.meta.chunks} chunks`);
        const all = new Uint8Array(n);
        let at = 0;
        for (const p of parts) { all.set(new Uint8Array(p), at); at += p.byteLength; }
        return all;
      });
    this.planes.set(plane, got);
    got.catch(() => { if (this.planes.get(plane) === got) this.planes.delete(plane); }); // a later query tries again
    return got;
  }

  /** The query's terms and their counts, in order of first appearance, misspelt ones replaced by their corrections
   * (this.corrections, unless RECORD is false: a prefetch's ranking). */
  async queryTerms(query, record = true) {
    if (!this.analyzer.covers(query)) await this.analyzer.ready; // a question not in printable ASCII waits for the table
    const counts = new Map();
    for (const t of this.analyzer.terms(query)) counts.set(t, (counts.get(t) ?? 0) + 1);
    const weak = this.analyzer.weak;
    const fixes = await Promise.all([...counts.keys()].map(async (t) => {
      if ([...t].length < TYPO_MIN || weak.has(t) || CONNECTORS.test(t) || await this.postings(t)) return null;
      return this.correct(t);
    }));
    const corrections = new Map();
    if (record) this.corrections = corrections;
    const out = new Map();
    let k = 0;
    for (let [t, m] of counts) {
      const fix = fixes[k++];
      if (fix !== null) {
        corrections.set(t, fix);
        t = fix;
      }
      out.set(t, (out.get(t) ?? 0) + m);
    }
    return out;
  }

  async keywordScores(qterms) {
    const lex = new Float64Array(this.meta.chunks);
    const strong = new Uint8Array(this.meta.chunks);
    const weak = this.analyzer.weak;
    const iw = Number(this.meta.fusion.identifier_weight ?? 1);
    const lists = await Promise.all([...qterms.keys()].map((t) => this.postings(t)));
    let k = 0, anyStrong = false;
    for (const [t, m] of qterms) {
      const p = lists[k++];
      const isWeak = weak.has(t);
      if (!isWeak) anyStrong = true;
      if (!p) continue;
      const mw = CONNECTORS.test(t) ? m * iw : m; // an identifier's whole term: its parts already score
      for (let j = 0; j < p.ids.length; j++) {
        lex[p.ids[j]] += mw * p.sc[j];
        if (!isWeak) strong[p.ids[j]] = 1;
      }
    }
    if (anyStrong) for (let c = 0; c < lex.length; c++) if (!strong[c]) lex[c] = 0; // weak words never make a result alone
    return lex;
  }

  /** q . sign(v) / (|q| sqrt(d)) over the dims of PLANES ("a", or "ab": all), for every chunk. */
  codeScores(q, planes, codes) {
    const da = this.meta.code_dims_a, n = this.meta.chunks;
    const d = planes === "a" ? da : this.meta.dims;
    let qq = 0;
    for (let j = 0; j < d; j++) qq += q[j] * q[j];
    const norm = Math.sqrt(qq);
    const acc = new Float64Array(n);
    if (norm === 0) return acc;
    const table = new Float64Array(256);
    for (const [plane, first] of [["a", 0], ["b", da]]) {
      if (!planes.includes(plane)) continue;
      const nb = plane === "a" ? this.meta.code_bytes : this.meta.code_bytes_b, bytes = codes[plane];
      for (let k = 0; k < nb; k++) {
        table.fill(0);
        for (let i = 0; i < 8; i++) {
          const j = first + 8 * k + i;
          if (j >= d) break;
          const x = q[j];
          for (let b = 0; b < 256; b++) table[b] = table[b] + ((b >> i) & 1 ? 1 : -1) * x;
        }
        for (let c = 0, o = k; c < n; c++, o += nb) acc[c] += table[bytes[o]];
      }
    }
    const div = norm * Math.sqrt(d);
    for (let c = 0; c < n; c++) acc[c] /= div;
    return acc;
  }

  async exactCosine(q, c) {
    const d = this.meta.dims, g = this.meta.vec_shard, k = Math.floor(c / g), at = (c % g) * d;
    const v = (await this.vectors(k)).subarray(at, at + d);
    if (v.length !== d) throw new Error(`corrupt search index: vecs/${k}.bin lacks chunk ${c}`);
    let dot = 0, qq = 0, vv = 0;
    for (let j = 0; j < v.length; j++) {
      dot += q[j] * v[j];
      qq += q[j] * q[j];
      vv += v[j] * v[j];
    }
    return qq > 0 && vv > 0 ? dot / Math.sqrt(qq * vv) : 0;
  }

  /** [[chunk, score], ...] best first, and the query's terms. */
  async rankedChunks(query, mode, limit, record = true) {
    if (!MODES.includes(mode)) throw new Error(`unknown mode '${mode}': choose one of ${MODES.join(", ")}`);
    // a dense mode embeds the query (the model's rows for its words) while its terms' shards arrive, not after them
    const embedded = mode !== "keyword" && query.trim() ? this.embedQuery(query) : null;
    embedded?.catch(() => {}); // awaited below
    const qterms = await this.queryTerms(query, record);
    if (!query.trim()) return [[], qterms];
    if (mode === "keyword") {
      const lex = await this.keywordScores(qterms);
      const hit = [];
      for (let c = 0; c < lex.length; c++) if (lex[c] > 0) hit.push(c);
      return [byScore(hit, lex).map((c) => [c, lex[c]]), qterms];
    }
    const planes = mode === "hybrid" ? "a" : "ab";
    const extra = mode === "semantic" ? Number(this.meta.fusion.rerank_semantic_keyword ?? 0) : 0;
    const lexP = mode === "hybrid" || extra > 0 ? this.keywordScores(qterms) : null;
    const [[q32], a, b, lex] = await Promise.all([embedded, this.codes("a"), planes === "ab" ? this.codes("b") : null, lexP]);
    const q = Float64Array.from(q32);
    const approx = this.codeScores(q, planes, { a, b });
    const w = Number(this.meta.fusion.weight);
    let base = new Float64Array(approx.length);
    const codes = mode === "hybrid" ? Float64Array.from(approx) : null; // the sign-code scores, for a second pass
    let depth, top = 0;
    if (mode === "hybrid") {
      for (let c = 0; c < lex.length; c++) if (lex[c] > top) top = lex[c];
      if (top > 0) for (let c = 0; c < lex.length; c++) base[c] = lex[c] / top;
      for (let c = 0; c < approx.length; c++) approx[c] = base[c] + w * approx[c];
      depth = Math.max(this.meta.fusion.rerank, limit);
    } else {
      depth = Math.max(this.meta.fusion.rerank_semantic, limit);
    }
    const cand = topK(approx, depth);
    if (extra > 0) {
      // semantic: the best keyword matches join the candidates (recall); the score stays the cosine alone
      const inCand = new Set(cand), hit = [];
      for (let c = 0; c < lex.length; c++) if (lex[c] > 0) hit.push(c);
      for (const c of byScore(hit, lex).slice(0, extra)) if (!inCand.has(c)) cand.push(c);
    }
    // the chunks shown are most likely the best candidates of the first LIMIT pages (a page shows its best chunk):
    // fetch their text while the vectors arrive, unless feedback will rank again (its list is not this one): then
    // fetch feedback's inputs instead, those of the chunks likely to be the first pass's best (one round trip less)
    const fed = mode === "hybrid" && top > 0 && this.feedbackGate(query, qterms);
    const toFetch = this.vecsToFetch(cand);
    const mult = mode === "hybrid" ? w : 1.0;
    const cos = new Map(); // the first pass's exact cosines, for the second pass's text prefetch
    const exactP = Promise.all(cand.map(async (c) => { // the vectors are asked for first (HTTP/1.1 queues in order)
      const x = await this.exactCosine(q, c);
      cos.set(c, x);
      return [c, base[c] + mult * x];
    }));
    exactP.catch(() => {}); // awaited below
    // (a ranking the typing prefetches speculates too: measured, without it a typed question's final list came later
    // on furo-pytest, 752 -> 834 ms, for ~10 kB less on cisi and cranfield)
    const spec = fed ? this.speculateFeedback(cand, toFetch) : null;
    if (!fed) this.prefetchText(cand, limit);
    let exact = await exactP;
    exact.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    if (mode === "hybrid" && top > 0) {
      const again = await this.feedback(lex, top, exact, qterms, query, spec);
      if (again !== null) { // the hybrid pass again with the expanded keyword scores
        base = again;
        for (let c = 0; c < codes.length; c++) codes[c] = base[c] + w * codes[c];
        const cand2 = topK(codes, depth);
        // the list shown is most likely the best pages by what is known now (the exact score of the first pass's
        // candidates, the sign-code estimate of the new ones): their text starts while the new vectors arrive (and
        // GUESS_MORE pages' more where requests are multiplexed: a page the estimate ranked just below would cost a
        // round trip after them)
        const guess = cand2.map((c) => [c, cos.has(c) ? base[c] + w * cos.get(c) : codes[c]]);
        guess.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
        this.prefetchText(guess.map(([c]) => c), limit + (this.multiplexed() ? GUESS_MORE : 0));
        exact = await Promise.all(cand2.map(async (c) => [c, base[c] + w * (await this.exactCosine(q, c))]));
        exact.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      }
    }
    return [exact, qterms];
  }

  /** Fetch, without waiting, the text shards of the first candidate (of CAND, best first) of each of the first LIMIT
   * pages: most likely the chunks shown (a page shows its best chunk). */
  prefetchText(cand, limit) {
    const pages = new Set();
    for (const c of cand) {
      if (pages.size >= limit) break;
      if (pages.has(this.pageOf[c])) continue;
      pages.add(this.pageOf[c]);
      this.textShard(this.textShardOf(c)).catch(() => {});
    }
  }

  /** Start fetching feedback's inputs (term bags, or text where feedback() will read it) of the best feedback_docs +
   * this.speculate chunks of CAND (the first pass's candidates, best first by the sign-code estimate): most often a
   * superset of the first pass's best, so that feedback() finds them here when the vectors are. The chunks, a Set
   * (null when off). The list does not depend on it: a bag and the text give the same term counts (termBag). */
  speculateFeedback(cand, toFetch = Infinity) {
    const extra = this.speculate ?? (this.multiplexed() || toFetch <= ONE_WAVE ? SPECULATE : -1);
    if (extra < 0) return null;
    const k = Number(this.meta.fusion.feedback_docs ?? 0), spec = new Set(cand.slice(0, k + extra));
    const pages = new Set(), outline = this.meta.outline_chunks ?? Infinity, bags = [];
    for (const c of spec) { // feedback()'s choice of text or bag, in the estimate's order
      const p = this.pageOf[c], shown = !pages.has(p) || this.first[p + 1] - this.first[p] > outline;
      pages.add(p);
      const bag = this.termBag(c, shown, true);
      bag.catch(() => {});
      if (bags.length < k) bags.push(bag);
    }
    // and the shards of the terms feedback would choose from the estimate's best k, and a few more: most often they
    // hold the terms it chooses (the vectors are still arriving when the bags are here)
    const m = Number(this.meta.fusion.feedback_terms ?? 0) + TERMS_MORE;
    Promise.all(bags).then((got) => { for (const [t] of bagWeights(got).slice(0, m)) this.postings(t).catch(() => {}); }, () => {});
    this.stats.speculated += spec.size;
    return spec;
  }

  /** How many vecs shards the chunks CAND need that are neither here nor on their way. */
  vecsToFetch(cand) {
    const g = this.meta.vec_shard;
    return new Set(cand.map((c) => Math.floor(c / g)).filter((k) => !this.vecs.has(k))).size;
  }

  /** Whether the index comes over a multiplexed protocol (HTTP/2 or 3: index.json's resource timing, where the page
   * has one): there speculative fetches go out with the others at no cost in round trips; over HTTP/1.1's six
   * connections they delay a fresh question's 10-20 vectors by as much as they save (measured: docs/search.md), so
   * there they go only with vectors that fit one wave (ONE_WAVE: a typed question's last words, most often). */
  multiplexed() {
    if (this.mux === undefined) {
      const e = globalThis.performance?.getEntriesByName?.(new URL("index.json", this.root).href)?.[0];
      if (!e) return false; // not (yet) recorded: ask again next time
      this.mux = /^h[23]/.test(e.nextHopProtocol ?? "");
    }
    return this.mux;
  }

  /** Whether feedback's settings and gate let QUERY (terms QTERMS) feed back (feedback() may still find nothing). */
  feedbackGate(query, qterms) {
    const f = this.meta.fusion;
    if (!(Number(f.feedback_docs ?? 0) > 0 && Number(f.feedback_terms ?? 0) > 0 && Number(f.feedback_weight ?? 0) > 0)) return false;
    let strong = 0;
    if (f.feedback_gate === "words") strong = this.analyzer.strongWords(query); // an identifier counts once
    else for (const t of qterms.keys()) if (!this.analyzer.weak.has(t)) strong++;
    return strong >= Number(f.feedback_min_terms ?? 0); // short queries are precise: feedback drifts them
  }

  /**
   * Keyword pseudo-relevance feedback (RM3-like, query.py's SiteIndex.feedback): the feedback_terms terms of most
   * weight in the first pass's best feedback_docs chunks, their keyword scores summed by weight and scaled so that
   * the best chunk's sum is feedback_weight x the best keyword score, added to the query's. The new scores / their
   * maximum, or null (no feedback: settings 0, a QUERY of fewer than feedback_min_terms whitespace-separated words
   * that hold a non-weak term (feedback_gate "words", analyzer.strongWords; an index without it counts qterms'
   * distinct non-weak terms, after typo correction), or no chunk holds a chosen term). SPEC: the chunks whose
   * inputs speculateFeedback() fetched (counted in stats).
   */
  async feedback(lex, top, first, qterms, query, spec = null) {
    const f = this.meta.fusion;
    const k = Number(f.feedback_docs ?? 0), m = Number(f.feedback_terms ?? 0), lam = Number(f.feedback_weight ?? 0);
    if (!this.feedbackGate(query, qterms)) return null;
    // a page's best chunk here is most likely shown (its text is wanted anyway), and so are the sub-results of a page
    // too long for an outline (each reads its own shard); the other chunks' terms come from their bags
    const pages = new Set(), outline = this.meta.outline_chunks ?? Infinity;
    if (spec) {
      this.stats.fed += Math.min(k, first.length);
      for (const [c] of first.slice(0, k)) if (spec.has(c)) this.stats.used++;
    }
    const bags = first.slice(0, k).map(([c]) => {
      const p = this.pageOf[c], shown = !pages.has(p) || this.first[p + 1] - this.first[p] > outline;
      pages.add(p);
      return this.termBag(c, shown);
    });
    const chosen = bagWeights(await Promise.all(bags)).slice(0, m);
    let tot = 0;
    for (const [, x] of chosen) tot += x;
    const posts = await Promise.all(chosen.map(([t]) => this.postings(t)));
    const add = new Float64Array(lex.length);
    chosen.forEach(([, x], i) => {
      const p = posts[i];
      if (!p) return;
      const g = x / tot;
      for (let j = 0; j < p.ids.length; j++) add[p.ids[j]] += g * p.sc[j];
    });
    let amax = 0;
    for (let c = 0; c < add.length; c++) if (add[c] > amax) amax = add[c];
    if (!(amax > 0)) return null;
    const g = (lam * top) / amax, out = new Float64Array(lex.length);
    let max = 0;
    for (let c = 0; c < lex.length; c++) {
      out[c] = lex[c] + g * add[c];
      if (out[c] > max) max = out[c];
    }
    for (let c = 0; c < out.length; c++) out[c] /= max;
    return out;
  }

  /**
   * Pages best first. opts.provisional: a list shown until another replaces it (the box's keyword list while hybrid
   * runs): a page too long to carry an outline lists only the sub-results whose text shard is already fetched or
   * on its way (the others would cost a shard each for a list that is about to go); hits and scores are the same.
   * @param {string} query
   * @param {{limit?: number, mode?: "hybrid" | "keyword" | "semantic", provisional?: boolean}} [opts]
   */
  async search(query, opts = {}) {
    if (typeof query !== "string") throw new TypeError("search expects a string");
    const limit = opts.limit ?? 10, mode = opts.mode ?? "hybrid", provisional = opts.provisional === true;
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
    if (mode === "keyword") this.lane.keyword++; // a keyword list's fetches go first until it is built
    try {
      const out = await this.pagesOf(query, mode, limit, provisional);
      await this.analyzer.ready; // a list with no hit read no page text: a character table that failed is still said
      // a dense list is shown: without vocab/ (an index before it) the tokenizer pack comes now, in the
      // background, so that a later question does not wait for it on a word the table lacks; with it only a
      // question neither answers (non-ASCII, an added token) fetches the pack
      if (mode !== "keyword" && !provisional && !this.wordIds?.vocab) this.modelFetch.open(true);
      return out;
    } finally {
      if (mode === "keyword") this.lane.keyword--;
    }
  }

  /** search()'s list. */
  async pagesOf(query, mode, limit, provisional) {
    const [chunks, qterms] = await this.rankedChunks(query, mode, limit);
    const pages = new Map();
    for (const [c, s] of chunks) {
      const p = this.pageOf[c];
      if (pages.has(p)) pages.get(p).push([c, s]);
      else pages.set(p, [[c, s]]);
    }
    const alpha = Number(this.meta.fusion.page_alpha ?? 0);
    const scored = [];
    let rank = 0;
    for (const [p, hits] of pages) {
      let rest = 0;
      for (let j = 1; j < hits.length; j++) rest += Math.max(hits[j][1], 0);
      scored.push([hits[0][1] + alpha * rest, rank++, p]);
    }
    scored.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    // excerpts down the list (query.py's step 5): the first `limit` hits are fetched at once, later ones when a page
    // folds into a hit above it (the same text under another URL)
    const make = ([s, , p]) => this.hit(p, pages.get(p), s, provisional);
    const pending = scored.slice(0, limit).map(make);
    for (const h of pending) h.catch(() => {}); // the first failure is thrown below, the others are not unhandled
    const out = [], shown = [], owner = [];
    const analyzer = await this.analyzer.ready; // pages' text: the character table's analyzer
    for (let i = 0; i < scored.length && out.length < limit; i++) {
      const [hit, text] = await (pending[i] ??= make(scored[i]));
      const [ex, key] = freshExcerpt(text, qterms, analyzer, shown);
      if (ex === null) {
        out[owner[key]].sub_results.push({ url: hit.anchor_url, heading: hit.title, score: hit.score });
        continue;
      }
      hit.excerpt = ex;
      if (key) { shown.push(key); owner.push(out.length); }
      out.push(hit);
    }
    return out;
  }

  /** Chunk c's [heading, anchor] from the text shard of chunk NEAR (of the same page): the outline each shard of a
   * split page of at most outline_chunks chunks carries, else the chunk itself, from that shard when it is there (a
   * page whole in one shard), else from its own (query.py's heading_anchor()). */
  async headingAnchor(c, near) {
    let k = this.textShardOf(near), shard = await this.textShard(k);
    const entry = shard?.pages?.[String(this.pageOf[c])];
    let got;
    if (entry?.length > 2) got = entry[2][c - this.first[this.pageOf[c]]];
    else {
      if (this.textShardOf(c) !== k) {
        k = this.textShardOf(c);
        shard = await this.textShard(k);
      }
      const ch = shard?.chunks?.[c - this.textFirst[k]];
      got = ch && [ch.h, ch.a];
    }
    if (!Array.isArray(got)) throw new Error(`corrupt search index: text/${k}.json lacks chunk ${c}`);
    return got;
  }

  /** [page P's hit without its excerpt, its best chunk's text]; PROVISIONAL: see search(). */
  async hit(p, hits, score, provisional = false) {
    const c0 = hits[0][0];
    let shown = hits.slice(1, 1 + SUB_RESULTS);
    if (this.first[p + 1] - this.first[p] > (this.meta.outline_chunks ?? Infinity)) { // no outline: the sub-results'
      if (provisional) { // only those at hand
        const k0 = this.textShardOf(c0);
        shown = shown.filter(([c]) => this.textShardOf(c) === k0 || this.texts.has(this.textShardOf(c)));
      }
      for (const [c] of shown) this.textShard(this.textShardOf(c)).catch(() => {}); // shards, now
    }
    const [url, title, ch] = await this.chunk(c0);
    const base = this.opts.baseUrl ?? "";
    const subs = await Promise.all(shown.map(async ([c, s]) => {
      const [h, a] = await this.headingAnchor(c, c0); // from the best chunk's shard: no other fetch
      return { url: base + url + (a ? "#" + a : ""), heading: h, score: s };
    }));
    return [{ url: base + url, title, heading: ch.h, anchor_url: base + url + (ch.a ? "#" + ch.a : ""),
      excerpt: "", score, sub_results: subs }, ch.t];
  }
}

/** ROOT's index.json, checked to be a search index of this version. */
async function indexMeta(root, fetchFn) {
  const res = await fetchFn(new URL("index.json", root).href);
  if (!res.ok) throw new Error(`cannot fetch ${new URL("index.json", root).href}: HTTP ${res.status}`);
  const meta = await res.json();
  if (meta.format !== "edgembed-search" || meta.version !== VERSION) {
    throw new Error(`${root.href} is not an edgembed search index of version ${VERSION} (rebuild it with 'edgembed index')`);
  }
  const b = meta.term_bounds;
  if (!Array.isArray(b) || b.length !== meta.term_shards - 1 || !b.every((x) => typeof x === "string")) {
    throw new Error(`corrupt search index ${root.href}: term_bounds does not bound its ${meta.term_shards} terms shards`);
  }
  return meta;
}

/**
 * Open the index folder written by `edgembed index` (e.g. "/_edgembed/"): fetches index.json and the analyzer
 * table, and starts loading the model in the background (opts.preload === false: on the first dense query).
 * @param {string | URL} indexUrl
 * @param {{fetch?: typeof fetch, baseUrl?: string, preload?: boolean}} [opts] baseUrl: prefix of the page URLs
 *   (a site served under a sub-path)
 */
export async function loadSearch(indexUrl, opts = {}) {
  let base = String(indexUrl ?? "/_edgembed/");
  if (!base.endsWith("/")) base += "/";
  const here = globalThis.location?.href;
  if (!here && !/^[a-z][a-z0-9+.-]*:/i.test(base)) throw new Error(`loadSearch() needs an absolute URL outside a page, got '${base}'`);
  const root = here ? new URL(base, here) : new URL(base);
  const fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
  // with preload, the model (model/, where `edgembed index` puts it: every index of this version names it) starts
  // with index.json, not one round trip after it; a guess index.json does not confirm is cancelled as soon as it
  // says so (its fetches aborted). The analyzer's character table comes after index.json: a BERT-uncased analyzer
  // (every index edgembed writes) needs it only for page text and questions outside printable ASCII, and on a slow
  // link its 16 kB would delay index.json and the rows index.
  const guess = { model: new AbortController() };
  const guessing = (ctl) => (url, init) => fetchFn(url, { ...init, signal: ctl.signal });
  const lane = { keyword: 0 }; // shared by the model's fetches and the SiteSearch
  const earlyFetch = modelFetch(guessing(guess.model)); // the tokenizer pack held while index.json may say to
  const early = opts.preload !== false ? startModel(root, DEFAULT_MODEL, earlyFetch.fetch, lane) : null;
  if (early) earlyModelFiles(earlyFetch, new URL(DEFAULT_MODEL, root));
  const meta = await indexMeta(root, fetchFn).catch((e) => {
    earlyFetch.open();
    guess.model.abort();
    throw e;
  });
  const table = meta.analyzer.chartable;
  if (meta.model !== DEFAULT_MODEL) guess.model.abort(); // another model: the guessed one stops downloading
  const full = (async () => {
    const ares = await fetchFn(new URL(table, root).href);
    if (!ares.ok) throw new Error(`cannot fetch the analyzer table: HTTP ${ares.status}`);
    return createAnalyzer(await ares.arrayBuffer(), meta.analyzer);
  })();
  // a BERT-uncased analyzer answers printable-ASCII questions before its table arrives (search_text.mjs); any other
  // waits for the table here, as every analyzer did before
  const analyzer = earlyAnalyzer(full, meta.analyzer);
  if (!analyzer.covers("a")) await analyzer.ready;
  const sameModel = early && meta.model === DEFAULT_MODEL;
  const s = new SiteSearch(root, meta, analyzer, { ...opts, fetch: fetchFn, lane, ...(sameModel ? { modelFetch: earlyFetch } : {}) });
  if (sameModel) s.warmModel(early);
  else earlyFetch.open(); // a guess that was aborted ends (its held fetches fail)
  if (opts.preload !== false) s.warmModel().catch(() => {}); // errors surface on the first dense query
  return s;
}
