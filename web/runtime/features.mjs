// What this JS engine offers the runtime's fast paths, detected without side effects (nothing fetched, no worker
// started, nothing logged), and the fallback each one has. model.info.features holds the detection and
// model.info.fallbacks every fallback taken, so a page (the demo's Runtime panel) and its tests can say which path ran.
//   sharedArrayBuffer  the flat worker pool shares one copy of the table   else each worker gets its own copy
//   moduleWorkers      the flat worker pool (module Web Workers)           else the calling thread
//   wasmThreads        onnxruntime-web threads                             else one thread (also when a threaded
//                                                                          session fails: it is retried with one)
// Known gaps of real engines: WebKitGTK exposes no SharedArrayBuffer even on cross-origin-isolated pages; iOS Safari
// can fail to create threaded wasm on such pages ("RangeError: Out of memory"); older engines lack module workers.

/** True when a SharedArrayBuffer can be posted to a worker (it exists, and the page is cross-origin isolated). */
function postableSharedMemory() {
  if (typeof SharedArrayBuffer !== "function" || typeof MessageChannel !== "function") return false;
  const ch = new MessageChannel();
  try {
    ch.port1.postMessage(new SharedArrayBuffer(1));
    return true;
  } catch {
    return false; // DataCloneError: not cross-origin isolated
  } finally {
    ch.port1.close();
    ch.port2.close();
  }
}

/**
 * True when `new Worker(url, {type: "module"})` is understood. WebIDL converts the options before the URL is
 * parsed, so an engine that knows module workers reads `type`; the URL is invalid, so no engine starts a worker or
 * fetches anything. (Firefox 102-113 read `type` and then refuse "module": the pool's start-up fallback covers it.)
 */
function moduleWorkersUnderstood() {
  if (typeof Worker !== "function") return false;
  let read = false;
  try {
    new Worker("http://[", { get type() { read = true; return "module"; } });
  } catch { /* SyntaxError: the invalid URL */ }
  return read;
}

function sharedWasmMemory() {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The features of this engine (cheap; computed once per embedder).
 * @returns {{crossOriginIsolated: boolean, sharedArrayBuffer: boolean, moduleWorkers: boolean, wasmThreads: boolean}}
 */
export function detectFeatures() {
  const isolated = globalThis.crossOriginIsolated === true;
  const sab = postableSharedMemory();
  const inPage = globalThis.location !== undefined; // a page or a worker (Node.js and React Native have no location)
  return {
    crossOriginIsolated: isolated,
    sharedArrayBuffer: sab,
    moduleWorkers: inPage && moduleWorkersUnderstood(),
    wasmThreads: sab && typeof WebAssembly === "object" && sharedWasmMemory(),
  };
}

/** Why FEATURE is off, in words, for a fallback's `reason`. */
export function missing(feature, f) {
  if (feature === "moduleWorkers") {
    if (globalThis.location === undefined) return "no Web Worker pool outside a page (Node.js, React Native)";
    return typeof Worker !== "function" ? "no Web Workers here" : "this engine has no module Web Workers";
  }
  if (typeof SharedArrayBuffer !== "function") {
    return f.crossOriginIsolated ? "no SharedArrayBuffer, although the page is cross-origin isolated" : "no SharedArrayBuffer (the page is not cross-origin isolated)";
  }
  if (!f.sharedArrayBuffer) return "SharedArrayBuffer cannot be shared with workers (the page is not cross-origin isolated)";
  return "no shared WebAssembly memory";
}

/**
 * A fallback record: FEATURE was wanted (WANTED) but the runtime runs USED instead, for REASON.
 * @returns {{feature: "sharedArrayBuffer" | "moduleWorkers" | "wasmThreads", wanted: string, used: string, reason: string}}
 */
export const fallback = (feature, wanted, used, reason) => ({ feature, wanted, used, reason });

/**
 * How many module workers the flat backend uses when ASKED for (the `workers` option), and the fallbacks taken.
 * @returns {{workers: number, fallbacks: object[]}}
 */
export function planWorkers(asked, f) {
  if (asked <= 1) return { workers: 1, fallbacks: [] };
  if (!f.moduleWorkers) {
    return { workers: 1, fallbacks: [fallback("moduleWorkers", `${asked} module Web Workers`, "the calling thread", missing("moduleWorkers", f))] };
  }
  const copies = f.sharedArrayBuffer ? []
    : [fallback("sharedArrayBuffer", `one table shared by ${asked} workers`, "a copy of the table per worker", missing("sharedArrayBuffer", f))];
  return { workers: asked, fallbacks: copies };
}
