// The recording proxy of the WebKit adapter (engine_webkit.mjs). WebKitWebDriver speaks classic WebDriver only (no
// BiDi, no log API, no request events), so each WebKit page is pointed at this HTTP proxy (the `proxy` capability,
// no bypass list: 127.0.0.1 goes through it too), which
//   - records every request the page and its workers make, forwards those to 127.0.0.1, and blocks (and
//     records) any other: the connection is dropped, so the page sees a network error, as with the other drivers;
//   - adds one script tag to each HTML document it forwards, first in <head>: the probe below, served by the proxy
//     itself from the page's own origin (so a CSP of 'self' allows it). The probe runs before the page's scripts
//     and reports console.error calls, uncaught errors, unhandled rejections, CSP violations and dialogs, which
//     the WebKit adapter reads back from the page and from the probe's beacons (they survive a navigation).
// A document that does not come through the proxy (one a service worker serves) gets no probe tag: the adapter
// then installs the probe after the load and says so in the page's notes.
import http from "node:http";

export const PROBE_PATH = "/__edgembed_engine__/probe.js";
export const LOG_PATH = "/__edgembed_engine__/log";

/** The probe (a classic script, idempotent). INIT: the page's init script, run right after the probe is in place. */
export function probeSource(init = "") {
  return `(() => {
  if (Object.getOwnPropertyDescriptor(window, "__edgembedProbe")) return;
  const doc = Math.random().toString(36).slice(2), entries = [];
  let seq = 0;
  const fmt = (v) => { try { return v instanceof Error ? v.name + ": " + v.message : typeof v === "string" ? v : JSON.stringify(v) ?? String(v); } catch { return String(v); } };
  const send = (kind, text) => {
    const e = { doc, seq: seq++, kind, text: String(text).split("\\n")[0] };
    entries.push(e);
    try { navigator.sendBeacon(${JSON.stringify(LOG_PATH)}, JSON.stringify(e)); } catch {}
  };
  Object.defineProperty(window, "__edgembedProbe", { value: { entries }, enumerable: false });
  const error = console.error;
  console.error = function (...a) { send("console", a.map(fmt).join(" ")); return error.apply(this, a); };
  addEventListener("error", (ev) => { if (ev instanceof ErrorEvent) send("page", ev.error ? fmt(ev.error) : ev.message); }, true);
  addEventListener("unhandledrejection", (ev) => send("page", "Unhandled Promise Rejection: " + fmt(ev.reason)));
  addEventListener("securitypolicyviolation", (ev) => send("console", "Content-Security-Policy: " + ev.violatedDirective + " blocked " + (ev.blockedURI || "inline code")));
  window.alert = (m) => { send("dialog", "alert: " + m); };
  window.confirm = (m) => { send("dialog", "confirm: " + m); return false; };
  window.prompt = (m) => { send("dialog", "prompt: " + m); return null; };
})();
${init}
`;
}

const TAG = Buffer.from(`<script src="${PROBE_PATH}"></script>`);

function isDocument(req) {
  const dest = req.headers["sec-fetch-dest"];
  return dest ? dest === "document" || dest === "iframe" : /text\/html/.test(req.headers.accept ?? "");
}

function inject(body) {
  const text = body.toString("latin1"); // byte positions only: the tag is ASCII
  const head = /<head(\s[^>]*)?>/i.exec(text);
  const at = head ? head.index + head[0].length : (/<html(\s[^>]*)?>/i.exec(text)?.index ?? -1) + 1;
  return Buffer.concat([body.subarray(0, Math.max(0, at)), TAG, body.subarray(Math.max(0, at))]);
}

/**
 * Start the proxy on a free 127.0.0.1 port. REC: the page's record (requests, external, failed, httpErrors);
 * ON_ENTRY(entry): a probe beacon; INIT: the page's init script (or "").
 * @returns {Promise<{port: number, close(): Promise<void>}>}
 */
export async function startProxy(rec, onEntry, init = "") {
  const probe = Buffer.from(probeSource(init));
  const server = http.createServer((req, res) => {
    let url;
    try { url = new URL(req.url); } catch { res.writeHead(400).end("this is a proxy"); return; }
    const local = url.protocol === "http:" && url.hostname === "127.0.0.1";
    if (!local) { // leaves this machine: drop it, as a network error
      rec.requests.push(req.url);
      rec.external.push(req.url);
      req.socket.destroy();
      return;
    }
    if (url.pathname === PROBE_PATH) {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(probe);
      return;
    }
    if (url.pathname === LOG_PATH) {
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        try { onEntry(JSON.parse(Buffer.concat(chunks).toString("utf8"))); } catch { /* not a probe entry */ }
        res.writeHead(204).end();
      });
      return;
    }
    rec.requests.push(req.url);
    const headers = { ...req.headers };
    delete headers["proxy-connection"];
    const wantsProbe = isDocument(req);
    if (wantsProbe) delete headers["accept-encoding"]; // the tag goes into plain bytes
    const up = http.request({ host: "127.0.0.1", port: url.port || 80, path: url.pathname + url.search, method: req.method, headers }, (r) => {
      if (r.statusCode >= 400) rec.httpErrors.push(`${r.statusCode} ${req.url}`);
      const html = /^text\/html/i.test(r.headers["content-type"] ?? "") && !r.headers["content-encoding"];
      if (!(wantsProbe && html)) {
        res.writeHead(r.statusCode, r.statusMessage, r.headers);
        r.pipe(res);
        return;
      }
      const chunks = [];
      r.on("data", (c) => chunks.push(c));
      r.on("end", () => {
        const body = inject(Buffer.concat(chunks));
        const out = { ...r.headers, "content-length": String(body.length) };
        delete out.etag;
        res.writeHead(r.statusCode, r.statusMessage, out).end(body);
      });
    });
    up.on("error", (e) => { // the server is gone (a test stopped it): the page sees a network error
      rec.failed.push(`${req.url} ${e.code ?? e.message}`);
      res.destroy();
    });
    req.pipe(up);
  });
  server.on("connect", (req, socket) => { // https (or anything tunnelled): never to 127.0.0.1 in these tests
    rec.requests.push(`https://${req.url}`);
    rec.external.push(`https://${req.url}`);
    socket.destroy();
  });
  server.on("clientError", (_, socket) => socket.destroy());
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
