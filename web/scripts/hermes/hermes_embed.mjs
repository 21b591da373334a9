// edgembed in Hermes, built the way a React Native release build builds an app.
//   node web/scripts/hermes/hermes_embed.mjs build DIR
//     app.js + main.js bundled by Metro (build.mjs) once per transform profile ("default": `react-native bundle`'s;
//     "hermes-stable": the Hermes V1 profile), each compiled by the current hermesc (npm hermes-compiler,
//     react-native's pin): what an app ships. DIR/build.json: {timings (ms), bytes, engines}.
//   node web/scripts/hermes/hermes_embed.mjs embed DIR EXPORT_DIR TEXTS.json OUT.json
//     the Hermes VM (npm hermes-engine-cli: an older Hermes, another bytecode version) runs DIR's "default" bundle,
//     compiled by the VM's own hermesc, after a prelude that plays the app's native side: it offers the export's
//     files the way react-native-fs readFile(path, encoding) does (manifest.json and tokenizer.json as text,
//     chartable.bin and model.edgembed as base64) and the texts (TEXTS.json: a JSON array of strings).
//     OUT.json: {ids, embeddings, info, absent (globals the VM lacks), timings (ms), engines}.
// Errors: one line on stderr, exit 1, no partial output.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PROFILES, TOOLS, compile, hermesVersion, metroBundle, writeApp } from "./build.mjs";
import { parseOutput, prepare, runHermes } from "./run.mjs";

const USAGE = "usage: node hermes_embed.mjs build DIR | embed DIR EXPORT_DIR TEXTS.json OUT.json";

const since = (t) => Math.round(performance.now() - t);

/** Write FILE atomically (a temporary sibling, then a rename). */
function writeAtomic(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

async function build(dir) {
  const hermesc = TOOLS.hermesc();
  mkdirSync(dir, { recursive: true });
  writeApp(join(dir, "app"));
  const timings = {}, bytes = {};
  for (const profile of PROFILES) {
    let t = performance.now();
    const bundle = await metroBundle(join(dir, "app"), profile, join(dir, `index.${profile}.bundle.js`));
    timings[`metro_${profile}`] = since(t);
    bytes[`bundle_${profile}`] = readFileSync(bundle).length;
    t = performance.now();
    bytes[`hbc_${profile}`] = compile(hermesc, bundle, join(dir, `index.${profile}.hbc`));
    timings[`hermesc_${profile}`] = since(t);
  }
  writeAtomic(join(dir, "build.json"), JSON.stringify({ timings, bytes, engines: { hermesc: hermesVersion(hermesc) } }));
}

async function embed(dir, exportDir, textsFile, outFile) {
  if (!existsSync(join(dir, "build.json"))) throw new Error(`no build in ${dir}: run \`node hermes_embed.mjs build ${dir}\` first`);
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) throw new Error(`${textsFile} is not a JSON array of strings`);
  const work = mkdtempSync(join(tmpdir(), "edgembed-hermes-"));
  let stdout, compileMs, t;
  try {
    let hbc;
    ({ hbc, compileMs } = prepare(dir, work, exportDir, texts));
    t = performance.now();
    stdout = runHermes(hbc);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const timings = { vm_hermesc: compileMs, vm_run: since(t) }; // vm_run: the process, bytecode load to the last print
  const { ids, embeddings, summary } = parseOutput(stdout, texts.length);
  Object.assign(timings, { bundle_start: summary.bundleStartMs, load: summary.loadMs, embed: summary.embedMs });
  const engines = { vm: hermesVersion(TOOLS.vm()), ran: "the default-profile bundle, compiled by the VM's own hermesc" };
  writeAtomic(outFile, JSON.stringify({ ids, embeddings, info: summary.info, absent: summary.absent, timings, engines }));
}

async function main([command, ...args]) {
  if (command === "build" && args.length === 1) return build(resolve(args[0]));
  if (command === "embed" && args.length === 4) return embed(resolve(args[0]), ...args.slice(1));
  throw new Error(USAGE);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`hermes_embed: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
