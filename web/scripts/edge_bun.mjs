// Serve an export's edge worker with Bun, on 127.0.0.1: the worker's default export goes to Bun.serve as is.
//   bun web/scripts/edge_bun.mjs EDGE_DIR PORT
// Prints one line "listening http://127.0.0.1:PORT/".
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [dir, port = "0"] = process.argv.slice(2);
const worker = (await import(pathToFileURL(resolve(dir, "worker.mjs")).href)).default;
const server = Bun.serve({ port: Number(port), hostname: "127.0.0.1", fetch: worker.fetch });
console.log(`listening http://127.0.0.1:${server.port}/`);
