// edgembed's service worker: the export folder it sits in (its scope) works offline after one visit.
//   navigator.serviceWorker.register("edgembed-sw.js")      // from a page in the export folder (the demo does it)
// Every export has its own cache, named by the SHA-256 of its manifest.json. manifest.json and pages are fetched from
// the network first (so a new export is seen at once), everything else from the cache of the manifest in use.
// When a manifest arrives that the cache does not hold, the old export's cache is deleted and the new one filled:
// the files the flat backend needs (every file the manifest lists, the row shards rows/index.bin lists, minus the
// onnx backend's and the other targets' files).
// Integrity: what computes vectors (tables, row shards, tokenizer files, chartable, runtime modules, wasm, data) is
// checked against the manifest's sha256 (the shards against the index's) before it is stored, so files of two exports
// are never mixed and a corrupt file is never kept. The page's markup and looks (HTML, CSS, images) are stored as the
// host serves them, unchecked: hosts inject snippets into HTML and site owners edit the page, which changes nothing
// the vectors depend on. Same-scope files the manifest does not list (a snippet a host adds) are kept as they come.
// An interrupted fill (the user left, the browser stopped the worker) resumes on the next online visit: the files
// already stored are kept, the rest fetched; until the fill is done, the export is not offline yet.
// Every respondWith gets a Response (never a rejection, never Response.error()): a fetch that fails is answered 503,
// and the worker's fetches do not follow the page's abort signal (a reload aborts the page's background fetches),
// so no engine logs "the service worker encountered an unexpected error".
// The whole table (model.edgembed) is not kept, but a page may hold it: the fill asks the pages for it before it
// fetches the row shards (edgembed.mjs answers with a copy of the bytes it took), and a page's big batch may fetch it
// through this worker (edgembed.mjs does while the cache lacks the shards). The row shards are then cut out of those
// bytes, each checked against the index and stored, and the fill waits for that instead of fetching them (the table
// crosses the network once). A shard that does not check out is left to the fill.
// The fill is background work: a page starts it once its first results are shown ("edgembed-offline-sync"), its
// fetches go at low priority, a few at once, and none starts while a page's query fetches ("edgembed-offline-hold"
// ... "edgembed-offline-go", the demo's search() sends them).
// Pages get progress messages: {type: "edgembed-offline", state: "caching" | "ready" | "failed", done, total, reason,
// resumed (caching: files of an interrupted fill were kept), resumable (failed: not for integrity; the next visit goes on)}.
/* eslint-env serviceworker */
"use strict";

const PREFIX = "edgembed-offline:";
const SCOPE = self.registration.scope; // the export folder, with a trailing slash
const SKIP = [/^onnx\//, /^mobile\//, /^edge\//, /^demo\/vendor\/ort/, /^model\.edgembed$/]; // offline: the flat backend
const UNCHECKED = /\.(html?|css|png|jpe?g|gif|webp|avif|svg|ico)$/i; // markup and looks: hosts may change them
const CONCURRENCY = 4; // the fill's fetches at once: background work, low priority, a small share of the link
const HOLD_MS = 10000; // a page's hold ("edgembed-offline-hold") lapses after this, should its "go" never come

let held = null; // while a page's query fetches: {until: Promise, release(), timer}; the fill starts no fetch
/** Resolves once no page holds the fill (a query of the page is fetching its rows and passages). */
const unheld = () => (held ? held.until : Promise.resolve());
function hold() {
  if (!held) {
    let release;
    const until = new Promise((resolve) => { release = resolve; });
    held = { until, release: () => { clearTimeout(held?.timer); held = null; release(); } };
  }
  clearTimeout(held.timer);
  held.timer = setTimeout(() => held?.release(), HOLD_MS);
}

let current = null; // {version, manifest, cache, complete}
const installing = new Map(); // version -> {switched, done} (an export is filled once, however many ask)

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (bytes) => hex(await crypto.subtle.digest("SHA-256", bytes));
const relOf = (url) => {
  const rel = decodeURIComponent(new URL(url).pathname.slice(new URL(SCOPE).pathname.length));
  return rel === "" || rel.endsWith("/") ? `${rel}index.html` : rel;
};
const unavailable = (why) => new Response(`edgembed offline: ${why}\n`, {
  status: 503, statusText: "Service Unavailable", headers: { "Content-Type": "text/plain; charset=utf-8" },
});

async function tell(msg) {
  for (const c of await self.clients.matchAll({ includeUncontrolled: true })) c.postMessage({ type: "edgembed-offline", ...msg });
}

/** The export in use: the newest complete cache of this scope (its manifest), or null before the first one. */
async function active() {
  if (current) return current;
  for (const name of (await caches.keys()).reverse()) {
    if (!name.startsWith(PREFIX + SCOPE)) continue;
    const cache = await caches.open(name);
    const res = await cache.match(SCOPE + "manifest.json");
    if (res) return (current = { version: name.slice((PREFIX + SCOPE).length + 1), manifest: await res.json(), cache, complete: true });
  }
  return null;
}

/** The row shards rows/index.bin lists: [path, first bytes of its sha256 as hex] (docs/format.md). */
function shardsOf(index) {
  const dv = new DataView(index);
  const u32 = (i) => dv.getUint32(8 + 4 * i, true);
  const shards = u32(7), hashBytes = u32(8), books = u32(10) * u32(11) * u32(12) * 4, digits = u32(13);
  const at = 128 + books;
  return Array.from({ length: shards }, (_, k) => [`rows/${String(k).padStart(digits, "0")}.bin`,
    hex(index.slice(at + k * hashBytes, at + (k + 1) * hashBytes))]);
}

/** A copy of RES with BODY that the cache can keep (COOP/COEP/CORP stay: an isolated page needs them on its workers). */
function keepable(res, body) {
  const headers = new Headers(res.headers);
  for (const h of ["Content-Encoding", "Content-Length", "Transfer-Encoding"]) headers.delete(h); // the body is decoded
  return new Response(body, { status: 200, statusText: "OK", headers });
}

/** Fetch REL, check it (WANT: its sha256 or a prefix of it; null: markup, unchecked), store it; false when it fails. */
async function store(cache, rel, want) {
  const res = await fetch(SCOPE + rel, { cache: "no-cache", priority: "low" }); // background: below the pages' requests
  if (!res.ok) throw new Error(`${rel}: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  if (want !== null && !(await sha256(body)).startsWith(want)) return false;
  await cache.put(SCOPE + rel, keepable(res, body));
  return body;
}

/**
 * A new export: from now on its cache answers (SWITCHED resolves once it does), the old export's caches are dropped
 * and the new one is filled (DONE, which never rejects). Once per version, however many ask.
 * @returns {{switched: Promise<void>, done: Promise<void>}}
 */
function install(version, manifestBody) {
  if (!installing.has(version)) {
    const switched = switchTo(version, manifestBody);
    const done = switched.then((it) => fill(version, it), (e) => tell({ state: "failed", reason: String(e?.message ?? e), version }))
      .finally(() => installing.delete(version));
    installing.set(version, { switched: switched.then(() => {}, () => {}), done });
  }
  return installing.get(version);
}

async function switchTo(version, manifestBody) {
  const name = `${PREFIX}${SCOPE}:${version}`;
  const cache = await caches.open(name); // after an interrupted fill: the files it stored are still there
  const manifest = JSON.parse(new TextDecoder().decode(manifestBody));
  current = { version, manifest, cache, complete: false };
  for (const v of splitting.keys()) if (v !== version) splitting.delete(v);
  for (const old of await caches.keys()) if (old.startsWith(PREFIX + SCOPE) && old !== name) await caches.delete(old);
  return { cache, manifest, manifestBody };
}

async function fill(version, { cache, manifest, manifestBody }) {
  try {
    const have = new Set((await cache.keys()).map((r) => r.url));
    const todo = Object.entries(manifest.sha256 ?? {}).filter(([rel]) => !SKIP.some((re) => re.test(rel)))
      .map(([rel, want]) => [rel, UNCHECKED.test(rel) ? null : want]);
    const index = manifest.files?.rows; // its shards are checked against it: store it first, then list them
    if (index && manifest.sha256?.[index]) {
      const hit = await cache.match(SCOPE + index);
      const body = hit ? await hit.arrayBuffer() : await store(cache, index, manifest.sha256[index]);
      if (body === false) throw new Error(`${index} does not match the manifest's sha256`);
      have.add(SCOPE + index); // stored: not fetched again with the manifest's other files
      todo.push(...shardsOf(body));
    }
    const stored = todo.filter(([rel]) => have.has(SCOPE + rel)).length;
    if (!splitting.has(version) && current?.version === version && todo.some(([rel]) => SHARD.test(rel) && !have.has(SCOPE + rel))) {
      splitWhole(current, tableFromPages(current), true); // a page that took the whole table (a big batch, a fast link)
    }
    let done = stored, next = 0, failed = null;
    tell({ state: "caching", done, total: todo.length, resumed: stored > 0, version });
    let seen = null, caught = null; // the split of a page's table (splitting) whose shards `have` holds once CAUGHT
    const cut = new Set(); // the shards it stored (stored, not by this fill: counted as done when their turn comes)
    const work = async () => {
      while (next < todo.length && !failed) {
        await unheld(); // a page's query is fetching: it goes first
        if (next >= todo.length || failed) return;
        const [rel, want] = todo[next++];
        const split = SHARD.test(rel) && splitting.get(version);
        if (split && split !== seen) { // a page's whole table is coming: its shards are stored from it, then counted
          seen = split;
          caught = split.done.then(() => cache.keys()).then((keys) => keys.forEach((r) => have.has(r.url) || (have.add(r.url), cut.add(r.url))));
        }
        if (split) await caught;
        if (have.has(SCOPE + rel)) { done += cut.has(SCOPE + rel); continue; }
        if ((await store(cache, rel, want)) === false) {
          failed ??= new Error(`${rel} does not match the ${rel.startsWith("rows/") ? "rows index's" : "manifest's"} sha256`);
          return;
        }
        if (++done % 200 === 0) tell({ state: "caching", done, total: todo.length, version });
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, () => work().catch((e) => { failed ??= e; }));
    await Promise.all(workers);
    if (failed) throw failed;
    await cache.put(SCOPE + "manifest.json", new Response(manifestBody, { headers: { "Content-Type": "application/json" } }));
    if (current?.version === version) current.complete = true;
    tell({ state: "ready", done, total: todo.length, version });
  } catch (e) {
    const reason = e?.name === "QuotaExceededError" ? "the browser's storage quota is full" : String(e?.message ?? e);
    const integrity = / does not match /.test(reason);
    if (integrity) await caches.delete(`${PREFIX}${SCOPE}:${version}`); // a network error keeps what is stored: it resumes
    if (integrity && current?.version === version) current = null;
    tell({ state: "failed", reason, version, resumable: !integrity });
  }
}

const SHARD = /^rows\/\d+\.bin$/;
const ASK_MS = 3000; // how long the fill waits for the pages' answers (a page without the runtime never answers)

/**
 * The whole table of export NOW from a page that holds it (edgembed.mjs answers {type: "edgembed-table"} with a copy
 * of model.edgembed's bytes, or null), or null: none has it, or none answered in ASK_MS.
 */
async function tableFromPages(now) {
  const want = now.manifest.sha256?.[now.manifest.files?.flat];
  const pages = want ? await self.clients.matchAll({ includeUncontrolled: true, type: "window" }) : [];
  if (!pages.length) return null;
  return new Promise((resolve) => {
    let left = pages.length;
    const timer = setTimeout(() => resolve(null), ASK_MS);
    for (const page of pages) {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = ({ data }) => {
        port1.close();
        if (data instanceof ArrayBuffer || --left === 0) clearTimeout(timer), resolve(data instanceof ArrayBuffer ? data : null);
      };
      page.postMessage({ type: "edgembed-table", sha256: want }, [port2]);
    }
  });
}
const SPLIT_AT_ONCE = 4; // shards checked and stored at once while a page's whole table is split
const splitting = new Map(); // version -> {done}: the shards of a page's model.edgembed being stored (kept once done)

/**
 * TABLE (a promise of model.edgembed's bytes of export NOW, or null: as the network gives it to a page, or a page's
 * copy; ASKING: the pages'): the row shards the cache lacks, cut out of it as docs/format.md lays them out, each checked against rows/index.bin (itself checked against
 * the manifest) and stored, a few at once (the page's batch is computing). Once per export, unless it fails: a body
 * that cannot be read or a file of another export stores nothing, and the fill fetches the shards.
 */
function splitWhole(now, table, asking = false) {
  const { version, cache, manifest } = now;
  const job = { done: null, asking }; // asking: the pages were asked (a page's own model.edgembed may replace it)
  splitting.set(version, job); // before the table comes: the fill starts no shard's fetch from now on
  job.done = (async () => {
    const body = await table;
    job.asking = false;
    if (!body) throw new Error("no table");
    const flat = new Uint8Array(body);
    const rel = manifest.files.rows;
    if (!(await cache.match(SCOPE + rel)) && (await store(cache, rel, manifest.sha256[rel])) === false) {
      throw new Error(`${rel} does not match the manifest's sha256`);
    }
    const res = await cache.match(SCOPE + rel); // the shards are stored with its headers (as the host serves them)
    const index = await res.arrayBuffer();
    const dv = new DataView(index), f = (i) => dv.getUint32(8 + 4 * i, true);
    const [vocab, rowBytes, shardRows, scaleBytes] = [f(1), f(5), f(6), f(9)];
    const hv = new DataView(flat.buffer), u64 = (at) => Number(hv.getBigUint64(at, true));
    if (flat.length < 64 || hv.getUint32(12, true) !== vocab || u64(40) !== vocab * rowBytes) throw new Error("not this export's table");
    const tOff = u64(32), sOff = u64(48);
    const have = new Set((await cache.keys()).map((r) => r.url));
    const one = async ([path, want], k) => {
      const rows = Math.min(vocab, (k + 1) * shardRows) - k * shardRows, data = rows * rowBytes, pad = (4 - (data % 4)) % 4;
      const shard = new Uint8Array(scaleBytes ? data + pad + 4 * rows : data);
      shard.set(flat.subarray(tOff + k * shardRows * rowBytes, tOff + k * shardRows * rowBytes + data));
      if (scaleBytes) shard.set(flat.subarray(sOff + 4 * k * shardRows, sOff + 4 * (k * shardRows + rows)), data + pad);
      if ((await sha256(shard)).startsWith(want)) await cache.put(SCOPE + path, keepable(res, shard.buffer));
    };
    const shards = shardsOf(index).map((s, k) => [s, k]).filter(([[path]]) => !have.has(SCOPE + path));
    for (let at = 0; at < shards.length; at += SPLIT_AT_ONCE) { // the last shard last: there, it means all are (edgembed.mjs)
      if (current?.version !== version) return; // a newer export took over: its cache, its fill
      const group = shards.slice(at, Math.min(at + SPLIT_AT_ONCE, shards.length - 1));
      await Promise.all(group.map(([s, k]) => one(s, k)));
    }
    if (shards.length && current?.version === version) await one(...shards[shards.length - 1]);
  })().catch(() => { if (splitting.get(version) === job) splitting.delete(version); }); // never rejects: the fill goes on
  return job.done;
}

/** The network's manifest.json: installs its export unless it is the one in use; null when the network fails. */
async function checkManifest(waitUntil) {
  const res = await fetch(SCOPE + "manifest.json", { cache: "no-cache" });
  if (!res.ok) return { res };
  const body = await res.clone().arrayBuffer();
  const version = await sha256(body);
  const now = await active();
  if (now && now.version === version && now.complete) return { res, version }; // else: new, filling, or to resume
  const job = install(version, body);
  waitUntil(job.done);
  await job.switched; // the page's next requests are answered from this export
  return { res, version, job };
}

/** A page asks once the worker controls it: install the network's export, or say how things stand. */
async function sync(waitUntil) {
  let got;
  try {
    got = await checkManifest(waitUntil);
  } catch {
    const now = await active(); // offline: what is cached is what there is
    return tell(now ? { state: "ready", version: now.version } : { state: "failed", reason: "offline, and nothing cached yet" });
  }
  if (!got.version) return tell({ state: "failed", reason: `manifest.json: HTTP ${got.res.status}` });
  return got.job ? got.job.done : tell({ state: "ready", version: got.version });
}

/** manifest.json: the network's (a new export is installed), else the cached one. */
async function manifestFirst(waitUntil) {
  try {
    return (await checkManifest(waitUntil)).res;
  } catch {
    const now = await active();
    return (now && (await now.cache.match(SCOPE + "manifest.json"))) || unavailable("manifest.json is not cached yet");
  }
}

/**
 * Pages: the network first (the latest page online, kept for offline as the host serves it), the cached one offline.
 * Online, the manifest is checked before the page is answered, so that the files the page asks for next come from
 * its own export.
 */
async function pageFirst(request, rel, waitUntil) {
  let page;
  try {
    page = await fetch(request);
  } catch {
    const now = await active();
    return (now && (await now.cache.match(SCOPE + rel))) || unavailable(`${rel} is not cached`);
  }
  try {
    await checkManifest(waitUntil);
  } catch {
    // the page came but the manifest did not: the next manifest request decides
  }
  if (page.ok && page.type === "basic" && !page.redirected && rel.endsWith(".html")) {
    const now = current; // keep the page as served (injected snippets and edits included) for offline
    if (now) waitUntil(page.clone().arrayBuffer().then((b) => now.cache.put(SCOPE + rel, keepable(page, b))).catch(() => {}));
  }
  return page;
}

/**
 * Everything else: the cache of the export in use, else the network. Same-scope files the manifest does not list (a
 * host's snippet) come from the network first and are kept as they come, for offline; listed files are stored only
 * by the fill, once they check out.
 */
async function cacheFirst(request, rel, waitUntil) {
  const now = await active();
  const listed = !now || now.manifest.sha256?.[rel] !== undefined || rel.startsWith("rows/");
  const hit = now && listed && (await now.cache.match(SCOPE + rel));
  if (hit) return hit;
  let res, table = null; // the whole table for a page: its shards are stored from it (splitWhole)
  if (now && rel === now.manifest.files?.flat && now.manifest.files?.rows && !now.complete
    && (!splitting.has(now.version) || splitting.get(now.version).asking)) {
    let give;
    waitUntil(splitWhole(now, new Promise((resolve) => { give = resolve; })));
    table = give;
  }
  try {
    // not tied to the page's signal: a page that goes (a reload) would abort the body under a response already given
    // to respondWith, which Firefox reports as the worker's error
    res = await fetch(request, { signal: new AbortController().signal });
    const copy = res.status === 200 && res.type === "basic" ? res.clone() : null;
    table?.(copy && copy.arrayBuffer());
  } catch (e) {
    table?.(null);
    const kept = now && !listed && (await now.cache.match(SCOPE + rel));
    if (kept) return kept;
    return unavailable(request.signal?.aborted || e?.name === "AbortError" ? `${rel}: the page stopped asking` : `${rel} is not cached`);
  }
  if (!listed && res.status === 200 && res.type === "basic" && !res.redirected) {
    waitUntil(res.clone().arrayBuffer().then((b) => now.cache.put(SCOPE + rel, keepable(res, b))).catch(() => {}));
  }
  return res;
}

/** EVENT's lifetime, extended by promises that come later (waitUntil must be called while the event is live). */
function lifetime(event) {
  const later = [];
  let settle;
  event.waitUntil(new Promise((resolve) => { settle = resolve; }));
  return {
    waitUntil: (p) => later.push(Promise.resolve(p).catch(() => {})),
    end: () => Promise.all(later).then(() => Promise.all(later)).finally(settle),
  };
}

// The first version takes over at once (the page that registered it works offline after this visit). A new version of
// this script waits, as service workers do, until no page of the export is open: taking over at once ends the old
// worker in the middle of its work (Firefox ended it with the fill of a new export under way, and nothing went on).
self.addEventListener("install", (event) => { if (!self.registration.active) event.waitUntil(self.skipWaiting()); });
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("message", (event) => {
  if (event.data === "edgembed-offline-hold") return hold();
  if (event.data === "edgembed-offline-go") return held?.release();
  if (event.data !== "edgembed-offline-sync") return;
  const life = lifetime(event);
  sync(life.waitUntil).catch(() => {}).finally(life.end);
});
self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || !req.url.startsWith(SCOPE) || req.headers.has("range")) return;
  const rel = relOf(req.url);
  const life = lifetime(event);
  const answer = rel === "manifest.json" ? manifestFirst(life.waitUntil)
    : req.mode === "navigate" || rel.endsWith(".html") ? pageFirst(req, rel, life.waitUntil)
      : cacheFirst(req, rel, life.waitUntil);
  const safe = answer.catch((e) => unavailable(`${rel}: ${String(e?.message ?? e)}`));
  safe.finally(life.end);
  event.respondWith(safe);
});
