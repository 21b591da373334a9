// The official `openai` client, unmodified but for baseURL, against an edge worker's /v1/embeddings.
//   node web/scripts/edge_openai.mjs BASE_URL CASES.json OUT.json
// CASES.json: [{"name", "params"}] where params go to client.embeddings.create as they are.
// OUT.json: [{"name", "ok", "type", "data": [{"index", "embedding": [float]}], "model", "usage"}] or, for a request
// the worker refused, {"name", "ok": false, "status", "error"} (the client's APIError). Base64 strings are
// decoded here (little-endian float32) so the caller compares floats; "type" says what the client returned.
import { readFileSync, writeFileSync } from "node:fs";
import OpenAI from "openai";

async function main([baseURL, casesFile, outFile]) {
  const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 60_000 });
  const results = [];
  for (const { name, params } of JSON.parse(readFileSync(casesFile, "utf8"))) {
    try {
      const res = await client.embeddings.create(params);
      const first = res.data[0]?.embedding;
      results.push({
        name, ok: true, model: res.model, usage: res.usage, object: res.object,
        type: typeof first === "string" ? "base64" : first instanceof Float32Array ? "Float32Array" : Array.isArray(first) ? "array" : typeof first,
        data: res.data.map((d) => ({ object: d.object, index: d.index, embedding: Array.from(typeof d.embedding === "string" ? fromBase64(d.embedding) : d.embedding) })),
      });
    } catch (e) {
      if (e?.status === undefined) throw e;
      results.push({ name, ok: false, status: e.status, error: e.error ?? null });
    }
  }
  writeFileSync(outFile, JSON.stringify(results));
}

function fromBase64(s) {
  const b = Buffer.from(s, "base64");
  const out = new Float32Array(b.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(4 * i);
  return out;
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`edge_openai: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
