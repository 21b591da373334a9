// A static folder over HTTP/2 with TLS, as static hosts serve sites (GitHub Pages, Netlify, Cloudflare Pages: one
// connection, every request multiplexed), for the benchmarks that compare round trips; `edgembed serve` is HTTP/1.1.
// Same bodies and headers as `edgembed serve` (exporter/targets/serve.py): gzip (level 6) for text types and wasm,
// Server, ETag, Last-Modified, Accept-Ranges, Cache-Control: no-cache, the MIME types browsers insist on; GET and
// HEAD only (no ranges, no 304s: the benchmarks' visits are fresh contexts). A self-signed certificate for
// 127.0.0.1 is made at start with the openssl command (the browser is started with --ignore-certificate-errors).
//
//   node web/scripts/serve_h2.mjs FOLDER      prints "https://127.0.0.1:PORT/" on its first line, serves until killed
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { extname, join, normalize, resolve, sep } from "node:path";
import { gzipSync } from "node:zlib";

const MIME = {
  ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
  ".map": "application/json", ".html": "text/html", ".css": "text/css", ".txt": "text/plain", ".md": "text/markdown",
  ".svg": "image/svg+xml", ".toml": "text/plain",
};
const COMPRESSIBLE = ["text/", "application/json", "application/wasm", "image/svg+xml"];

const root = resolve(process.argv[2] ?? "");
if (!process.argv[2] || !statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
  console.error("usage: node serve_h2.mjs FOLDER (an existing folder)");
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), "edgembed-h2-"));
execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
  "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
  "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
const key = readFileSync(join(dir, "key.pem")), cert = readFileSync(join(dir, "cert.pem"));
rmSync(dir, { recursive: true, force: true });

const gzipped = new Map(); // path -> [mtimeMs, body]

function answer(stream, headers) {
  const method = headers[":method"];
  if (method !== "GET" && method !== "HEAD") {
    stream.respond({ ":status": 405, allow: "GET, HEAD", "content-type": "text/plain" });
    return stream.end("method not allowed\n");
  }
  let path;
  try {
    path = decodeURIComponent(new URL(headers[":path"], "https://x").pathname);
  } catch {
    stream.respond({ ":status": 400, "content-type": "text/plain" });
    return stream.end("bad path\n");
  }
  let file = normalize(join(root, path));
  if (file !== root && !file.startsWith(root + sep)) {
    stream.respond({ ":status": 404, "content-type": "text/plain" });
    return stream.end("not found\n");
  }
  let st = statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory()) {
    file = join(file, "index.html");
    st = statSync(file, { throwIfNoEntry: false });
  }
  if (!st?.isFile()) {
    stream.respond({ ":status": 404, "content-type": "text/plain" });
    return stream.end("not found\n");
  }
  const type = MIME[extname(file).toLowerCase()] ?? "application/octet-stream";
  const text = type.startsWith("text/") || type === "application/json";
  // the headers `edgembed serve` sends, so that bytes compare protocol to protocol, not server to server
  const tag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs * 1e6).toString(16)}`;
  const out = { ":status": 200, server: "edgembed-serve", "last-modified": st.mtime.toUTCString(), "accept-ranges": "bytes",
    "content-type": text ? `${type}; charset=utf-8` : type, "cache-control": "no-cache", "x-content-type-options": "nosniff" };
  let body;
  if (COMPRESSIBLE.some((c) => type.startsWith(c)) && /\bgzip\b/.test(headers["accept-encoding"] ?? "")) {
    const hit = gzipped.get(file);
    body = hit && hit[0] === st.mtimeMs ? hit[1] : gzipSync(readFileSync(file), { level: 6 });
    gzipped.set(file, [st.mtimeMs, body]);
    out["content-encoding"] = "gzip";
    out.vary = "Accept-Encoding";
    out.etag = `${tag}-gzip"`;
  } else {
    body = readFileSync(file);
    out.etag = `${tag}"`;
  }
  out["content-length"] = body.length;
  stream.respond(out);
  stream.end(method === "HEAD" ? undefined : body);
}

const server = http2.createSecureServer({ key, cert });
server.on("stream", (stream, headers) => {
  stream.on("error", () => {});
  try {
    answer(stream, headers);
  } catch (e) {
    if (!stream.headersSent) stream.respond({ ":status": 500, "content-type": "text/plain" });
    stream.end(`${String(e?.message ?? e).split("\n")[0]}\n`);
  }
});
server.listen(0, "127.0.0.1", () => {
  console.log(`https://127.0.0.1:${server.address().port}/`);
});
