// The index's binary pieces as the browser reads them, the same way as exporter/search/store.py (docs/format.md,
// "The site-search index"): the terms and typo shards' decoders, the terms shards' range lookup and the typo
// shards' hash, and once() (a piece fetched once). search.mjs ranks with them.

export const VERSION = 7; // index.json's "version" this runtime reads
const TERMS_MAGIC = [0x45, 0x4d, 0x54, 0x32]; // "EMT2"
const TYPO_MAGIC = [0x45, 0x4d, 0x56, 0x31]; // "EMV1"
const IDS_MAGIC = [0x45, 0x4d, 0x57, 0x31]; // "EMW1"

/** MAP's promise for KEY, made by MAKE() the first time; forgotten if it fails, so that a later query tries again. */
export function once(map, key, make) {
  if (!map.has(key)) {
    const got = make();
    map.set(key, got);
    got.catch(() => { if (map.get(key) === got) map.delete(key); });
  }
  return map.get(key);
}

const MAX_CP = String.fromCodePoint(0x10ffff);

/** [first, last]: the range shards (bounded by BOUNDS, as terms/ and ids/ are) that hold every key starting with
 * PREFIX: from PREFIX's own shard to that of PREFIX + U+10FFFF. */
export function prefixShards(prefix, bounds) {
  return [termShard(prefix, bounds), termShard(prefix + MAX_CP, bounds)];
}

/** -1, 0 or 1 as A sorts before, with or after B in code-point order (Python's str order; JS's < compares UTF-16
 * units, which differs where a character above U+FFFF meets one in U+E000..U+FFFF). */
export function cmpCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i), y = b.codePointAt(i);
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** The terms shard of TERM: the number of BOUNDS (index.json's term_bounds, code-point order) that sort at or before
 * it (store.py's term_shard). */
export function termShard(term, bounds) {
  let lo = 0, hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cmpCodePoints(bounds[mid], term) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** FNV-1a over the UTF-8 bytes of S. */
export function fnv1a(s) {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(s)) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h >>> 0;
}

/** A reader of one shard: {d, at, uv(), take(k)}; WHAT names the shard in errors. */
function reader(buf, magic, what) {
  const d = new Uint8Array(buf);
  if (d.length < 4 || magic.some((m, i) => d[i] !== m)) throw new Error(`corrupt search index: a ${what} shard has a bad magic`);
  const r = { d, at: 4 };
  const short = () => new Error(`corrupt search index: a ${what} shard is truncated`);
  r.uv = () => {
    let v = 0, scale = 1, b;
    do {
      if (r.at >= d.length) throw short();
      b = d[r.at++];
      v += (b & 127) * scale;
      scale *= 128;
    } while (b & 128);
    return v;
  };
  r.take = (k) => {
    if (r.at + k > d.length) throw short();
    r.at += k;
    return d.subarray(r.at - k, r.at);
  };
  r.short = short;
  return r;
}

/** term -> {ids, sc} (chunk ids, scores) of one terms shard. */
export function decodeTerms(buf) {
  const r = reader(buf, TERMS_MAGIC, "terms"), d = r.d;
  const out = new Map();
  const dec = new TextDecoder();
  while (r.at < d.length) {
    const term = dec.decode(r.take(r.uv()));
    const df = r.uv();
    const top = r.take(4);
    const unit = new DataView(top.buffer, top.byteOffset, 4).getFloat32(0, true) / 255;
    const ids = new Int32Array(df), sc = new Float64Array(df);
    let prev = 0;
    for (let k = 0; k < df; k++) {
      prev += r.uv();
      ids[k] = prev;
      if (r.at >= d.length) throw r.short();
      sc[k] = d[r.at++] * unit;
    }
    out.set(term, { ids, sc });
  }
  return out;
}

/** [[term, df], ...] of one typo side-table shard. */
export function decodeTypo(buf) {
  const r = reader(buf, TYPO_MAGIC, "typo"), d = r.d;
  const out = [];
  const dec = new TextDecoder();
  while (r.at < d.length) {
    const term = dec.decode(r.take(r.uv()));
    out.push([term, r.uv()]);
  }
  return out;
}

/** word -> token ids (an array) of one word ids shard (ids/<k>.bin: store.py). */
export function decodeWordIds(buf) {
  const r = reader(buf, IDS_MAGIC, "ids"), d = r.d;
  const out = new Map();
  const dec = new TextDecoder();
  while (r.at < d.length) {
    const word = dec.decode(r.take(r.uv()));
    const n = r.uv(), ids = new Array(n);
    for (let k = 0; k < n; k++) ids[k] = r.uv();
    out.set(word, ids);
  }
  return out;
}
