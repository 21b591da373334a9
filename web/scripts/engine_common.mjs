// Shared by the engine adapters (engine_chromium.mjs, engine_firefox.mjs, engine_webkit.mjs) of engine_host.mjs:
// what a page records, the in-page evaluation wrapper, and waiting for a resize to land.
export { isLocal } from "./chromium.mjs";

/** What every page records, whatever the engine (the Python side reads it with the `log` op). */
export function newRecord() {
  return { requests: [], external: [], failed: [], httpErrors: [], consoleErrors: [], pageErrors: [], dialogs: [] };
}

/** One line of an error or message (drivers add stack traces and call logs below the first line). */
export const oneLine = (e) => String(e?.message ?? e).split("\n")[0];

/**
 * The JS expression that evaluates FN (a function's source) on ARGS (JSON-able) in the page and resolves to one
 * JSON string {value} or {error}: every driver then moves a single string (no per-element remote values), and a
 * throw in the page comes back as a one-line message instead of a driver-specific exception. The expression is
 * evaluated by the driver, so the page's Content-Security-Policy (no 'unsafe-eval' in the demo) does not apply.
 */
export function pageExpression(fn, args = []) {
  return `(async () => { try { const v = await (${fn})(...${JSON.stringify(args)});`
    + ` return JSON.stringify({ value: v === undefined ? null : v }); }`
    + ` catch (e) { return JSON.stringify({ error: String((e && e.name ? e.name + ": " : "") + (e && e.message !== undefined ? e.message : e)).split("\\n")[0] }); } })()`;
}

/** Turn the page's JSON string from pageExpression into the raw JSON text of its value; throws the page's error. */
export function pageResult(json) {
  if (typeof json !== "string") throw new Error(`the page returned ${typeof json}, not the wrapper's JSON string`);
  if (json.startsWith('{"error":')) throw new Error(`in the page: ${JSON.parse(json).error}`);
  return json.slice('{"value":'.length, -1); // {"value":<raw>} -> <raw>, spliced into the reply without a re-parse
}

/** Poll READ() (-> {innerWidth, innerHeight}) until innerWidth is WIDTH (resizes land asynchronously). */
export async function waitForWidth(read, width, timeoutMs = 10000) {
  const t0 = Date.now();
  let got = await read();
  while (got.innerWidth !== width) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`the viewport stayed ${got.innerWidth} px wide (asked for ${width} px)`);
    await new Promise((r) => setTimeout(r, 50));
    got = await read();
  }
  return got;
}

export const SIZE_FN = "() => ({ innerWidth, innerHeight, devicePixelRatio })";
