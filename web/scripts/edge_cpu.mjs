// CPU time per request of an exported edge worker. In-process: the worker's `fetch(Request)` timed with
// process.cpuUsage() (user + system, every thread of the process); runs under Node (V8, the engine of workerd,
// where performance.now() does not advance during synchronous work), Deno and Bun:
//   node web/scripts/edge_cpu.mjs EDGE_DIR TEXTS.json SEED OUT.json
//   deno run --allow-read --allow-write web/scripts/edge_cpu.mjs ...      bun web/scripts/edge_cpu.mjs ...
// Over HTTP, for a server in any runtime (workerd included), Linux only: the CPU the server's process group
// spent per request (/proc/PID/task/TID/schedstat, nanoseconds), requests sent one at a time:
//   node web/scripts/edge_cpu.mjs --url URL PGID TEXTS.json SEED OUT.json
// OUT.json: {runtime, cold: {import_ms, first_ms}, batches: {N: {median_ms, max_ms, runs}}, hostile: {kind:
// {n, median_ms, max_ms, worst}}, worst_hostile, expensive: {name: {bytes, status, median_ms, max_ms}}}.
import http from "node:http";
import process from "node:process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { hostileCases } from "./edge_cases.mjs";
import { send } from "./edge_http.mjs";

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const runtime = typeof Bun !== "undefined" ? `bun ${Bun.version}` : typeof Deno !== "undefined" ? `deno ${Deno.version.deno}` : `node ${process.versions.node}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const round = (x) => Math.round(x * 100) / 100;

/** CPU ms of one request through the worker (the answer's body read outside the timing), and its status. */
async function timed(worker, c) {
  const init = { method: c.method, headers: c.headers };
  if (c.body !== null && c.method !== "GET" && c.method !== "HEAD") init.body = c.body;
  const req = new Request("http://127.0.0.1" + c.path, init);
  const t0 = cpuMs();
  const res = await worker.fetch(req);
  const ms = cpuMs() - t0;
  const body = await res.arrayBuffer();
  return { ms, status: res.status, json: () => JSON.parse(new TextDecoder().decode(body)) };
}

/** CPU ms spent so far by every thread of every process in process group PGID. */
function groupCpuMs(pgid) {
  let ns = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]) !== pgid) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // a process that just ended
    }
  }
  return ns / 1e6;
}

/** A `worker` whose fetch goes over HTTP to URL, timed by the server's process-group CPU. A connection error
 * is recorded in `errors` (with the request before it) and the request sent again once on a new connection. */
function httpWorker(url, pgid) {
  let agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let last = "nothing";
  const errors = [];
  return {
    errors,
    async timed(c) {
      for (let attempt = 0; ; attempt++) {
        const t0 = groupCpuMs(pgid);
        const res = await send(agent, url, c);
        const ms = groupCpuMs(pgid) - t0;
        const what = `${c.kind ?? "request"} ${c.method} ${c.path.slice(0, 30)} (${c.body?.length ?? 0} chars)`;
        if (res.error) {
          errors.push(`${what} after ${last}: ${res.error}`);
          agent.destroy();
          agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
          if (attempt === 0) continue;
          throw new Error(`${what}: connection error ${res.error} twice`);
        }
        last = `${what} -> ${res.status}`;
        return { ms, status: res.status, json: () => JSON.parse(res.body) };
      }
    },
  };
}

/** Valid requests inside the limits that cost the most work. */
function expensive(texts, maxBytes, maxTexts, vocab) {
  const json = (o) => JSON.stringify(o);
  const fill = (unit, n) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
  const room = maxBytes - 64;
  const doc2k = texts.join(" ").slice(0, 2000 * maxTexts);
  const long = Array.from({ length: maxTexts }, (_, i) => doc2k.slice((i * 997) % (doc2k.length - 2000), ((i * 997) % (doc2k.length - 2000)) + 1900));
  const ids = [];
  for (let i = 0; ids.join(",").length < room - 20 && ids.length < 4e6; i++) ids.push(...Array(1000).fill(0).map((_, k) => (i * 1000 + k) % vocab));
  while (ids.join(",").length > room - 20) ids.length -= 1000;
  return {
    [`${maxTexts} texts of ~1.9 KB`]: json({ texts: long }),
    "one 4 MiB text of words": json({ texts: [fill("boundary layer flow ", room)] }),
    "4 MiB of one word": json({ texts: [fill("a", room)] }),
    "4 MiB of combining marks": json({ texts: ["e" + fill("\u0301", room / 2 - 2)] }),
    "4 MiB of CJK": json({ texts: [fill("的是不了人我在有他这", room / 3 - 2)] }),
    "4 MiB of CJK, spaced": json({ texts: [fill("的 是 不 了 人 ", room / 2 - 2)] }),
    [`${ids.length} token ids`]: json({ input: ids }),
  };
}

async function inProcess(dir) {
  const root = resolve(dir);
  const c0 = cpuMs();
  await import(pathToFileURL(resolve(root, "model.mjs")).href);
  const c1 = cpuMs();
  const worker = (await import(pathToFileURL(resolve(root, "worker.mjs")).href)).default;
  const first = await worker.fetch(new Request("http://127.0.0.1/embed", { method: "POST", body: '{"texts": ["hello world"]}' }));
  const c2 = cpuMs();
  if (first.status !== 200) throw new Error(`the first /embed answered ${first.status}`);
  return { worker: { timed: (c) => timed(worker, c) }, cold: { import_ms: round(c1 - c0), first_ms: round(c2 - c1) } };
}

async function main(argv) {
  const overHttp = argv[0] === "--url";
  const [target, pgid] = overHttp ? [argv[1], Number(argv[2])] : [argv[0]];
  const [textsFile, seedArg, outFile] = argv.slice(overHttp ? 3 : 1);
  const { worker, cold } = overHttp ? { worker: httpWorker(target, pgid), cold: null } : await inProcess(target);
  const out = { runtime: overHttp ? `over HTTP (${target})` : runtime, cold, batches: {}, hostile: {}, expensive: {} };
  const info = (await worker.timed({ method: "GET", path: "/", headers: {}, body: null })).json();
  const texts = JSON.parse(readFileSync(textsFile, "utf8"));

  for (const n of [1, 16, 64]) {
    const runs = [];
    for (let k = 0; k < 60; k++) {
      const at = (k * n * 7) % Math.max(1, texts.length - n);
      const { ms, status } = await worker.timed({ method: "POST", path: "/embed", headers: {}, body: JSON.stringify({ texts: texts.slice(at, at + n) }) });
      if (status !== 200) throw new Error(`/embed of ${n} answered ${status}`);
      if (k >= 10) runs.push(ms); // the first 10: JIT warm-up
    }
    out.batches[n] = { median_ms: round(median(runs)), max_ms: round(Math.max(...runs)), runs: runs.length };
  }

  const cases = hostileCases(Number(seedArg), info);
  for (let pass = 0; pass < 2; pass++) { // pass 0 warms up the JIT; pass 1 is reported
    for (const c of cases) {
      const { ms, status } = await worker.timed(c);
      if (status !== c.expect.status) throw new Error(`${c.kind} ${c.method} ${c.path.slice(0, 40)}: ${status}, expected ${c.expect.status}`);
      if (pass === 0) continue;
      const k = (out.hostile[c.kind] ??= { n: 0, all: [], max_ms: 0, worst: "" });
      k.n++;
      k.all.push(ms);
      if (ms >= k.max_ms) {
        const bytes = c.body === null ? 0 : typeof c.body === "string" ? new TextEncoder().encode(c.body).length : c.body.length;
        Object.assign(k, { max_ms: round(ms), worst: `${c.method} ${c.path.slice(0, 30)} (${bytes} bytes) -> ${status}` });
      }
    }
  }
  let worst = null;
  for (const [kind, k] of Object.entries(out.hostile)) {
    k.median_ms = round(median(k.all));
    delete k.all;
    if (kind !== "valid" && kind !== "hostile-text" && kind !== "boundary" && (!worst || k.max_ms > worst.max_ms)) worst = { kind, ...k };
  }
  out.worst_hostile = worst; // over the refusals (valid requests are in `expensive`)

  for (const [name, body] of Object.entries(expensive(texts, info.limits.max_bytes, info.limits.max_texts, info.vocab_size))) {
    const runs = [];
    let status = 0;
    for (let k = 0; k < 4; k++) {
      const path = name.endsWith("token ids") ? "/v1/embeddings" : "/embed";
      ({ ms: runs[k], status } = await worker.timed({ method: "POST", path, headers: {}, body }));
    }
    runs.shift(); // warm-up
    out.expensive[name] = { bytes: new TextEncoder().encode(body).length, status, median_ms: round(median(runs)), max_ms: round(Math.max(...runs)) };
  }
  if (worker.errors) out.connection_errors = worker.errors;
  writeFileSync(outFile, JSON.stringify(out, null, 1));
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`edge_cpu: error: ${String(e?.message ?? e).split("\n")[0]}\n`);
  process.exit(1);
});
