// Cold start and background work, in Node, over an export folder's files served by a fake fetch that holds answers:
//   node web/scripts/background_check.mjs EXPORT_DIR TEXTS.json OUT.json
// 1. load() asks for tokenizer.bin and rows/index.bin before manifest.json has come (the manifest is held until both
//    are asked for, or 2 s); with {early: false} it asks for nothing before the manifest.
// 2. A batch does not wait for fill()'s background fetch of the whole table (held until the batch is done), and its
//    vectors equal the whole-table path's; fill() then completes with the whole table.
// 3. fill() over shards starts no fetch while a batch fetches its rows (the batch's fetches held for 150 ms), its
//    fetches are flagged background, and no shard is fetched twice.
// Writes OUT.json with what it saw; errors: one line, exit 1.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromArtifacts, load } from "../runtime/edgembed.mjs";
import { parseRowsIndex, shardPath } from "../runtime/rows.mjs";
import { readArrayBuffer } from "./from_disk.mjs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const same = (a, b) => a.length === b.length && a.every((v, i) => v.length === b[i].length && v.every((x, j) => Object.is(x, b[i][j])));

/** A fetch over DIR: logs each URL asked for; HOLD(rel) may return a promise the answer waits for. */
function folderFetch(dir, log, hold = () => null) {
  return async (url) => {
    const rel = new URL(url).pathname.slice(1);
    log.push(rel);
    await hold(rel);
    let body;
    try {
      body = readFileSync(join(dir, rel));
    } catch {
      return { ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) };
    }
    return { ok: true, status: 200, arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) };
  };
}

async function coldStart(dir) {
  const out = {};
  for (const early of [true, false]) {
    const log = [];
    let askedBeforeManifest = null;
    const hold = async (rel) => {
      if (rel !== "manifest.json") return;
      for (let t = 0; t < 2000 && !(log.includes("tokenizer.bin") && log.includes("rows/index.bin")); t += 10) await sleep(10);
      askedBeforeManifest = log.filter((r) => r !== "manifest.json");
    };
    const m = await load("http://export.test/", { fetch: folderFetch(dir, log, hold), early, rows: "lazy" });
    await m.embed(["a cat sits"]);
    out[early ? "early" : "late"] = { askedBeforeManifest, requests: log.filter((r) => !r.startsWith("rows/") || r === "rows/index.bin"),
      bytesFetched: m.stats.bytesFetched };
  }
  return out;
}

async function wholeInBackground(dir, manifest, texts, want) {
  const f = manifest.files;
  const index = readFileSync(join(dir, f.rows)), ix = parseRowsIndex(index);
  let release;
  const released = new Promise((r) => { release = r; });
  const asked = [];
  const m = await fromArtifacts({ manifest, tokenizerPack: readFileSync(join(dir, f.tokenizer_pack)), rows: { index,
    fetchShard: async (k) => readArrayBuffer(join(dir, shardPath(ix, k))),
    fetchWhole: async (o) => (asked.push(o), await released, readArrayBuffer(join(dir, f.flat))) } });
  const filling = m.fill(); // no shard here yet: the whole table, in the background
  await sleep(20);
  const t0 = performance.now();
  const got = await Promise.race([m.embed(texts), sleep(5000).then(() => null)]);
  const batchMs = performance.now() - t0;
  release();
  await filling;
  return { wholeAsked: asked, batchDone: got !== null, batchMs, identical: got !== null && same(got, want), after: m.stats.rows };
}

async function fillYields(dir, manifest, texts) {
  const f = manifest.files;
  const index = readFileSync(join(dir, f.rows)), ix = parseRowsIndex(index);
  const log = []; // [k, background, ms since start]
  let batchHeld = true;
  const t0 = performance.now();
  const m = await fromArtifacts({ manifest, tokenizerPack: readFileSync(join(dir, f.tokenizer_pack)), rows: { index,
    fetchShard: async (k, o) => {
      log.push([k, Boolean(o?.background), performance.now() - t0]);
      if (!o?.background && batchHeld) await sleep(150);
      else await sleep(1);
      return readArrayBuffer(join(dir, shardPath(ix, k)));
    } } });
  const batch = m.embed(texts); // its shard fetches start now and take 150 ms
  await sleep(5);
  const filling = m.fill({ concurrency: 3 });
  await sleep(100);
  const duringBatch = log.filter(([, bg]) => bg).length; // fill's fetches started while the batch fetched
  await batch;
  batchHeld = false;
  await filling;
  const ks = log.map(([k]) => k);
  return { duringBatch, batchShards: log.filter(([, bg]) => !bg).length, fillShards: log.filter(([, bg]) => bg).length,
    fetchedTwice: ks.length - new Set(ks).size, complete: m.stats.rows.complete, shards: ix.shards };
}

async function main([dir, textsFile, outFile]) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  const ref = await fromArtifacts({ manifest, tokenizerJson: readFileSync(join(dir, manifest.files.tokenizer), "utf8"),
    chartable: readArrayBuffer(join(dir, manifest.files.chartable)), flat: readArrayBuffer(join(dir, manifest.files.flat)) });
  const want = await ref.embed(texts);
  const out = { cold: await coldStart(dir), whole: await wholeInBackground(dir, manifest, texts, want),
    fill: await fillYields(dir, manifest, texts) };
  writeFileSync(outFile, JSON.stringify(out));
}

main(process.argv.slice(2)).catch((e) => {
  console.error(`background_check: ${String(e?.message ?? e).split("\n")[0]}`);
  process.exit(1);
});
