// A pool of module Web Workers for the flat backend (browsers only): a large batch is cut into contiguous
// shares queued for the workers; a worker tokenizes + embeds a share (flat_worker.mjs, the same code as the
// single-thread path) and transfers back one Float32Array. Imported lazily by edgembed.mjs.
// A pool that cannot start (a worker cannot be created, fails to load, or is not ready in time) is not an error:
// its batches go to the calling thread, and the fallback is recorded in model.info.fallbacks.
import { fallback } from "./features.mjs";

/** The URL the page resolves "@huggingface/tokenizers" to (its import map): module workers cannot see the map. */
export function tokenizersUrl() {
  return import.meta.resolve("@huggingface/tokenizers");
}

/**
 * Cut TEXTS into at most N contiguous shares of about equal total length (characters + a per-text cost).
 * @returns {number[]} the N+1 share boundaries (indices into texts), first 0 and last texts.length
 */
export function shares(texts, n) {
  const cost = (t) => t.length + 16;
  let total = 0;
  for (const t of texts) total += cost(t);
  const cuts = [0];
  let acc = 0;
  for (let i = 0; i < texts.length && cuts.length < n; i++) {
    acc += cost(texts[i]);
    if (acc >= (total * cuts.length) / n) cuts.push(i + 1);
  }
  while (cuts.length < n) cuts.push(texts.length);
  cuts.push(texts.length);
  return cuts;
}

export class FlatPool {
  /**
   * Start SIZE workers. Each gets the tokenizer.json and the flat file once: one SharedArrayBuffer for all
   * when the page can share one (`shared`, default: cross-origin isolated with SharedArrayBuffer), else its own
   * copy of the bytes (transferred, not cloned). `single(texts)`: the calling thread's embedding, used when the
   * pool cannot start within `startTimeoutMs` (default 30 s); the fallback is pushed to `fallbacks`.
   * @param {{size: number, tokenizerJson?: string | object, tokenizerPack?: Uint8Array, chartable?: ArrayBuffer | ArrayBufferView,
   *          flat: ArrayBuffer | ArrayBufferView, dims: number, tokenizersUrl?: string | null, workerUrl?: string | URL,
   *          shared?: boolean, single?: (texts: string[]) => Float32Array[], fallbacks?: object[], startTimeoutMs?: number}} o
   */
  constructor(o) {
    this.size = o.size;
    this.dims = o.dims;
    this.batches = 0; // batches embedded by the pool (for runtime panels and tests)
    this.texts = 0;
    this.pending = new Map(); // id -> {resolve, reject}
    this.nextId = 1;
    this.failure = null;
    this.started = false;
    this.startFailure = null; // why the pool never started (its batches then go to o.single)
    this.single = o.single ?? null;
    this.fallbacks = o.fallbacks ?? null;
    const bytes = o.flat instanceof ArrayBuffer ? new Uint8Array(o.flat) : new Uint8Array(o.flat.buffer, o.flat.byteOffset, o.flat.byteLength);
    const isolated = o.shared ?? (globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === "function");
    this.shared = isolated;
    let sab = null;
    if (isolated) {
      sab = new SharedArrayBuffer(bytes.byteLength);
      new Uint8Array(sab).set(bytes);
    }
    const lib = o.tokenizersUrl === null ? null : o.tokenizersUrl ?? tokenizersUrl(); // null: the exact tokenizer needs no library
    const url = o.workerUrl ?? new URL("./flat_worker.mjs", import.meta.url);
    this.workers = [];
    this.failed = new Promise((_, reject) => { this.rejectAll = reject; });
    this.failed.catch(() => {});
    const readies = [];
    for (let w = 0; w < this.size && !this.startFailure; w++) {
      let worker;
      try {
        worker = new Worker(url, { type: "module", name: `edgembed-flat-${w}` });
      } catch (e) { // an engine that refuses module workers (Firefox < 114: TypeError)
        this.fail(`a worker could not be created: ${String(e?.message ?? e).split("\n")[0]}`);
        break;
      }
      readies.push(new Promise((resolve, reject) => {
        worker.onmessage = ({ data: m }) => {
          if (m.type === "ready") resolve();
          else if (m.type === "error" && m.id === null) reject(new Error(m.message));
          else this.settle(m);
        };
      }));
      worker.onerror = (e) => { e.preventDefault?.(); this.fail(`a worker failed: ${e.message || "could not load flat_worker.mjs"}`); };
      worker.onmessageerror = () => this.fail("a worker's message could not be read");
      const flat = sab ?? bytes.slice().buffer;
      worker.postMessage({ type: "init", tokenizersUrl: lib, tokenizerJson: o.tokenizerJson, tokenizerPack: o.tokenizerPack,
        chartable: o.chartable, flat }, sab ? [] : [flat]);
      this.workers.push(worker);
    }
    const timer = setTimeout(() => this.fail(`the workers were not ready after ${o.startTimeoutMs ?? 30000} ms`), o.startTimeoutMs ?? 30000);
    this.ready = Promise.race([Promise.all(readies), this.failed]);
    this.ready.then(() => { this.started = true; }, (e) => this.fail(e.message)).finally(() => clearTimeout(timer));
  }

  settle(m) {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === "result") p.resolve(m.data);
    else p.reject(m.name === "TypeError" ? new TypeError(m.message) : m.name === "RangeError" ? new RangeError(m.message) : new Error(m.message));
  }

  fail(why) {
    if (this.failure || this.startFailure) return;
    if (!this.started && this.single) { // never started: embed on the calling thread from now on, and say so
      this.startFailure = why;
      this.fallbacks?.push(fallback("moduleWorkers", `${this.size} module Web Workers`, "the calling thread", `the worker pool did not start: ${why}`));
      this.rejectAll(new Error(why));
    } else {
      this.failure = new Error(`the flat backend's worker pool failed (load with workers: 1 to embed on the calling thread): ${why}`);
      this.rejectAll(this.failure);
    }
    for (const p of this.pending.values()) p.reject(this.failure ?? new Error(why));
    this.pending.clear();
    this.stopWorkers();
  }

  stopWorkers() {
    for (const w of this.workers) w.terminate();
    this.workers = [];
  }

  /** Post MSG to worker W; resolves with the Float32Array of its result. */
  call(w, msg) {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.workers[w].postMessage({ ...msg, id });
    });
  }

  /**
   * One Float32Array per text, equal to the single-thread path's (views into one transferred buffer per share).
   * The batch is cut into CHUNKS contiguous shares queued for the workers: a worker takes the next share
   * when it returns one, so a slow worker (a core busy elsewhere, rarer words) holds up nothing. Each worker has
   * AHEAD shares posted at a time (default 2), so that it starts its next share without waiting for this thread
   * to see its result (on a busy machine this thread may wait for a core).
   * @param {string[]} texts
   * @param {number} [chunks] shares per batch (default 4 per worker, each at least 16 texts)
   * @param {number} [ahead] shares posted to a worker at a time
   * @returns {Promise<Float32Array[]>}
   */
  async embed(texts, chunks = Math.max(1, Math.min(4 * this.size, Math.floor(texts.length / 16))), ahead = 2) {
    await this.ready.catch(() => {});
    if (this.startFailure) return this.single(texts);
    if (this.failure) throw this.failure;
    const cuts = shares(texts, chunks);
    const out = new Array(texts.length);
    const d = this.dims;
    let next = 0, stop = false;
    const drain = async (w) => {
      const posted = []; // this worker's shares in flight, oldest first
      const post = () => {
        while (!stop && next < cuts.length - 1) {
          const [lo, hi] = [cuts[next], cuts[next + 1]];
          next++;
          if (lo === hi) continue;
          const p = this.call(w, { type: "embed", texts: texts.slice(lo, hi) }).then((data) => {
            for (let i = lo; i < hi; i++) out[i] = data.subarray((i - lo) * d, (i - lo + 1) * d);
          });
          p.catch(() => {}); // awaited below; a later share's rejection after an earlier one's is not unhandled
          posted.push(p);
          return;
        }
      };
      try {
        for (let k = 0; k < ahead; k++) post();
        while (posted.length) {
          await posted.shift();
          post();
        }
      } catch (e) {
        stop = true;
        throw e;
      }
    };
    await Promise.all(this.workers.map((_, w) => drain(w)));
    if (this.failure) throw this.failure;
    this.batches++;
    this.texts += texts.length;
    return out;
  }

  terminate() {
    this.stopWorkers();
    if (this.failure || this.startFailure) return;
    this.failure = new Error("the flat backend's worker pool was released");
    this.rejectAll(this.failure);
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
