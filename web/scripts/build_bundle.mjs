// web/runtime/edgembed.bundle.mjs: edgembed.mjs and every module it imports statically, in one minified file, so a
// page that imports it fetches one file instead of a chain of import levels (one round trip each on a phone).
// The modules edgembed.mjs loads on demand (onnx backend, worker pool, self-test, the tokenizers library path) stay
// separate files next to it. The sources in web/runtime/ are the truth; this file is made from them:
//   node web/scripts/build_bundle.mjs           # write web/runtime/edgembed.bundle.mjs
//   node web/scripts/build_bundle.mjs --check   # exit 1 when the committed bundle is not what the sources give
import { build } from "esbuild";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const RUNTIME = join(dirname(fileURLToPath(import.meta.url)), "..", "runtime");
const OUT = join(RUNTIME, "edgembed.bundle.mjs");
export const ON_DEMAND = ["./onnx.mjs", "./pool.mjs", "./selftest.mjs", "./tokenize_core.mjs"];
const BANNER = "// edgembed.bundle.mjs: web/runtime/edgembed.mjs and its static imports in one file (esbuild, minified; made by "
  + "node web/scripts/build_bundle.mjs from the sources next to it, which are the truth). Types: edgembed.bundle.d.ts.";

const res = await build({
  entryPoints: [join(RUNTIME, "edgembed.mjs")], bundle: true, format: "esm", minify: true, write: false,
  external: ON_DEMAND, banner: { js: BANNER }, legalComments: "none", target: "es2022", logLevel: "error",
});
const code = res.outputFiles[0].text;
if (process.argv.includes("--check")) {
  let have = "";
  try {
    have = readFileSync(OUT, "utf8");
  } catch {
    // missing: reported below
  }
  if (have !== code) {
    console.error("build_bundle: web/runtime/edgembed.bundle.mjs is not what the sources give: run `node web/scripts/build_bundle.mjs`");
    process.exit(1);
  }
  console.log(`build_bundle: edgembed.bundle.mjs is current (${code.length} bytes)`);
} else {
  writeFileSync(OUT, code);
  console.log(`build_bundle: wrote ${OUT} (${code.length} bytes)`);
}
