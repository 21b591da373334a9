// Serve an export's edge worker in workerd through miniflare, on 127.0.0.1.
//   node web/scripts/edge_miniflare.mjs EDGE_DIR PORT
// Prints one line "listening http://127.0.0.1:PORT/" once workerd answers; stops on SIGTERM/SIGINT.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Miniflare } from "miniflare";

const [dir, port = "0"] = process.argv.slice(2);
if (!dir) {
  process.stderr.write("usage: node edge_miniflare.mjs EDGE_DIR PORT\n");
  process.exit(2);
}
const root = resolve(dir);
// The compatibility date `wrangler deploy` would use (wrangler.toml), so workerd runs it the same way.
const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))?.[1];
const mf = new Miniflare({
  modules: true, scriptPath: join(root, "worker.mjs"), modulesRoot: root,
  ...(date ? { compatibilityDate: date } : {}),
  host: "127.0.0.1", port: Number(port),
});
try {
  const url = await mf.ready;
  process.stdout.write(`listening ${url}\n`);
} catch (e) {
  process.stderr.write(`edge_miniflare: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  await mf.dispose().catch(() => {});
  process.exit(1);
}
const stop = async () => {
  await mf.dispose().catch(() => {});
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
