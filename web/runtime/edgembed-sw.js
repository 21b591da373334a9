// edgembed's service worker: the export folder it sits in (its scope) works offline after one visit.
//   navigator.serviceWorker.register("edgembed-sw.js")      // from a page in the export folder (the demo does it)
// Every export has its own cache, named by the SHA-256 of its manifest.json. manifest.json and pages are fetched from
// the network first (so a new export is seen at once), everything else from the cache of the manifest in use.
// When a manifest arrives that the cache does not hold, the old export's cache is deleted and the new one filled:
// the files the flat backend needs (every file the manifest lists, the row shards rows/index.bin lists, minus the
// onnx backend's and the other targets' files), each checked against the manifest's sha256 (the shards against
// the index's) before it is stored, so files of two exports are never mixed and a corrupt file is never kept.
// Pages get progress messages: {type: "edgembed-offline", state: "caching" | "ready" | "failed", done, total, reason}.
/* eslint-env serviceworker */
"use strict";

const PREFIX = "edgembed-offline:";
const SCOPE = self.registration.scope; // the export folder, with a trailing slash
const SKIP = [/^onnx\//, /^mobile\//, /^edge\//, /^demo\/vendor\/ort/, /^model\.edgembed$/]; // offline: the flat backend
const CONCURRENCY = 6;

let current = null; // {version, manifest, cache}
const installing = new Map(); // version -> Promise (an export is filled once, however many ask)

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
const sha256 = async (bytes) => hex(await crypto.subtle.digest("SHA-256", bytes));
const relOf = (url) => {
  const rel = decodeURIComponent(new URL(url).pathname.slice(new URL(SCOPE).pathname.length));
  return rel === "" || rel.endsWith("/") ? `${rel}index.html` : rel;
};

async function tell(msg) {
  for (const c of await self.clients.matchAll({ includeUncontrolled: true })) c.postMessage({ type: "edgembed-offline", ...msg });
}

/** The export in use: the newest cache of this scope (its manifest), or null before the first one. */
async function active() {
  if (current) return current;
  for (const name of (await caches.keys()).reverse()) {
    if (!name.startsWith(PREFIX + SCOPE)) continue;
    const cache = await caches.open(name);
    const res = await cache.match(SCOPE + "manifest.json");
    if (res) return (current = { version: name.slice((PREFIX + SCOPE).length + 1), manifest: await res.json(), cache });
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

/** Fetch REL, check it (WANT: its sha256, or a prefix of it), store it in CACHE; false when it does not check out. */
async function store(cache, rel, want) {
  const res = await fetch(SCOPE + rel, { cache: "no-cache" });
  if (!res.ok) throw new Error(`${rel}: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  if (!(await sha256(body)).startsWith(want)) return false;
  const headers = new Headers(res.headers); // COOP/COEP/CORP stay: a cross-origin-isolated page needs them on its workers
  for (const h of ["Content-Encoding", "Content-Length", "Transfer-Encoding"]) headers.delete(h); // the body is decoded
  await cache.put(SCOPE + rel, new Response(body, { headers }));
  return body;
}

/**
 * A new export: from now on its cache answers (SWITCHED resolves once it does), the old export's caches are dropped
 * and the new one is filled (DONE). Once per version, however many ask.
 * @returns {{switched: Promise<void>, done: Promise<void>}}
 */
function install(version, manifestBody) {
  if (!installing.has(version)) {
    const switched = switchTo(version, manifestBody);
    switched.catch(() => {});
    const done = switched.then((it) => fill(version, it)).finally(() => installing.delete(version));
    installing.set(version, { switched, done });
  }
  return installing.get(version);
}

async function switchTo(version, manifestBody) {
  const name = `${PREFIX}${SCOPE}:${version}`;
  const cache = await caches.open(name);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBody));
  current = { version, manifest, cache };
  for (const old of await caches.keys()) if (old.startsWith(PREFIX + SCOPE) && old !== name) await caches.delete(old);
  return { cache, manifest, manifestBody };
}

async function fill(version, { cache, manifest, manifestBody }) {
  try {
    const todo = Object.entries(manifest.sha256 ?? {}).filter(([rel]) => !SKIP.some((re) => re.test(rel)));
    const index = manifest.files?.rows; // its shards are checked against it: store it first, then list them
    if (index && manifest.sha256?.[index]) {
      const hit = await cache.match(SCOPE + index);
      const body = hit ? await hit.arrayBuffer() : await store(cache, index, manifest.sha256[index]);
      if (body === false) throw new Error(`${index} does not match the manifest's sha256`);
      todo.push(...shardsOf(body));
    }
    let done = 0, next = 0;
    const work = async () => {
      while (next < todo.length) {
        const [rel, want] = todo[next++];
        if (!(await cache.match(SCOPE + rel)) && (await store(cache, rel, want)) === false) {
          throw new Error(`${rel} does not match the ${rel.startsWith("rows/") ? "rows index's" : "manifest's"} sha256`);
        }
        if (++done % 200 === 0) tell({ state: "caching", done, total: todo.length, version });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, work));
    await cache.put(SCOPE + "manifest.json", new Response(manifestBody, { headers: { "Content-Type": "application/json" } }));
    tell({ state: "ready", done, total: todo.length, version });
  } catch (e) {
    const reason = e?.name === "QuotaExceededError" ? "the browser's storage quota is full" : String(e?.message ?? e);
    await caches.delete(`${PREFIX}${SCOPE}:${version}`);
    if (current?.version === version) current = null;
    tell({ state: "failed", reason, version });
  }
}

/** Fetch manifest.json and install its export unless the cache holds it (a page asks once the worker controls it). */
async function sync() {
  let body;
  try {
    const res = await fetch(SCOPE + "manifest.json", { cache: "no-cache" });
    if (!res.ok) return tell({ state: "failed", reason: `manifest.json: HTTP ${res.status}` });
    body = await res.arrayBuffer();
  } catch {
    const now = await active(); // offline: what is cached is what there is
    return tell(now ? { state: "ready", version: now.version } : { state: "failed", reason: "offline, and nothing cached yet" });
  }
  const version = await sha256(body);
  const now = await active();
  if (!now || now.version !== version || installing.has(version)) return install(version, body).done;
  return tell({ state: "ready", version });
}

/** manifest.json: the network's (a new export is installed), else the cached one. */
async function manifestFirst(event) {
  try {
    const res = await fetch(event.request, { cache: "no-cache" });
    if (!res.ok) return res;
    const body = await res.clone().arrayBuffer();
    const version = await sha256(body);
    const now = await active();
    if (!now || now.version !== version) {
      const job = install(version, body);
      event.waitUntil(job.done);
      await job.switched; // the page's next requests are answered from this export
    }
    return res;
  } catch (e) {
    const now = await active();
    const hit = now && (await now.cache.match(SCOPE + "manifest.json"));
    return hit || Response.error();
  }
}

/**
 * Pages: the network first (the latest page of the export online), the cached one offline. Online, the manifest is
 * checked before the page is answered, so that the files the page asks for next come from its own export.
 */
async function pageFirst(event, rel) {
  try {
    const page = await fetch(event.request);
    try {
      const res = await fetch(SCOPE + "manifest.json", { cache: "no-cache" });
      if (res.ok) {
        const body = await res.arrayBuffer();
        const version = await sha256(body);
        const now = await active();
        if (!now || now.version !== version) {
          const job = install(version, body);
          event.waitUntil(job.done);
          await job.switched;
        }
      }
    } catch {
      // the page came but the manifest did not: the next manifest request decides
    }
    return page;
  } catch (e) {
    const now = await active();
    return (now && (await now.cache.match(SCOPE + rel))) || Response.error();
  }
}

/** Everything else: the cache of the export in use, else the network (and then the cache, once the file checks out). */
async function cacheFirst(event, rel) {
  const now = await active();
  const hit = now && (await now.cache.match(SCOPE + rel));
  return hit || fetch(event.request);
}

self.addEventListener("install", (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("message", (event) => {
  if (event.data === "edgembed-offline-sync") event.waitUntil(sync());
});
self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || !req.url.startsWith(SCOPE) || req.headers.has("range")) return;
  const rel = relOf(req.url);
  if (rel === "manifest.json") event.respondWith(manifestFirst(event));
  else if (req.mode === "navigate" || rel.endsWith(".html")) event.respondWith(pageFirst(event, rel));
  else event.respondWith(cacheFirst(event, rel));
});
