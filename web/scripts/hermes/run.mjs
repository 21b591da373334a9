// Running a built app bundle (build.mjs) on an export: the host prelude that plays the app's native side, the
// Hermes VM (or Node.js, as a peer for benchmarks) running prelude + bundle, and the parsing of what main.js prints.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { TOOLS, compile } from "./build.mjs";

/** A JS expression for VALUE (JSON, with U+2028/U+2029 escaped for parsers older than ES2019). */
export const literal = (value) => JSON.stringify(value).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

/** The VM's prelude: the export's files (as react-native-fs would read them) and the texts, on __edgembedHost. */
export function hostPrelude(exportDir, texts, quiet = false) {
  const manifestText = readFileSync(join(exportDir, "manifest.json"), "utf8");
  const manifest = JSON.parse(manifestText);
  const f = manifest.files ?? {};
  if (manifest.format !== "edgembed") throw new Error(`${exportDir} is not an edgembed export`);
  if (!f.flat || !f.chartable) throw new Error(`${exportDir} has no flat file or no chartable.bin: the React Native path needs both`);
  const files = {
    "manifest.json": { encoding: "utf8", data: manifestText },
    [f.tokenizer]: { encoding: "utf8", data: readFileSync(join(exportDir, f.tokenizer), "utf8") },
    [f.chartable]: { encoding: "base64", data: readFileSync(join(exportDir, f.chartable)).toString("base64") },
    [f.flat]: { encoding: "base64", data: readFileSync(join(exportDir, f.flat)).toString("base64") },
  };
  return `var __edgembedHost = {files: ${literal(files)}, texts: ${literal(texts)}, quiet: ${quiet}};\n`;
}

/** Parse the VM's output (main.js): one "V ids vector" line per text, then "EDGEMBED summary". */
export function parseOutput(stdout, n = null) {
  const ids = [], embeddings = [];
  let summary = null;
  for (const line of stdout.split("\n")) {
    if (line.startsWith("EDGEMBED-ERROR ")) throw new Error(`in Hermes: ${line.slice(15)}`);
    if (line.startsWith("V ")) {
      const cut = line.lastIndexOf(" ");
      ids.push(JSON.parse(line.slice(2, cut)));
      const bytes = Uint8Array.from(Buffer.from(line.slice(cut + 1), "base64")); // own buffer: 4-byte aligned
      embeddings.push(Array.from(new Float32Array(bytes.buffer)));
    } else if (line.startsWith("EDGEMBED ")) {
      summary = JSON.parse(line.slice(9));
    }
  }
  if (!summary || (n !== null && ids.length !== n)) throw new Error(`the Hermes VM printed ${ids.length} of ${n} vectors and ${summary ? "a" : "no"} summary`);
  return { ids, embeddings, summary };
}

/**
 * Write WORK/vm.js (the prelude for EXPORTDIR and TEXTS, then the "default" bundle of BUILT, a `build` folder) and
 * compile it with the VM's own hermesc. Returns {js, hbc, compileMs}.
 */
export function prepare(built, work, exportDir, texts, quiet = false) {
  const js = join(work, "vm.js"), hbc = join(work, "vm.hbc");
  writeFileSync(js, hostPrelude(exportDir, texts, quiet) + readFileSync(join(built, "index.default.bundle.js"), "utf8"));
  const t = performance.now();
  compile(TOOLS.vmHermesc(), js, hbc);
  return { js, hbc, compileMs: Math.round(performance.now() - t) };
}

/** Run the compiled bundle in the Hermes VM; its stdout. */
export function runHermes(hbc) {
  try {
    return execFileSync(TOOLS.vm(), [hbc], { encoding: "utf8", maxBuffer: 1 << 30, timeout: 600_000,
      stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`the Hermes VM failed (exit ${e.status}): ${String(e.stderr || e.stdout).trim().split("\n")[0]}`);
  }
}

/**
 * Run the same source in Node.js (V8), in a fresh context with V8's built-ins and the shell's print but none of
 * Node.js's globals: the benchmarks' peer. Resolves to what main.js printed.
 */
export async function runNode(js) {
  const lines = [];
  let done;
  const finished = new Promise((r) => { done = r; });
  const print = (line) => { lines.push(line); if (/^EDGEMBED(-ERROR)? /.test(line)) done(); };
  runInNewContext(readFileSync(js, "utf8"), { print }, { filename: js });
  await finished;
  return lines.join("\n");
}
