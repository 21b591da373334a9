// Embed texts with transformers.js (Node) from an edgembed export folder, offline.
// usage: node transformersjs_embed.mjs EXPORT_DIR IN.json OUT.json
//   IN.json: {"batches": [["text", ...], ...]}  (each inner list is one pipeline call)
//   OUT.json: {"results": [{"dims", "embeddings": [[...], ...], "ids": [[...], ...]} | {"error": "message"}, ...]}
//   ids: the token ids transformers.js' own tokenizer fed the model (padding removed)
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';

const [dir, inPath, outPath] = process.argv.slice(2);
if (!dir || !inPath || !outPath) {
  console.error('usage: node transformersjs_embed.mjs EXPORT_DIR IN.json OUT.json');
  process.exit(2);
}

env.allowRemoteModels = false; // no network: the folder is the whole model
env.allowLocalModels = true;
const folder = path.resolve(dir);
env.localModelPath = path.dirname(folder) + path.sep; // a filesystem path, not a URL

// config.json's transformers.js_config.dtype = 'fp32' picks onnx/model.onnx; the graph pools itself.
const extractor = await pipeline('feature-extraction', path.basename(folder), { device: 'cpu' });
const { batches } = JSON.parse(await readFile(inPath, 'utf8'));
const results = [];
for (const texts of batches) {
  try {
    const out = await extractor(texts, { pooling: 'none' });
    const enc = extractor.tokenizer(texts, { padding: true, truncation: true }); // what the pipeline does
    const ids = enc.input_ids.tolist().map((row, i) => row.filter((_, j) => enc.attention_mask.tolist()[i][j] === 1n).map(Number));
    results.push({ dims: out.dims, embeddings: out.tolist(), ids });
  } catch (e) {
    results.push({ error: String(e?.message ?? e).split('\n')[0] });
  }
}
await writeFile(outPath, JSON.stringify({ results }));
await extractor.dispose();
