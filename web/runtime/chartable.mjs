// The export's character table (chartable.bin, docs/format.md): every Unicode property the tokenizer needs,
// probed from the Python `tokenizers` that made the export. Nothing here asks the JS engine about Unicode,
// so the runtime tokenizes like that library whatever Unicode version the browser has.

const MAGIC = "EDGECHAR";
const HEADER_BYTES = 32;
const SURROGATE_LO = 0xd800, SURROGATE_HI = 0xdfff;

/** Class bits of a code point. */
export const REGEX_WORD = 0, REGEX_SPACE = 1, REGEX_OTHER = 2, REGEX_MASK = 3, IS_WHITESPACE = 4, BERT_PUNCT = 8;
/** Normalizer rule kinds (low 3 bits of a rule; the rest is its payload). */
export const K_DELTA = 0, K_STR = 1, K_NOOP = 2, K_PAD = 3, K_HANGUL = 4, K_SPECIAL = 5;

/**
 * Parse chartable.bin. BMP code points get dense tables; astral ones a binary search over runs.
 * @param {ArrayBuffer | ArrayBufferView} data
 */
export function parseChartable(data) {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength < HEADER_BYTES || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error("not an edgembed character table (bad magic)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o) => dv.getUint32(o, true);
  const version = u32(8);
  if (version !== 1) throw new Error(`character table version ${version}; this runtime reads version 1`);
  const flags = u32(12), nClass = u32(16), nNorm = u32(20), nPool = u32(24), bodyBytes = u32(28);
  if (bytes.byteLength !== HEADER_BYTES + bodyBytes) {
    throw new Error(`truncated or corrupt character table: ${bytes.byteLength} bytes, header says ${HEADER_BYTES + bodyBytes}`);
  }
  let at = HEADER_BYTES;
  const varint = () => { // LEB128, up to 2^53
    let v = 0, scale = 1, b;
    do {
      if (at >= bytes.byteLength) throw new Error("truncated or corrupt character table: a number runs past the end");
      b = bytes[at++];
      v += (b & 127) * scale;
      scale *= 128;
    } while (b & 128);
    return v;
  };
  const clsStart = new Int32Array(nClass), clsVal = new Uint8Array(nClass);
  for (let i = 0, c = 0; i < nClass; i++) {
    c += varint();
    clsStart[i] = c;
    if (at >= bytes.byteLength) throw new Error("truncated or corrupt character table: classes run past the end");
    clsVal[i] = bytes[at++];
  }
  const ruleStart = new Int32Array(nNorm), ruleVal = new Int32Array(nNorm);
  for (let i = 0, c = 0; i < nNorm; i++) {
    c += varint();
    const v = varint(), kind = v % 8, z = Math.floor(v / 8), payload = z % 2 ? -(z + 1) / 2 : z / 2;
    ruleStart[i] = c;
    ruleVal[i] = payload * 8 + kind;
  }
  const pool = new Int32Array(nPool);
  for (let i = 0; i < nPool; i++) pool[i] = varint();
  if (at !== bytes.byteLength) throw new Error("truncated or corrupt character table: trailing bytes");
  if (nClass === 0 || nNorm === 0 || clsStart[0] !== 0 || ruleStart[0] !== 0) throw new Error("corrupt character table: runs must start at U+0000");
  for (let i = 0; i < nNorm; i++) {
    const kind = ruleVal[i] & 7, p = ruleVal[i] >> 3;
    if (kind > K_SPECIAL || ((kind === K_STR || kind === K_SPECIAL) && !(p >= 0 && p < nPool))) throw new Error("corrupt character table: bad normalizer rule");
  }
  const bmpCls = dense(clsStart, clsVal, Uint8Array);
  const bmpRule = dense(ruleStart, ruleVal, Int32Array);
  const search = (starts, cp) => { // index of the last run starting at or before cp
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= cp) lo = mid; else hi = mid - 1;
    }
    return lo;
  };
  return {
    reorder: (flags & 1) === 1,
    pool,
    /** The class bits of code point cp. */
    cls: (cp) => (cp < 0x10000 ? bmpCls[cp] : clsVal[search(clsStart, cp)]),
    /** The normalizer rule of code point cp: kind = rule & 7, payload = rule >> 3. */
    rule: (cp) => (cp < 0x10000 ? bmpRule[cp] : ruleVal[search(ruleStart, cp)]),
    bmpCls,
    bmpRule,
  };
}

function specialLength(pool, off) {
  let len = 0;
  for (let u = 0; u < pool[off]; u++) len += pool[pool[off + 2 + 2 * u]];
  return len;
}

function dense(starts, vals, Ctor) {
  const out = new Ctor(0x10000);
  for (let i = 0; i < starts.length && starts[i] < 0x10000; i++) {
    const end = i + 1 < starts.length ? Math.min(starts[i + 1], 0x10000) : 0x10000;
    out.fill(vals[i], starts[i], end);
  }
  return out;
}

/**
 * The code points of a JS string, lone surrogates read as U+FFFD (Python strings cannot hold them).
 * @param {string} text
 * @returns {Int32Array}
 */
export function codePoints(text) {
  const out = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= SURROGATE_LO && c <= SURROGATE_HI) {
      const d = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && d >= 0xdc00 && d <= SURROGATE_HI) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    }
    out[n++] = c;
  }
  return n === out.length ? out : out.subarray(0, n);
}

/**
 * A normalizer over code point arrays, exact to the probed library: each code point's rule, plus NFD's
 * canonical reordering of the combining marks that survive accent stripping (ranks in the table).
 * @param {ReturnType<typeof parseChartable>} t
 */
export function createNormalizer(t) {
  const { pool, bmpRule, reorder } = t;
  let buf = new Int32Array(256);
  let ranks = new Int32Array(256);
  /**
   * Normalize cps[from..to) into a reused buffer.
   * @returns {{cps: Int32Array, length: number}} valid until the next call
   */
  const grow = (n, need) => {
    const bigger = new Int32Array(Math.max(2 * buf.length, n + need + 64));
    bigger.set(buf.subarray(0, n));
    buf = bigger;
    const r2 = new Int32Array(buf.length);
    r2.set(ranks.subarray(0, n));
    ranks = r2;
  };
  return function normalize(cps, from, to) {
    if (buf.length < 3 * (to - from) + 8) grow(0, 3 * (to - from) + 8);
    let n = 0;
    let run = -1; // start of the current run of kept combining marks in buf (reordering), -1 if none
    let sorted = true; // the run is already in rank order (the usual case: nothing to do when it ends)
    for (let i = from; i < to; i++) {
      const cp = cps[i];
      const rule = cp < 0x10000 ? bmpRule[cp] : t.rule(cp);
      const kind = rule & 7;
      if (kind === K_NOOP) continue;
      if (run >= 0 && kind !== K_SPECIAL) { // a starter ends the run: sort it (stable, by rank) if it needs it
        if (!sorted) sortRun(buf, ranks, run, n);
        run = -1;
        sorted = true;
      }
      if (kind === K_DELTA) {
        if (n >= buf.length) grow(n, 1);
        buf[n++] = cp + (rule >> 3);
        continue;
      }
      const most = kind === K_STR ? pool[rule >> 3] : kind === K_SPECIAL ? specialLength(pool, rule >> 3) : 3;
      if (n + most > buf.length) grow(n, most);
      if (kind === K_STR) {
        const off = rule >> 3, len = pool[off];
        for (let k = 1; k <= len; k++) buf[n++] = pool[off + k];
      } else if (kind === K_PAD) {
        buf[n++] = 32; buf[n++] = cp + (rule >> 3); buf[n++] = 32; // (rule >> 3: a compatibility ideograph's NFD)
      } else if (kind === K_HANGUL) {
        const s = cp - 0xac00;
        buf[n++] = 0x1100 + ((s / 588) | 0);
        buf[n++] = 0x1161 + (((s % 588) / 28) | 0);
        if (s % 28) buf[n++] = 0x11a7 + (s % 28);
      } else { // K_SPECIAL: [units, (rank, string offset)...]
        const off = rule >> 3, units = pool[off];
        for (let u = 0; u < units; u++) {
          const rank = pool[off + 1 + 2 * u], s = pool[off + 2 + 2 * u], len = pool[s];
          if (rank === 0 || !reorder) { // a starter: end the run, emit
            if (run >= 0 && !sorted) sortRun(buf, ranks, run, n);
            run = -1;
            sorted = true;
            for (let k = 1; k <= len; k++) buf[n++] = pool[s + k];
            continue;
          }
          if (run < 0) run = n;
          else if (ranks[n - 1] > rank) sorted = false;
          for (let k = 1; k <= len; k++) { buf[n] = pool[s + k]; ranks[n++] = rank; }
        }
      }
    }
    if (run >= 0 && !sorted) sortRun(buf, ranks, run, n);
    return { cps: buf, length: n };
  };
}

/**
 * Stable sort of buf[from..to) by ranks (NFD's canonical ordering of a run of marks): O(k log k), so a hostile
 * text of a million marks costs what sorting them costs, not k² shifts.
 */
function sortRun(buf, ranks, from, to) {
  const order = [];
  for (let k = from; k < to; k++) order.push(k);
  order.sort((a, b) => ranks[a] - ranks[b] || a - b);
  const cps = order.map((k) => buf[k]), rs = order.map((k) => ranks[k]);
  for (let k = from; k < to; k++) {
    buf[k] = cps[k - from];
    ranks[k] = rs[k - from];
  }
}
