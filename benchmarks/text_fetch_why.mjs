// Why a query's text shards are fetched, in the search box's order run one after the other (the provisional keyword
// list, then hybrid; limit 8), in Node from an index folder on disk. Per query: "kwonly", the shards the keyword
// list asked for that the hybrid list and feedback did not (files, raw bytes); "best", the distinct best-chunk shards
// of both lists; "subonly", shards asked for only by sub-results; the phase that first asked for each shard (kwshow:
// the keyword list, first / second: hybrid's prefetch before / after feedback, feedback, show: hybrid's hits);
// "prefetch-waste" (asked only by a prefetch), "feedback-only" (asked only by feedback) and "all", with raw bytes.
//   node benchmarks/text_fetch_why.mjs INDEX_DIR QUERIES.json [LIMIT]
//   (SEARCH_MJS=path: another search.mjs; PROV=0: the keyword list not provisional, as before this round)
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
const bestS = new Set(), subS = new Set();
const hitf = s.hit.bind(s);
s.hit = (p, hits, score, ...rest) => {
  bestS.add(s.textShardOf(hits[0][0]));
  const long = s.first[p + 1] - s.first[p] > (s.meta.outline_chunks ?? Infinity);
  for (const [c] of hits.slice(1, 4)) if (long || true) subS.add(s.textShardOf(c));
  return hitf(p, hits, score, ...rest);
};
const qs = JSON.parse(await readFile(qf, "utf8"));
for (const [i, q] of qs.entries()) {
  seen.clear(); asked.clear(); bestS.clear(); subS.clear();
  phase = "kwrank";
  await s.search(q, { mode: "keyword", limit: Number(lim), provisional: process.env.PROV !== "0" });
  phase = "first";
  await s.search(q, { mode: "hybrid", limit: Number(lim) });
  const by = {};
  for (const [, p] of seen) by[p] = (by[p] ?? 0) + 1;
  const need = new Set([...(asked.get("kwshow") ?? []), ...(asked.get("show") ?? [])]);
  const fbs = new Set(asked.get("feedback") ?? []);
  const waste = [...seen.keys()].filter((k) => !need.has(k) && !fbs.has(k));
  const fbonly = [...seen.keys()].filter((k) => !need.has(k) && fbs.has(k));
  const sz = async (ks) => { let n = 0; for (const k of ks) n += (await readFile(dir + "/text/" + k + ".json")).length; return n; };
  const subOnly = [...seen.keys()].filter((k) => subS.has(k) && !bestS.has(k) && !fbs.has(k));
  const shw = new Set(asked.get("show") ?? []);
  const kwOnly = [...(asked.get("kwshow") ?? [])].filter((k) => !shw.has(k) && !fbs.has(k));
  console.log(i, "kwonly", kwOnly.length, await sz(kwOnly), "best", bestS.size, "subonly", subOnly.length, await sz(subOnly), JSON.stringify(by), "prefetch-waste", waste.length, await sz(waste), "feedback-only", fbonly.length, await sz(fbonly), "all", seen.size, await sz([...seen.keys()]));
}
