// One browser engine as a long-lived process speaking JSON lines (exporter/proof/engines/ is the Python side).
//   node web/scripts/engine_host.mjs ENGINE OPTIONS_JSON        ENGINE: chromium | firefox | webkit
// OPTIONS: {executable, timeoutMs, driver?, xvfb?} (driver, xvfb: WebKit's WebKitWebDriver and Xvfb)
// First line out: {"id": 0, "ok": true, "result": {engine, version, launchMs, requestsFrom}} once the browser runs.
// Then one command a line in, one reply a line out, in order: {"id", "op", ...} -> {"id", "ok": true, "result"} or
// {"id", "ok": false, "error": "one line"}. Ops:
//   newPage {width?, height?, initScript?} -> {page}       a fresh context; INITSCRIPT runs before the page's scripts
//   goto {page, url} / reload {page} -> {url}             waits for the load event
//   evaluate {page, fn, args} -> the value FN(...ARGS) resolves to (JSON; FN is a function's source)
//   setViewport {page, width, height} -> {innerWidth, innerHeight, devicePixelRatio}   once innerWidth is WIDTH
//   screenshot {page, path} -> {path}                      the viewport, as PNG
//   log {page} -> {requests, external, failed, httpErrors, consoleErrors, pageErrors, dialogs, notes?}
//   closePage {page};  close -> {} and exit.   End of input also closes everything.
import { createInterface } from "node:readline";
import { oneLine } from "./engine_common.mjs";

const [engine, optionsJson] = process.argv.slice(2);
const ENGINES = ["chromium", "firefox", "webkit"];
if (!ENGINES.includes(engine)) {
  console.error(`usage: node engine_host.mjs ${ENGINES.join("|")} OPTIONS_JSON`);
  process.exit(2);
}
const options = JSON.parse(optionsJson ?? "{}");
options.timeoutMs ??= 120000;

const write = (text) => new Promise((resolve) => { if (process.stdout.write(text + "\n")) resolve(); else process.stdout.once("drain", resolve); });
const reply = (id, result) => write(`{"id":${id},"ok":true,"result":${result}}`);
const fail = (id, e) => write(JSON.stringify({ id, ok: false, error: oneLine(e) }));

let browser = null;
const pages = new Map();
let nextPage = 1;
let closing = null;

async function closeAll() {
  closing ??= (async () => {
    for (const p of pages.values()) await p.close().catch(() => {});
    pages.clear();
    await browser?.close().catch(() => {});
  })();
  return closing;
}

function pageOf(cmd) {
  const p = pages.get(cmd.page);
  if (!p) throw new Error(`no open page ${cmd.page}`);
  return p;
}

async function handle(cmd) {
  switch (cmd.op) {
    case "newPage": {
      const p = await browser.newPage({ width: cmd.width, height: cmd.height, initScript: cmd.initScript });
      const id = nextPage++;
      pages.set(id, p);
      return JSON.stringify({ page: id });
    }
    case "goto": return JSON.stringify({ url: await pageOf(cmd).goto(cmd.url) });
    case "reload": return JSON.stringify({ url: await pageOf(cmd).reload() });
    case "evaluate": return pageOf(cmd).evaluate(cmd.fn, cmd.args ?? []);
    case "setViewport": return JSON.stringify(await pageOf(cmd).setViewport(cmd.width, cmd.height));
    case "screenshot": await pageOf(cmd).screenshot(cmd.path); return JSON.stringify({ path: cmd.path });
    case "log": {
      const p = pageOf(cmd);
      await p.collect?.();
      return JSON.stringify(p.rec);
    }
    case "closePage": {
      const p = pageOf(cmd);
      pages.delete(cmd.page);
      await p.close();
      return "{}";
    }
    default: throw new Error(`unknown op '${cmd.op}'`);
  }
}

const t0 = Date.now();
try {
  const adapter = await import(`./engine_${engine}.mjs`);
  browser = await adapter.launch(options);
} catch (e) {
  await fail(0, `${engine} did not start: ${oneLine(e)}`);
  process.exit(1);
}
await reply(0, JSON.stringify({ engine, version: browser.version, launchMs: Date.now() - t0, requestsFrom: browser.requestsFrom }));

for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => closeAll().finally(() => process.exit(1)));

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  let cmd;
  try { cmd = JSON.parse(line); } catch (e) { await fail(null, `not a JSON command: ${oneLine(e)}`); continue; }
  if (cmd.op === "close") {
    await closeAll();
    await reply(cmd.id, "{}");
    process.exit(0);
  }
  try {
    await reply(cmd.id, await handle(cmd));
  } catch (e) {
    await fail(cmd.id, e);
  }
}
await closeAll();
process.exit(0);
