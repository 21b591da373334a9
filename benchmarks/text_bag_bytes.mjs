// Text and term-bag bytes of a visit, the box's two lists run together as the browser runs them (the provisional
// keyword list and hybrid, limit 8), in Node from an index folder on disk: files and estimated wire bytes (gzip of
// each file + 300 bytes of headers) of text/ and bags/ over all the visit's questions.
//   node benchmarks/text_bag_bytes.mjs INDEX_DIR QUERIES.json   (SEARCH_MJS=path: another search.mjs)
import { readFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { pathToFileURL, fileURLToPath } from "node:url";
const [dir, qf] = process.argv.slice(2);
const root = pathToFileURL(dir + "/");
const by = {};
const diskFetch = async (url) => {
  const p = fileURLToPath(url); const buf = await readFile(p);
  const kind = p.split("_edgembed/").pop().split("/")[0];
  if (["text", "bags"].includes(kind)) { by[kind] ??= [0, 0]; by[kind][0]++; by[kind][1] += gzipSync(buf).length + 300; }
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { ok: true, status: 200, arrayBuffer: async () => ab, text: async () => buf.toString("utf8"), json: async () => JSON.parse(buf.toString("utf8")) };
};
const { loadSearch } = await import(process.env.SEARCH_MJS ?? new URL("js/search.mjs", root).href);
const s = await loadSearch(root.href, { fetch: diskFetch });
for (const q of JSON.parse(await readFile(qf, "utf8"))) {
  await Promise.all([s.search(q, { mode: "keyword", limit: 8, provisional: true }), s.search(q, { mode: "hybrid", limit: 8 })]);
}
console.log(JSON.stringify(by));
