// One HTTP request over a Node http.Agent (keep-alive, no retries): the shared client of edge_hostile.mjs and
// edge_load.mjs. Resolves {status, headers, body: Buffer} or {error: code}; never rejects. A socket error after
// its answer (a keep-alive socket reset while idle in the agent's pool) lands in `socketErrors`.
import http from "node:http";

/** Errors of sockets between requests: e.g. a write ECONNRESET after the server answered early and closed. */
export const socketErrors = [];
const watched = new WeakSet();

/** @param {http.Agent} agent */
export function send(agent, base, { method, path, headers = {}, body = null }) {
  return new Promise((resolve) => {
    const data = body === null ? null : Buffer.from(typeof body === "string" ? Buffer.from(body, "utf8") : body);
    const h = { ...headers };
    if (data !== null) h["content-length"] = String(data.length);
    const req = http.request(base + path, { method, agent, headers: h }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", (e) => resolve({ error: e.code ?? String(e) }));
    });
    req.on("error", (e) => resolve({ error: e.code ?? String(e) }));
    req.on("socket", (sock) => {
      if (watched.has(sock)) return;
      watched.add(sock);
      sock.on("error", (e) => socketErrors.push(e.code ?? String(e)));
    });
    if (data !== null) req.write(data);
    req.end();
  });
}
