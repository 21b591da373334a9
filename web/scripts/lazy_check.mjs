// The lazy paths against the whole-table path, in Node, from an export folder's files (no fetch):
//   node web/scripts/lazy_check.mjs EXPORT_DIR TEXTS.json OUT_PREFIX
// Embeds TEXTS four ways: tokenizer.json + chartable.bin + model.edgembed (the reference path), the tokenizer pack +
// model.edgembed, the tokenizer pack + lazy rows (shards read on demand), and lazy rows in two halves (a second batch
// reusing the first's shards). Writes OUT_PREFIX.f32 (the reference vectors) and OUT_PREFIX.json: for each other path
// whether every vector is bit-identical (Object.is on every float), the ids' equality, shard counts, and whether the
// table rebuilt from every shard (fill + toFlat) equals model.edgembed byte for byte. Errors: one line, exit 1.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromArtifacts } from "../runtime/edgembed.mjs";
import { readArrayBuffer } from "./from_disk.mjs";
import { shardPath, parseRowsIndex } from "../runtime/rows.mjs";

const same = (a, b) => a.length === b.length && a.every((v, i) => v.length === b[i].length && v.every((x, j) => Object.is(x, b[i][j])));

async function main([dir, textsFile, prefix]) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));
  const f = manifest.files;
  const tokenizerJson = readFileSync(join(dir, f.tokenizer), "utf8");
  const chartable = f.chartable ? readArrayBuffer(join(dir, f.chartable)) : undefined;
  const flat = readArrayBuffer(join(dir, f.flat));
  const pack = f.tokenizer_pack ? readFileSync(join(dir, f.tokenizer_pack)) : null;
  const index = readFileSync(join(dir, f.rows));
  const ix = parseRowsIndex(index);
  let reads = 0;
  const rows = () => ({ index, fetchShard: async (k) => (reads++, readArrayBuffer(join(dir, shardPath(ix, k)))) });

  const ref = await fromArtifacts({ manifest, tokenizerJson, chartable, flat });
  const want = await ref.embed(texts);
  const tokA = pack ? await fromArtifacts({ manifest, tokenizerPack: pack, flat }) : null;
  const lazy = await fromArtifacts({ manifest, ...(pack ? { tokenizerPack: pack } : { tokenizerJson, chartable }), rows: rows() });
  const got = { pack_whole: tokA ? await tokA.embed(texts) : null, lazy: await lazy.embed(texts) };
  const lazyStats = lazy.stats.rows;
  const halves = await fromArtifacts({ manifest, tokenizerJson, chartable, rows: rows() });
  const mid = texts.length >> 1;
  got.lazy_halves = [...(await halves.embed(texts.slice(0, mid))), ...(await halves.embed(texts.slice(mid)))];
  const ids = { pack_whole: tokA ? texts.every((t) => JSON.stringify(tokA.tokenize(t)) === JSON.stringify(ref.tokenize(t))) : null };
  const tokenIds = texts.slice(0, 20).map((t) => Array.from(ref.tokenize(t)));
  const byIds = same(await lazy.embedIds(tokenIds), await ref.embedIds(tokenIds));
  await halves.fill({ concurrency: 8 });
  const rebuilt = Buffer.from(halves.impl.lazy.toFlat()).equals(Buffer.from(flat));
  const dims = ref.info.dims;
  const out = new Float32Array(texts.length * dims);
  want.forEach((v, i) => out.set(v, i * dims));
  writeFileSync(`${prefix}.f32`, out);
  writeFileSync(`${prefix}.json`, JSON.stringify({
    bitIdentical: Object.fromEntries(Object.entries(got).map(([k, v]) => [k, v ? same(v, want) : null])),
    idsEqual: ids, embedIdsBitIdentical: byIds, shardsFetched: lazyStats.shardsFetched, shards: lazyStats.shards,
    shardBytes: lazyStats.bytesFetched, rebuiltEqualsFlat: rebuilt, info: lazy.info, filled: halves.stats.rows, reads,
  }));
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`lazy_check: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
