// Why a query's text shards are fetched, in the search box's order (keyword list, then hybrid; limit 8), in Node
// from an index folder on disk: per query, the shards first asked by each phase (kwshow: the keyword list's hits,
// first / second: hybrid's text prefetch before / after feedback, feedback: the feedback chunks, show: hybrid's hits),
// those only a prefetch asked for (waste) and those only feedback read, with their raw (uncompressed) bytes.
//   node benchmarks/text_fetch_why.mjs INDEX_DIR QUERIES.json [LIMIT]   (SEARCH_MJS=path: another search.mjs)
import { readFile } from "node:fs/promises";
import { pathToFileURL, fileURLToPath } from "node:url";
const [dir, qf, lim = "8"] = process.argv.slice(2);
const root = pathToFileURL(dir.endsWith("/") ? dir : dir + "/");
const sizes = new Map();
const diskFetch = async (url) => {
  const p = fileURLToPath(url);
  try {
    const buf = await readFile(p);
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    return { ok: true, status: 200, arrayBuffer: async () => ab, text: async () => buf.toString("utf8"), json: async () => JSON.parse(buf.toString("utf8")) };
  } catch { return { ok: false, status: 404 }; }
};
const { loadSearch } = await import(process.env.SEARCH_MJS ?? new URL("js/search.mjs", root).href);
const s = await loadSearch(root.href, { fetch: diskFetch });
let phase = "";
const seen = new Map(); // shard -> phase first asked
const asked = new Map(); // phase -> set
const ts = s.textShard.bind(s);
s.textShard = (k) => { if (!seen.has(k)) seen.set(k, phase); if (!asked.has(phase)) asked.set(phase, new Set()); asked.get(phase).add(k); return ts(k); };
const fb = s.feedback.bind(s);
s.feedback = async (...a) => { phase = "feedback"; const r = await fb(...a); phase = r === null ? "nofb" : "second"; return r; };
const rc = s.rankedChunks.bind(s);
s.rankedChunks = async (...a) => { const r = await rc(...a); phase = phase === "kwrank" ? "kwshow" : "show"; return r; };
const qs = JSON.parse(await readFile(qf, "utf8"));
for (const [i, q] of qs.entries()) {
  seen.clear(); asked.clear();
  phase = "kwrank";
  await s.search(q, { mode: "keyword", limit: Number(lim) });
  phase = "first";
  await s.search(q, { mode: "hybrid", limit: Number(lim) });
  const by = {};
  for (const [, p] of seen) by[p] = (by[p] ?? 0) + 1;
  const need = new Set([...(asked.get("kwshow") ?? []), ...(asked.get("show") ?? [])]);
  const fbs = new Set(asked.get("feedback") ?? []);
  const waste = [...seen.keys()].filter((k) => !need.has(k) && !fbs.has(k));
  const fbonly = [...seen.keys()].filter((k) => !need.has(k) && fbs.has(k));
  const sz = async (ks) => { let n = 0; for (const k of ks) n += (await readFile(dir + "/text/" + k + ".json")).length; return n; };
  console.log(i, JSON.stringify(by), "prefetch-waste", waste.length, await sz(waste), "feedback-only", fbonly.length, await sz(fbonly), "all", seen.size, await sz([...seen.keys()]));
}
