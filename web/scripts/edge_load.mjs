// A bounded load on a running edge worker: CLIENTS concurrent keep-alive clients (one Node http.Agent, which
// never retries) for SECONDS, a seeded mix of valid and invalid requests; every answer's status is checked, and
// every vector against the one the same text got before the load (bit for bit), then again after it.
//   node web/scripts/edge_load.mjs URL TEXTS.json SECONDS CLIENTS SEED OUT.json
// OUT.json: {seed, requests, seconds, rps, p50_ms, p99_ms, statuses, unexpected: [...], connection_errors,
// mismatched_vectors, after_mismatched}.
import http from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import { rng } from "./edge_cases.mjs";
import { send, socketErrors } from "./edge_http.mjs";

const JSON_H = { "content-type": "application/json" };

/** The invalid requests of the mix and the status each must get. */
function invalid(maxTexts) {
  return [
    [{ method: "POST", path: "/nope", body: '{"texts": ["a"]}' }, 404],
    [{ method: "PUT", path: "/v1/embeddings", body: "{}" }, 405],
    [{ method: "DELETE", path: "/embed", body: "abc" }, 405],
    [{ method: "GET", path: "/", body: "a body on GET" }, 200],
    [{ method: "POST", path: "/embed", body: '{"texts": [' }, 400],
    [{ method: "POST", path: "/v1/embeddings", body: '{"input": ' + "[".repeat(65) + "]".repeat(65) + "}" }, 400],
    [{ method: "POST", path: "/v1/embeddings", body: JSON.stringify({ input: "a", dimensions: 0 }) }, 400],
    [{ method: "POST", path: "/embed", body: JSON.stringify({ texts: Array(maxTexts + 1).fill("a") }) }, 413],
    [{ method: "POST", path: "/v1/embeddings", body: JSON.stringify({ input: [[1, 1e9]] }) }, 400],
  ].map(([r, status]) => [{ ...r, headers: JSON_H }, status]);
}

const f32 = (b64) => {
  const b = Buffer.from(b64, "base64");
  return Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(4 * i));
};
const same = (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

async function main([url, textsFile, seconds, clients, seedArg, outFile]) {
  const seed = Number(seedArg);
  process.stdout.write(`edge_load: seed ${seed}\n`);
  const r = rng(seed);
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  const agent = new http.Agent({ keepAlive: true, maxSockets: Number(clients) });
  const info = JSON.parse((await send(agent, url, { method: "GET", path: "/" })).body);
  const embedAll = async () => JSON.parse((await send(agent, url, { method: "POST", path: "/embed", headers: JSON_H,
    body: JSON.stringify({ texts }) })).body).embeddings;
  const baseline = await embedAll();
  const bad = invalid(info.limits.max_texts);
  const statuses = {}, unexpected = [], latencies = [];
  let mismatched = 0, connErrors = 0;

  const one = async () => {
    const pickTexts = () => Array.from({ length: 1 + r.int(8) }, () => r.int(texts.length));
    const u = r.next();
    let req, expect, check = null;
    if (u < 0.5) {
      const idx = pickTexts();
      req = { method: "POST", path: "/embed", headers: JSON_H, body: JSON.stringify({ texts: idx.map((i) => texts[i]) }) };
      expect = 200;
      check = (j) => j.embeddings.every((v, k) => same(v, baseline[idx[k]]));
    } else if (u < 0.7) {
      const idx = pickTexts(), format = r.pick(["float", "base64"]);
      req = { method: "POST", path: "/v1/embeddings", headers: JSON_H, body: JSON.stringify({ input: idx.map((i) => texts[i]), encoding_format: format }) };
      expect = 200;
      check = (j) => j.data.every((d, k) => same(format === "base64" ? f32(d.embedding) : d.embedding, baseline[idx[k]]));
    } else {
      [req, expect] = r.pick(bad);
    }
    const t0 = performance.now();
    const res = await send(agent, url, req);
    latencies.push(performance.now() - t0);
    if (res.error) {
      connErrors++;
      return;
    }
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status !== expect) {
      if (unexpected.length < 20) unexpected.push({ method: req.method, path: req.path, status: res.status, expected: expect, body: res.body.toString().slice(0, 200) });
      else unexpected.push(null);
    } else if (check && !check(JSON.parse(res.body))) {
      mismatched++;
    }
  };

  const t0 = performance.now();
  const until = t0 + 1000 * Number(seconds);
  await Promise.all(Array.from({ length: Number(clients) }, async () => {
    while (performance.now() < until) await one();
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const after = await embedAll();
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const result = {
    seed, clients: Number(clients), requests: latencies.length, seconds: elapsed, rps: latencies.length / elapsed,
    p50_ms: q(0.5), p99_ms: q(0.99), statuses, unexpected: unexpected.filter(Boolean), unexpected_count: unexpected.length,
    connection_errors: connErrors + socketErrors.length, mismatched_vectors: mismatched,
    after_mismatched: after.filter((v, i) => !same(v, baseline[i])).length,
  };
  writeFileSync(outFile, JSON.stringify(result, null, 1));
  process.stdout.write(`edge_load: ${result.requests} requests in ${elapsed.toFixed(1)} s (${result.rps.toFixed(0)}/s, p99 ${result.p99_ms.toFixed(0)} ms), ` +
    `${result.unexpected_count} unexpected, ${result.connection_errors} connection errors, ${mismatched} mismatched vectors\n`);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`edge_load: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
