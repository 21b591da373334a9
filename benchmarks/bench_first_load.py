"""What a first visit costs, as a user feels it: time and bytes on the wire to the model being ready, to the first
search result, and per later query, in Chromium on a throttled network, side by side in one run.

    python3 benchmarks/bench_first_load.py [--profiles mobile,4g,loopback] [--variants lazy,whole,onnx,minimal,tjs]
                                           [--quant int8] [--dims 256] [--queries 10] [--json out.json] [--base REF]

Profiles (Chromium's DevTools network emulation: a latency added to every request, and link rates): "mobile" is
Lighthouse's mobile profile (150 ms, 1,638 kbit/s down, 675 up), "4g" a faster one (85 ms, 9 Mbit/s down and up),
"loopback" no throttling. Variants, on one export of the same model (default: the default model, int8@256) served by
`edgembed serve` (HTTP/1.1 keep-alive, gzip for text and JSON as a static host sends it):
  exported the demo as exported, as a visitor gets it: background fill() and offline caching (the service worker) on
  lazy     the demo with its background work off (?fill=0&offline=0): the tokenizer pack, rows/index.bin, then the
           rows each query needs (later queries show their own cost)
  whole    the demo with ?rows=whole: model.edgembed fetched whole, as before lazy rows
  onnx     the demo with the onnx backend (onnxruntime-web: its wasm, onnx/model.onnx)
  minimal  a page of five lines that imports the runtime (edgembed.bundle.mjs, one file), load()s the export and
           embeds one query (no preload hints)
  modules  the same page importing edgembed.mjs, the runtime as separate modules (one import level per round trip)
  tjs      transformers.js 4 on the same export (the pipeline over onnx/model.onnx)
--base REF: the same variants also on the previous code (git REF of this repository, e.g. HEAD~3), exported by
that code into a second folder of the same site and visited interleaved with this code's (rows named "base:VARIANT").
Each visit is a fresh browser context (empty cache). "first result": the demo's first search shown (its marks
edgembed:model-ready / edgembed:first-result), or for the two pages their first query embedded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
WEB = ROOT / "web"
PROFILES = {"mobile": {"latencyMs": 150, "downKbps": 1638.4, "upKbps": 675},
            "4g": {"latencyMs": 85, "downKbps": 9000, "upKbps": 9000},
            "loopback": None}
VARIANTS = ("exported", "lazy", "whole", "onnx", "minimal", "modules", "tjs")
QUERIES = ["how do I catch an exception?", "sort a list in place", "what does the with statement do", "lambda functions",
           "string formatting with f-strings", "how are default arguments evaluated", "difference between is and ==",
           "iterate over a dictionary", "generators and yield", "class inheritance and super",
           "read a file line by line"]
MINIMAL = """<!doctype html><meta charset="utf-8"><title>edgembed: one query</title>
<script type="module">
  import { load } from "./demo/runtime/edgembed.bundle.mjs";
  const t = {}, model = load("./").then((m) => (t.ready = performance.now(), m));
  const embed = async (q) => (await model).embed([q]);
  window.bench = { ready: model.then(() => t.ready), first: embed(%s).then(() => performance.now()), embed,
    phases: model.then((m) => ({ ...m.loadStats.phases, start: t.ready - m.loadStats.loadMs })) };
</script>"""
TJS_WRAP = """<!doctype html><meta charset="utf-8"><title>transformers.js: one query</title>
<script type="module">
  import "./page.mjs";
  const ready = window.edgembed.ready.then(() => performance.now());
  const embed = async (q) => { await window.edgembed.ready; return window.edgembed.embed([q]); };
  window.bench = { ready, first: ready.then(() => embed(%s)).then(() => performance.now()), embed };
</script>"""


def pages(folder: Path) -> None:
    """The two small pages (minimal, modules) in an export FOLDER."""
    (folder / "min.html").write_text(MINIMAL % json.dumps(QUERIES[0]), encoding="utf-8")
    modules = (MINIMAL % json.dumps(QUERIES[0])).replace("edgembed.bundle.mjs", "edgembed.mjs")
    (folder / "modules.html").write_text(modules, encoding="utf-8")


def build_base(site: Path, ref: str, quant: str, dims: int | None) -> None:
    """The same export made by the code at git REF (this repository), in SITE/base: the previous code, side by side."""
    src = site.parent / "base-src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    (src / "web" / "node_modules").symlink_to((WEB / "node_modules").resolve())
    cmd = [sys.executable, "-m", "exporter", "export", "--out", str(site / "base"), "--quant", quant]
    if dims:
        cmd += ["--dims", str(dims)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run(cmd, check=True, cwd=src, env=env, stdout=subprocess.DEVNULL)
    pages(site / "base")


def build(site: Path, quant: str, dims: int | None, variants: list[str]) -> None:
    from bench_browser import TJS, TJS_PAGE, ort_wasm_dir  # noqa: F401  (the transformers.js page's files)

    from exporter.pipeline import export

    export(None, site / "m", dims=dims, quant=quant, demo=True)
    pages(site / "m")
    if "tjs" in variants:
        tjs = site / "tjs"
        tjs.mkdir()
        shutil.copyfile(TJS / "dist" / "transformers.min.js", tjs / "transformers.min.js")
        for suffix in ("", ".asyncify"):
            for ext in ("mjs", "wasm"):
                name = f"ort-wasm-simd-threaded{suffix}.{ext}"
                shutil.copyfile(ort_wasm_dir() / name, tjs / name)
        shutil.copyfile(WEB / "scripts" / "bench_tjs_page.mjs", tjs / "page.mjs")
        (tjs / "index.html").write_text(TJS_WRAP % json.dumps(QUERIES[0]), encoding="utf-8")


def visits(base: str, profiles: list[str], variants: list[str], n_later: int, repeat: int, with_base: bool = False) -> list[dict]:
    """Every (profile, variant) visit REPEAT times, rounds interleaved (load from elsewhere hits all alike), after one
    discarded warm-up visit (the browser's first page pays its own start-up). WITH_BASE: each variant also on the
    previous code's export (folder base/), right after this code's."""
    later = QUERIES[1 : 1 + n_later]
    urls = {"exported": ("demo", "m/index.html"), "lazy": ("demo", "m/index.html?fill=0&offline=0"), "whole": ("demo", "m/index.html?rows=whole&fill=0&offline=0"),
            "onnx": ("demo", "m/index.html?backend=onnx&offline=0"), "minimal": ("page", "m/min.html"), "modules": ("page", "m/modules.html"),
            "tjs": ("page", "tjs/index.html?model=m")}
    out = [{"name": "warm-up/minimal", "profile": None, "url": base + urls["minimal"][1], "kind": "page", "queries": []}]
    for p in profiles:
        for _ in range(repeat):
            for v in variants:
                kind, url = urls[v]
                out.append({"name": f"{p}/{v}", "profile": PROFILES[p], "url": base + url, "kind": kind, "queries": later})
                if with_base and v != "tjs":
                    out.append({"name": f"{p}/base:{v}", "profile": PROFILES[p], "url": base + "base/" + url[2:], "kind": kind,
                                "queries": later})
    return out


def warm(site: Path, port: int) -> None:
    """Ask for every file once, compressed as browsers ask: a static host serves cached or precompressed bodies, so the
    visits should not pay edgembed serve's first compression of each file."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port)
    for f in sorted(site.rglob("*")):
        if f.is_file() and f.suffix in (".html", ".mjs", ".js", ".json", ".css", ".wasm"):
            conn.request("GET", "/" + f.relative_to(site).as_posix(), headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
            conn.getresponse().read()
    conn.close()


def fmt_bytes(n: float) -> str:
    return f"{n / 1e6:,.2f} MB" if n >= 1e6 else f"{n / 1e3:,.1f} kB"


def table(result: dict) -> str:
    """Per (profile, variant): the median over its visits (min-max of the times in brackets when repeated)."""
    lines = ["| profile | variant | ready | bytes to ready | first result | bytes to first result | later query (mean) | "
             "bytes per later query (mean) |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    groups: dict[str, list[dict]] = {}
    for v in result["visits"]:
        if not v["name"].startswith("warm-up/"):
            groups.setdefault(v["name"], []).append(v)
    for name, vs in groups.items():
        p, variant = name.split("/")
        bad = [v["error"] for v in vs if v.get("error")]
        if bad:
            lines.append(f"| {p} | {variant} | error: {bad[0]} | | | | | |")
            continue
        med = lambda key: statistics.median(v[key] for v in vs)  # noqa: E731
        span = lambda key: f" ({min(v[key] for v in vs):,.0f}–{max(v[key] for v in vs):,.0f})" if len(vs) > 1 else ""  # noqa: E731
        later = [x for v in vs for x in v.get("later") or []]
        ms = statistics.mean(x["ms"] for x in later) if later else float("nan")
        kb = statistics.mean(x["bytes"] for x in later) if later else float("nan")
        lines.append(f"| {p} | {variant} | {med('readyMs'):,.0f} ms{span('readyMs')} | {fmt_bytes(med('readyBytes'))} | "
                     f"{med('firstMs'):,.0f} ms{span('firstMs')} | {fmt_bytes(med('firstBytes'))} | {ms:,.1f} ms | {fmt_bytes(kb)} |")
    for name, vs in groups.items():  # where load()'s time went: its start after navigation, then its phases
        ph = [v["phases"] for v in vs if v.get("phases") and "start" in v["phases"]]
        if ph:
            if lines[-1].startswith("|"):
                lines.append("")
            med = {k: statistics.median(x[k] for x in ph) for k in ("start", "manifest", "files", "built")}
            lines.append(f"{name}: load() starts {med['start']:,.0f} ms after navigation; then manifest {med['manifest']:,.0f} ms, "
                         f"files fetched and checked {med['files']:,.0f} ms, tokenizer built {med['built']:,.0f} ms (medians)")
    return "\n".join(lines)


def main() -> int:
    from exporter.proof.browser import chromium_path
    from exporter.targets.serve import serve_in_thread

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profiles", default="mobile,4g,loopback")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--quant", default="int8")
    ap.add_argument("--dims", type=int, default=256)
    ap.add_argument("--queries", type=int, default=10, help="later queries per visit (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="visits per (profile, variant), interleaved; medians (default 3)")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--base", default=None, help="also visit the previous code's export (a git ref of this repository)")
    args = ap.parse_args()
    profiles = [p for p in args.profiles.split(",") if p]
    variants = [v for v in args.variants.split(",") if v]
    bad = [x for x in profiles if x not in PROFILES] + [x for x in variants if x not in VARIANTS]
    if bad:
        sys.exit(f"bench_first_load: unknown profile or variant {bad[0]!r}")
    with tempfile.TemporaryDirectory(prefix="edgembed-first-load-") as tmp:
        site = Path(tmp) / "site"
        build(site, args.quant, args.dims, variants)
        if args.base:
            build_base(site, args.base, args.quant, args.dims)
        srv, base = serve_in_thread(site)
        warm(site, srv.server_address[1])
        try:
            job = {"chromium": chromium_path(), "timeoutMs": 900000, "visits": visits(base, profiles, variants, args.queries, args.repeat,
                                                                                  bool(args.base))}
            (Path(tmp) / "job.json").write_text(json.dumps(job), encoding="utf-8")
            proc = subprocess.run(["node", str(WEB / "scripts" / "bench_first_load.mjs"), str(Path(tmp) / "job.json"),
                                   str(Path(tmp) / "out.json")], cwd=WEB, text=True, stdout=subprocess.PIPE)
            if proc.returncode != 0:
                sys.exit("bench_first_load: the driver failed")
            result = json.loads((Path(tmp) / "out.json").read_text(encoding="utf-8"))
        finally:
            srv.shutdown()
            srv.server_close()
    result["export"] = {"model": "default", "quant": args.quant, "dims": args.dims, "base": args.base}
    print(table(result))
    for v in result["visits"]:
        if v.get("errors") or v.get("external"):
            print(f"{v['name']}: errors {v.get('errors')}, external {v.get('external')}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
