// Run site-search queries in Node over an index folder on disk (no server): prints one JSON list a line, like
// `edgembed search INDEX --queries FILE --json`.  node search_node.mjs INDEX_DIR QUERIES.json MODE LIMIT
import { readFile } from "node:fs/promises";
import { pathToFileURL, fileURLToPath } from "node:url";

const [dir, queriesFile, mode = "hybrid", limit = "10"] = process.argv.slice(2);
const root = pathToFileURL(dir.endsWith("/") ? dir : dir + "/");
const diskFetch = async (url) => {
  try {
    const buf = await readFile(fileURLToPath(url));
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    return { ok: true, status: 200, arrayBuffer: async () => ab, text: async () => buf.toString("utf8"), json: async () => JSON.parse(buf.toString("utf8")) };
  } catch {
    return { ok: false, status: 404 };
  }
};
const { loadSearch } = await import(new URL("js/search.mjs", root).href);
const s = await loadSearch(root.href, { fetch: diskFetch });
const queries = JSON.parse(await readFile(queriesFile, "utf8"));
const out = [];
for (const q of queries) {
  const hits = await s.search(q, { mode, limit: Number(limit) });
  out.push(JSON.stringify(hits));
}
process.stdout.write(out.join("\n") + "\n");
