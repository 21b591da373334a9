// The seeded hostile requests of edge_cases.mjs against a running edge worker, over keep-alive connections.
//   node web/scripts/edge_hostile.mjs URL SEED ORIGIN OUT.json
// Prints the seed; OUT.json: {seed, cases, kinds: {kind: n}, failures: [{kind, method, path, bytes, problems}],
// connection_errors, after: {info, same_vector}}. Exit 0 when it ran (the caller judges OUT.json), 1 if it could not.
import http from "node:http";
import { writeFileSync } from "node:fs";
import { checkAnswer, hostileCases } from "./edge_cases.mjs";
import { send, socketErrors } from "./edge_http.mjs";

const CONCURRENCY = 4;
const PROBE = { method: "POST", path: "/embed", headers: { "content-type": "application/json" },
  body: JSON.stringify({ texts: ["the same text before and after", "boundary layer"] }) };

async function main([url, seedArg, origin, outFile]) {
  const seed = Number(seedArg);
  process.stdout.write(`edge_hostile: seed ${seed}\n`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const info = JSON.parse((await send(agent, url, { method: "GET", path: "/" })).body);
  const before = await send(agent, url, PROBE);
  const cases = hostileCases(seed, info);
  const want = { origin, dims: info.dims };
  const failures = [], kinds = {};
  let connErrors = 0, next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
      const res = await send(agent, url, c);
      const problems = res.error ? [`connection error ${res.error}`] : checkAnswer(c, res, want);
      if (res.error) connErrors++;
      const bytes = c.body === null ? 0 : typeof c.body === "string" ? Buffer.byteLength(c.body) : c.body.length;
      if (problems.length) failures.push({ kind: c.kind, method: c.method, path: c.path.slice(0, 80), bytes, problems });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const infoAfter = await send(agent, url, { method: "GET", path: "/" });
  const after = await send(agent, url, PROBE);
  agent.destroy();
  const result = {
    seed, cases: cases.length, kinds, failures, connection_errors: connErrors + socketErrors.length, socket_errors: socketErrors,
    after: { info: infoAfter.status, same_vector: before.status === 200 && after.status === 200 && before.body.equals(after.body) },
  };
  writeFileSync(outFile, JSON.stringify(result, null, 1));
  process.stdout.write(`edge_hostile: ${cases.length} requests, ${failures.length} wrong, ${result.connection_errors} connection errors\n`);
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`edge_hostile: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
