// Lazy rows (docs/format.md, "rows/"): the table of model.edgembed cut into row shards. A page fetches rows/index.bin
// at load, then only the shards that hold the rows of the tokens it embeds. Each shard is checked against the first
// 8 bytes of its SHA-256 (in the index) as it arrives, its rows are copied into a compact table (slots in arrival
// order), and token ids are mapped to slots: the sums run over the same row values in the same order as with the
// whole table, so the vectors are bit-identical (tests/test_lazy_rows.py).
// A batch (or fill()) that needs at least WHOLE_SHARE of the table's shards takes the whole table (model.edgembed) in
// one request instead, when the export has it (`fetchWhole`): thousands of small requests cost more than one large
// one on every network measured (docs/web.md, "Big batches"). Either way no shard is fetched twice.
import { QUANTS, parseFlat } from "./flat.mjs";
import { bytesOf, sha256 } from "./sha256.mjs";

const MAGIC = "EDGEROWS";
const INDEX_BYTES = 128;
const QUANT_PQ = 4;
const TYPED = { fp32: Float32Array, fp16: Uint16Array, int8: Int8Array, int4: Uint8Array };
/**
 * The share of the table's shards from which one request for the whole table is always cheaper: the crossover on
 * the mobile profile (150 ms, 1.6 Mbit/s), the highest measured (benchmarks/bench_rows_crossover.py, docs/web.md).
 */
export const WHOLE_SHARE = 0.25;
/** What one shard request costs the page beyond the link (checking, bookkeeping; ms), a low estimate. */
export const SHARD_MS = 2;

/**
 * Parse rows/index.bin.
 * @param {ArrayBuffer | ArrayBufferView} data
 */
export function parseRowsIndex(data) {
  const bytes = bytesOf(data);
  if (bytes.length < INDEX_BYTES || String.fromCharCode(...bytes.subarray(0, 8)) !== MAGIC) {
    throw new Error("not an edgembed rows index (bad magic)");
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f = (i) => dv.getUint32(8 + 4 * i, true);
  const [version, vocab, dims, qcode, flags, rowBytes, shardRows, shards, hashBytes, scaleBytes, m, k, ds, digits] =
    Array.from({ length: 14 }, (_, i) => f(i));
  if (version !== 1) throw new Error(`rows index version ${version}; this runtime reads version 1`);
  const quant = qcode === QUANT_PQ ? `pq${m}` : QUANTS[qcode];
  const books = m * k * ds * 4;
  if (!quant || shardRows < 1 || shards !== Math.ceil(vocab / shardRows) || INDEX_BYTES + books + shards * hashBytes !== bytes.length) {
    throw new Error("truncated or corrupt rows index");
  }
  let codebooks = null;
  if (m) { // a copy (4-byte aligned): the index may sit anywhere in a larger buffer (a Node Buffer's pool, say)
    const copy = new Uint8Array(books);
    copy.set(bytes.subarray(INDEX_BYTES, INDEX_BYTES + books));
    codebooks = new Float32Array(copy.buffer);
  }
  const hashes = bytes.subarray(INDEX_BYTES + books);
  return { vocab, dims, quant, normalize: (flags & 1) === 1, rowBytes, shardRows, shards, hashBytes, scaleBytes,
    subspaces: m || undefined, subDims: ds || undefined, codebooks, hashes, digits };
}

/**
 * A rows index that holds only some shards' hashes: what a page can ship inline for the few ids it embeds before
 * rows/index.bin has come (the demo's first query; exporter/targets/web.py). HEAD: parseRowsIndex's fields (vocab,
 * dims, quant, normalize, rowBytes, shardRows, shards, hashBytes, scaleBytes, digits) and `hashes`, {shard number:
 * the hex of its hash (the first hashBytes bytes of its SHA-256)}. Not for pq tables (their codebooks are in the index).
 * `known[k]` is 1 for the shards whose hash is here: LazyRows checks every other shard against zeros, so it refuses them.
 */
export function partialRowsIndex(head) {
  const { vocab, dims, quant, rowBytes, shardRows, shards, hashBytes, scaleBytes, digits } = head;
  const ints = { vocab, dims, rowBytes, shardRows, shards, hashBytes, scaleBytes, digits };
  for (const [k, v] of Object.entries(ints)) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`partial rows index: ${k} must be a non-negative integer, got ${v}`);
  }
  if (!Object.keys(TYPED).includes(quant)) throw new Error(`partial rows index: quant '${quant}' (pq tables need rows/index.bin)`);
  if (shardRows < 1 || shards !== Math.ceil(vocab / shardRows)) throw new Error("partial rows index: shards do not cover the vocabulary");
  const hashes = new Uint8Array(shards * hashBytes), known = new Uint8Array(shards);
  for (const [key, hex] of Object.entries(head.hashes ?? {})) {
    const k = Number(key);
    if (!Number.isInteger(k) || k < 0 || k >= shards || typeof hex !== "string" || !new RegExp(`^[0-9a-f]{${2 * hashBytes}}$`).test(hex)) {
      throw new Error(`partial rows index: bad hash entry for shard ${key}`);
    }
    for (let i = 0; i < hashBytes; i++) hashes[k * hashBytes + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    known[k] = 1;
  }
  return { vocab, dims, quant, normalize: Boolean(head.normalize), rowBytes, shardRows, shards, hashBytes, scaleBytes,
    subspaces: undefined, subDims: undefined, codebooks: null, hashes, digits, known };
}

/** The path of shard K, relative to the export folder. */
export function shardPath(index, k) {
  return `rows/${String(k).padStart(index.digits, "0")}.bin`;
}

/**
 * The rows of a table fetched shard by shard, kept in a compact table in arrival order.
 * `fetchShard(k)` returns the bytes of shard K (an ArrayBuffer or typed array).
 */
export class LazyRows {
  /**
   * @param {ReturnType<typeof parseRowsIndex>} index
   * @param {(k: number, o: {background: boolean}) => Promise<ArrayBuffer | ArrayBufferView>} fetchShard (background:
   *   fill()'s fetch, which may go at low priority)
   * @param {{verify?: boolean, concurrency?: number,
   *   fetchWhole?: (o: {background: boolean}) => Promise<ArrayBuffer | ArrayBufferView>,
   *   wholeShare?: number}} [opts] verify: check each shard's SHA-256 against the index (default true);
   *   concurrency: shard fetches at once (default 8); fetchWhole: the bytes of model.edgembed, already checked against
   *   the manifest (absent: shards only); wholeShare: the share of all shards from which a batch or fill() takes the
   *   whole table instead (default WHOLE_SHARE); link: {rttMs, bytesPerMs}, the link as load() saw it, from which a
   *   smaller batch takes the whole table when that is estimated faster than its shards
   */
  constructor(index, fetchShard, opts = {}) {
    this.index = index;
    this.fetchShard = fetchShard;
    this.fetchWhole = opts.fetchWhole ?? null;
    this.wholeShare = opts.wholeShare ?? WHOLE_SHARE;
    this.link = opts.link ?? null;
    this.whole = null; // Promise of the whole table's arrival (taken at most once)
    this.wholeBackground = false; // whether that fetch is fill()'s (a batch's shards do not wait for it)
    this.busy = 0; // batches fetching their rows now (ensure): fill() starts no fetch meanwhile
    this.waiters = []; // fill()'s workers waiting for busy to drop to 0
    this.flat = null; // model.edgembed's bytes once taken whole (toFlat returns them)
    this.present = 0; // shards whose rows are here (fetched one by one or with the whole table)
    this.requests = 0; // fetches made for rows: shards and the whole table
    this.verify = opts.verify !== false;
    this.slotOf = new Int32Array(index.vocab).fill(-1);
    this.slots = 0;
    this.capacity = 0;
    this.data = new Uint8Array(0); // slots x rowBytes
    this.scales = index.scaleBytes ? new Float32Array(0) : null;
    this.loaded = new Uint8Array(index.shards); // 1: the shard's rows are in
    this.pending = new Map(); // k -> Promise of its arrival (a shard is never fetched twice)
    this.shardsFetched = 0;
    this.bytesFetched = 0;
    this.view = null;
    this.maxInFlight = opts.concurrency ?? 8; // fetches at once: a browser queues more anyway, a small server may refuse them
    this.inFlight = 0;
    this.queue = []; // resolvers waiting for a fetch slot
  }

  /** Run F (a shard fetch) when fewer than maxInFlight fetches are running. */
  async throttled(f) {
    while (this.inFlight >= this.maxInFlight) await new Promise((resolve) => this.queue.push(resolve));
    this.inFlight++;
    try {
      return await f();
    } finally {
      this.inFlight--;
      this.queue.shift()?.();
    }
  }

  get complete() {
    return this.present === this.index.shards;
  }

  /** Whether fetching N more shards should rather take the whole table in one request. */
  wantsWhole(n) {
    if (!this.fetchWhole || this.complete || n <= 0) return false;
    if (n >= this.wholeShare * this.index.shards) return true;
    if (!this.link) return false;
    // the link's estimate: N shards, a few at once, against one request for every row
    const { rttMs, bytesPerMs } = this.link, ix = this.index;
    const whole = ix.vocab * (ix.rowBytes + (ix.scaleBytes ? 4 : 0)), shard = whole / ix.shards;
    const shardsMs = n * (rttMs / Math.min(this.maxInFlight, 6) + shard / bytesPerMs + SHARD_MS);
    return shardsMs > rttMs + whole / bytesPerMs;
  }

  /**
   * Fetch model.edgembed once and take every row from it (rows already here keep their values: the same bytes).
   * Resolves false when fetchWhole gives null (the file cannot be reached): the rows then come shard by shard.
   * Shard fetches already under way finish and are dropped; later ones wait for this instead. BACKGROUND (fill()):
   * the fetch yields to the page's other requests (fetchWhole({background: true})), and a batch meanwhile fetches
   * its own shards rather than wait for the whole table.
   */
  takeWhole({ background = false } = {}) {
    if (!this.whole) this.wholeBackground = background;
    else if (!background) this.wholeBackground = false; // a batch waits for it now
    this.whole ??= (async () => {
      this.requests++;
      const raw = await this.fetchWhole({ background }); // background (fill): a low-priority fetch where the engine has one
      if (raw === null) { // not reachable (offline: the service worker keeps the shards only): shards from now on
        this.fetchWhole = null;
        this.whole = null;
        return false;
      }
      const buf = raw instanceof ArrayBuffer ? raw : raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength
        ? raw.buffer : raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
      this.bytesFetched += buf.byteLength;
      const m = parseFlat(buf), ix = this.index;
      if (m.vocab !== ix.vocab || m.dims !== ix.dims || m.quant !== ix.quant || m.rowBytes !== ix.rowBytes) {
        throw new Error("model.edgembed does not match rows/index.bin (files of two exports?)");
      }
      this.flat = buf;
      this.data = new Uint8Array(m.table.buffer, m.table.byteOffset, ix.vocab * ix.rowBytes);
      if (this.scales) this.scales = m.scales;
      for (let id = 0; id < ix.vocab; id++) this.slotOf[id] = id;
      this.slots = this.capacity = ix.vocab;
      this.loaded.fill(1);
      this.present = ix.shards;
      this.view = null;
      return true;
    })().catch((e) => {
      this.whole = null;
      throw e;
    });
    return this.whole;
  }

  /** The shards that hold the rows of ID_LISTS and are not here yet (ids are range-checked). */
  missing(idLists) {
    const { vocab, shardRows } = this.index;
    const need = new Set();
    for (const ids of idLists) {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (!(id >= 0 && id < vocab)) throw new RangeError(`token id ${id} out of range 0..${vocab - 1}`);
        const k = Math.floor(id / shardRows);
        if (!this.loaded[k]) need.add(k);
      }
    }
    return need;
  }

  /**
   * Fetch (once) and add every shard the rows of ID_LISTS need. While it fetches, fill() starts no fetch: the batch's
   * shards go first (a background fetch of the whole table under way is not waited for: the batch takes its shards).
   */
  async ensure(idLists) {
    const need = this.missing(idLists);
    if (!need.size) return;
    this.busy++;
    try {
      if (this.wantsWhole(need.size) && (await this.takeWhole())) return;
      await Promise.all([...need].map((k) => this.load(k)));
    } finally {
      if (--this.busy === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves once no batch is fetching its rows (fill()'s fetches wait for it). */
  quiet() {
    return this.busy === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Fetch and add shard K (at most once, however many callers ask). BACKGROUND: fill()'s (a low-priority fetch where
   * the engine has one); a batch's shard does not wait for a background fetch of the whole table.
   */
  load(k, background = false) {
    if (this.loaded[k]) return Promise.resolve();
    if (this.whole && (background || !this.wholeBackground)) return this.whole.then((took) => (took ? undefined : this.load(k, background)));
    let p = this.pending.get(k);
    if (!p) {
      p = this.fetchAndAdd(k, background).finally(() => this.pending.delete(k));
      this.pending.set(k, p);
    }
    return p;
  }

  async fetchAndAdd(k, background = false) {
    const raw = await this.throttled(() => (this.loaded[k] ? null : (this.requests++, this.fetchShard(k, { background }))));
    if (raw === null) return; // the whole table came while this shard waited for a fetch slot
    const bytes = bytesOf(raw);
    const { vocab, shardRows, rowBytes, scaleBytes, hashBytes, hashes } = this.index;
    const rows = Math.min(vocab, (k + 1) * shardRows) - k * shardRows;
    const dataBytes = rows * rowBytes, scalesAt = dataBytes + ((4 - (dataBytes % 4)) % 4);
    const want = scaleBytes ? scalesAt + 4 * rows : dataBytes;
    if (bytes.length !== want) {
      throw new Error(`${shardPath(this.index, k)}: ${bytes.length} bytes, expected ${want} (a file of another export?)`);
    }
    if (this.verify) {
      const got = (await sha256(bytes)).subarray(0, hashBytes);
      const exp = hashes.subarray(k * hashBytes, (k + 1) * hashBytes);
      if (!got.every((b, i) => b === exp[i])) {
        throw new Error(`${shardPath(this.index, k)}: sha256 mismatch: the file is corrupt or from another export`);
      }
    }
    if (this.loaded[k]) return;
    this.reserve(this.slots + rows);
    const base = this.slots;
    this.data.set(bytes.subarray(0, dataBytes), base * rowBytes);
    if (scaleBytes) {
      const sc = new DataView(bytes.buffer, bytes.byteOffset + scalesAt, 4 * rows);
      for (let r = 0; r < rows; r++) this.scales[base + r] = sc.getFloat32(4 * r, true);
    }
    for (let r = 0; r < rows; r++) this.slotOf[k * shardRows + r] = base + r;
    this.slots += rows;
    this.loaded[k] = 1;
    this.present++;
    this.shardsFetched++;
    this.bytesFetched += bytes.length;
    this.view = null;
  }

  reserve(n) {
    if (n <= this.capacity) return;
    const cap = Math.max(n, 2 * this.capacity, 64);
    const rb = this.index.rowBytes;
    const data = new Uint8Array(cap * rb + 8); // + 8: typed views of any width fit
    data.set(this.data.subarray(0, this.slots * rb));
    this.data = data;
    if (this.scales) {
      const s = new Float32Array(cap);
      s.set(this.scales.subarray(0, this.slots));
      this.scales = s;
    }
    this.capacity = cap;
  }

  /**
   * A model object for flat.mjs's embedIds over the rows here (ids must be mapped with `remap`): the same fields as
   * parseFlat's, `vocab` being the number of slots.
   */
  model() {
    if (this.view) return this.view;
    const ix = this.index, Table = ix.codebooks ? Uint8Array : TYPED[ix.quant];
    const table = new Table(this.data.buffer, this.data.byteOffset, (this.slots * ix.rowBytes) / Table.BYTES_PER_ELEMENT);
    this.view = { vocab: this.slots, dims: ix.dims, quant: ix.quant, rowBytes: ix.rowBytes, normalize: ix.normalize,
      table, scales: this.scales ? this.scales.subarray(0, this.slots) : null,
      ...(ix.codebooks ? { subspaces: ix.subspaces, subDims: ix.subDims, codebooks: ix.codebooks } : {}) };
    return this.view;
  }

  /** The slots of IDS (all of which must be here: `ensure` first). */
  remap(ids) {
    const out = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const s = this.slotOf[ids[i]];
      if (s < 0) throw new Error(`token id ${ids[i]}: its row shard is not loaded`);
      out[i] = s;
    }
    return out;
  }

  /**
   * Fetch every shard not here yet, CONCURRENCY at a time (shards already here or on their way are not fetched
   * again), or the whole table in one request when WHOLE_SHARE of the shards or more are missing. Resolves when the
   * table is complete; ON_PROGRESS(present, total) after each shard (once for the whole table). BACKGROUND: the
   * page is idle (Embedder.fill): its fetches are low-priority, none starts while a batch fetches its rows (they
   * resume after), and a batch does not wait for them; not for a batch waiting on the table.
   */
  async fill({ concurrency = 6, onProgress, signal, background = false } = {}) {
    if (this.whole || this.wantsWhole(this.index.shards - this.present)) {
      if (signal?.aborted) return;
      if (await this.takeWhole({ background })) {
        onProgress?.(this.present, this.index.shards);
        return;
      }
    }
    let next = 0;
    const worker = async () => {
      while (next < this.index.shards) {
        if (signal?.aborted) return;
        if (background) await this.quiet();
        if (signal?.aborted) return;
        const k = next++;
        if (k >= this.index.shards) return;
        if (this.loaded[k]) continue;
        await this.load(k, background);
        onProgress?.(this.present, this.index.shards);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  }

  /**
   * model.edgembed's bytes rebuilt from the complete set of shards (byte for byte the exported file): what the
   * worker pool and the whole-table path take once every row is here.
   */
  toFlat() {
    if (!this.complete) throw new Error("toFlat needs every shard: fill() first");
    if (this.flat) return this.flat;
    const ix = this.index, v = ix.vocab, rb = ix.rowBytes, pq = Boolean(ix.codebooks);
    const align = (n) => Math.ceil(n / 64) * 64;
    const tOff = pq ? 128 : 64, tBytes = v * rb;
    const sOff = ix.scaleBytes ? align(tOff + tBytes) : 0, sBytes = ix.scaleBytes ? 4 * v : 0;
    const cOff = pq ? align(sOff + sBytes) : 0, cBytes = pq ? ix.codebooks.byteLength : 0;
    const size = pq ? cOff + cBytes : sBytes ? sOff + sBytes : tOff + tBytes;
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) out[i] = "EDGEMBED".charCodeAt(i);
    const qcode = pq ? QUANT_PQ : QUANTS.indexOf(ix.quant);
    [pq ? 2 : 1, v, ix.dims, qcode, ix.normalize ? 1 : 0, pq ? ix.subspaces : rb].forEach((x, i) => dv.setUint32(8 + 4 * i, x, true));
    [tOff, tBytes, sOff, sBytes].forEach((x, i) => dv.setBigUint64(32 + 8 * i, BigInt(x), true));
    if (pq) {
      [ix.subspaces, 256, ix.subDims, 0].forEach((x, i) => dv.setUint32(64 + 4 * i, x, true));
      dv.setBigUint64(80, BigInt(cOff), true);
      dv.setBigUint64(88, BigInt(cBytes), true);
      out.set(new Uint8Array(ix.codebooks.buffer, ix.codebooks.byteOffset, cBytes), cOff);
    }
    for (let id = 0; id < v; id++) {
      const s = this.slotOf[id];
      out.set(this.data.subarray(s * rb, (s + 1) * rb), tOff + id * rb);
      if (sBytes) dv.setFloat32(sOff + 4 * id, this.scales[s], true);
    }
    return out.buffer;
  }

  /** What the runtime panel and tests read. */
  stats() {
    return { shards: this.index.shards, shardsFetched: this.shardsFetched, bytesFetched: this.bytesFetched, complete: this.complete,
      requests: this.requests, whole: this.flat !== null };
  }
}
