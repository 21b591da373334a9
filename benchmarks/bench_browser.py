"""Browser benchmark: the `flat` and `onnx` backends of the demo page vs transformers.js, one Chromium run.

    python3 benchmarks/bench_browser.py [--model M] [--quant int8] [--lines 5000] [--threads N] [--json out.json] [--base REF]

Exports the model with its web demo into a temp folder, adds a transformers.js page (transformers.js' web
build and its onnxruntime-web wasm files, copied from web/node_modules) that loads the same export folder,
serves everything on 127.0.0.1 with COOP/COEP (wasm threads allowed) and drives Debian's Chromium through
web/scripts/bench_browser.mjs. Per backend, in a fresh browser context: cold start (navigation start ->
first embedding), bytes of every response (all, and those done by the first embedding), sentences/s over real
lines (Cranfield + CISI sentences).
--base REF: the flat page also on the previous code (git REF of this repository, e.g. HEAD~3), exported by that code
into a second folder of the same site, its passes interleaved with this code's (row "base: flat").
Targets: flat embeds >= 3x faster than transformers.js (issue 3), >= 16x in steady state (issue 26's goal).
Issue 3's "flat fetches < 1/2 the bytes of onnx" is printed without a verdict: on loopback the lazy-rows runtime's
link estimate (load()'s first fetches) decides, noisily, whether the first query takes model.edgembed whole or its
shards, and an int8 table is most of the onnx page's bytes too; the bytes that target was about (a page that uses only the
flat backend) are measured on a phone network by benchmarks/bench_first_load.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WEB = ROOT / "web"
DATA = ROOT / "exporter" / "data"  # the bundled BEIR sets
TJS = WEB / "node_modules" / "@huggingface" / "transformers"
TJS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>transformers.js · edgembed export</title>
<script type="module" src="page.mjs"></script></head>
<body><p>transformers.js feature-extraction on the edgembed export in ../m/</p></body></html>
"""


def real_lines(n: int) -> list[str]:
    """N sentences (>= 4 words, unique, in corpus order) spread evenly over Cranfield and CISI documents."""
    seen: dict[str, None] = {}
    for name in ("cranfield", "cisi"):
        path = DATA / name / "corpus.jsonl"
        if not path.is_file():
            sys.exit(f"bench_browser: missing {path} (the bundled BEIR data)")
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line).get("text", "")
            for s in re.split(r"(?<=[.!?])\s+", text):
                s = " ".join(s.split())
                if len(s.split()) >= 4:
                    seen.setdefault(s, None)
    pool = list(seen)
    if len(pool) < n:
        sys.exit(f"bench_browser: only {len(pool)} sentences available, asked for {n}")
    idx = np.linspace(0, len(pool) - 1, n).round().astype(int)
    return [pool[i] for i in idx]


def ort_wasm_dir() -> Path:
    """The onnxruntime-web dist folder matching the one bundled in transformers.min.js."""
    for cand in (TJS / "node_modules" / "onnxruntime-web" / "dist", WEB / "node_modules" / "onnxruntime-web" / "dist"):
        if (cand / "ort-wasm-simd-threaded.asyncify.wasm").is_file():
            return cand
    sys.exit("bench_browser: onnxruntime-web wasm files for transformers.js not found (cd web && npm ci)")


def build_site(site: Path, model, quant: str, dims: int | None) -> dict:
    """SITE/m/ = the export with its demo; SITE/tjs/ = the transformers.js page and its runtime files."""
    from exporter.pipeline import export

    man = export(model, site / "m", dims=dims, quant=quant, demo=True)
    tjs = site / "tjs"
    tjs.mkdir()
    shutil.copyfile(TJS / "dist" / "transformers.min.js", tjs / "transformers.min.js")
    wasm_dir = ort_wasm_dir()
    for suffix in ("", ".asyncify"):
        for ext in ("mjs", "wasm"):
            shutil.copyfile(wasm_dir / f"ort-wasm-simd-threaded{suffix}.{ext}", tjs / f"ort-wasm-simd-threaded{suffix}.{ext}")
    shutil.copyfile(WEB / "scripts" / "bench_tjs_page.mjs", tjs / "page.mjs")
    (tjs / "index.html").write_text(TJS_PAGE, encoding="utf-8")
    token_level_copy(site / "m", site / "m_tok")
    return man


def token_level_copy(src: Path, dst: Path) -> None:
    """DST = SRC's transformers.js files with a conventional graph: per-token vectors [batch, seq, dims] as
    last_hidden_state (masked, unpooled), for transformers.js' own JS mean pooling. Reference row only."""
    import onnx
    from onnx import helper

    (dst / "onnx").mkdir(parents=True)
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(src / f, dst / f)
    full = onnx.shape_inference.infer_shapes(onnx.load(str(src / "onnx" / "model.onnx")))
    model = onnx.utils.Extractor(full).extract_model(
        ["input_ids", "attention_mask"], ["masked"])
    model.graph.node.append(helper.make_node("Identity", ["masked"], ["last_hidden_state"]))
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info("last_hidden_state", onnx.TensorProto.FLOAT,
                                                            ["batch", "sequence", None]))
    onnx.checker.check_model(model)
    onnx.save(model, str(dst / "onnx" / "model.onnx"))


def build_base(site: Path, ref: str, args) -> None:
    """SITE/base: the same export (demo included) made by the code at git REF of this repository."""
    src = site.parent / "base-src"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, stdout=subprocess.PIPE).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    (src / "web" / "node_modules").symlink_to((WEB / "node_modules").resolve())
    cmd = [sys.executable, "-m", "exporter", "export", *([args.model] if args.model else []), "--out", str(site / "base"),
           "--quant", args.quant, *(["--dims", str(args.dims)] if args.dims else [])]
    subprocess.run(cmd, check=True, cwd=src, env={**os.environ, "PYTHONPATH": str(src)}, stdout=subprocess.DEVNULL)


def run(args) -> dict:
    from exporter.targets.serve import serve_in_thread

    lines = real_lines(args.lines)
    load_before = os.getloadavg()[0]
    sample = lines[:40] + ["", "A man is playing a guitar."]
    with tempfile.TemporaryDirectory(prefix="edgembed-bench-") as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        man = build_site(site, args.model, args.quant, args.dims)
        if args.base:
            build_base(site, args.base, args)
        table_bytes = (site / "m" / man["files"]["flat"]).stat().st_size
        srv, base = serve_in_thread(site, threads=True)
        try:
            t = args.threads
            pages = [
                {"name": "flat", "backend": "flat", "url": f"{base}m/index.html?backend=flat"},
                {"name": "flat, whole table", "backend": "flat", "url": f"{base}m/index.html?backend=flat&rows=whole"},
                {"name": "onnx", "backend": "onnx", "url": f"{base}m/index.html?backend=onnx&threads={t}"},
                {"name": "transformers.js", "backend": None,
                 "url": f"{base}tjs/index.html?model=m&threads={t}&wasm={args.tjs_wasm}&batch={args.tjs_batch}"},
                {"name": "transformers.js, JS mean pooling (token-level graph; reference)", "backend": None,
                 "url": f"{base}tjs/index.html?model=m_tok&pooling=mean&normalize={int(man['normalize'])}"
                        f"&threads={t}&wasm={args.tjs_wasm}&batch={args.tjs_batch}"},
            ]
            if args.base:
                pages.insert(1, {"name": "base: flat", "backend": "flat", "url": f"{base}base/index.html?backend=flat"})
            job = {"chromium": args.chromium, "timeoutMs": 600000, "reps": args.reps, "coldReps": args.cold_reps, "lines": lines,
                   "sample": sample, "pages": pages}
            (Path(tmp) / "job.json").write_text(json.dumps(job), encoding="utf-8")
            proc = subprocess.run(["node", str(WEB / "scripts" / "bench_browser.mjs"), str(Path(tmp) / "job.json"),
                                   str(Path(tmp) / "out.json")], cwd=WEB, capture_output=True, text=True)
            if proc.returncode != 0:
                sys.exit(f"bench_browser: the driver failed: {proc.stderr.strip()[-2000:]}")
            out = json.loads((Path(tmp) / "out.json").read_text(encoding="utf-8"))
            from exporter.runtimes.backends import load

            ref = load(site / "m", backend="flat").encode(sample)
        finally:
            srv.shutdown()
            srv.server_close()
    empty = sample.index("")
    keep = [i for i in range(len(sample)) if i != empty]
    for p in out["pages"]:
        if "sample" in p:
            got = np.asarray(p.pop("sample"), dtype=np.float32)
            p["maxAbsDiff"] = float(np.abs(got[keep] - ref[keep]).max())
            e = got[empty]
            p["emptyText"] = "zero vector" if not e.any() else ("NaN" if np.isnan(e).any() else "non-zero")
    return {"manifest": {k: man[k] for k in ("dims", "quant", "vocab_size", "normalize")}, "lines": len(lines),
            "table_bytes": table_bytes,
            "mean_chars": float(np.mean([len(s) for s in lines])), "threads": args.threads, "chromium": out["version"],
            "cores": os.cpu_count(), "base": args.base, "load": [load_before, os.getloadavg()[0]],
            "pages": out["pages"]}


def parallelism(page: dict) -> str:
    """How a page embedded: wasm threads (onnx, transformers.js) or the flat backend's Web Workers."""
    rt = page.get("runtime") or {}
    if rt.get("backend") == "flat":
        w = rt.get("workers") or 1
        if w <= 1:
            return "1 thread (main, JS)"
        mem = "shared memory" if rt.get("sharedMemory") else "a table copy each"
        return f"{w} Web Workers (JS, {mem}; took {rt.get('pooledBatches', 0)} batches)"
    n = rt.get("numThreads")
    return f"{n} wasm threads" if n else "?"


def report(res: dict) -> str:
    pages = {p["name"]: p for p in res["pages"]}
    bad = [f"{n}: {p['error']}" for n, p in pages.items() if p.get("error")]
    bad += [f"{n}: request left 127.0.0.1: {u}" for n, p in pages.items() for u in p.get("external", [])]
    bad += [f"{n}: {e}" for n, p in pages.items() for e in p.get("errors", [])]
    m = res["manifest"]
    lines = [f"model {m['vocab_size']}x{m['dims']} {m['quant']}, {res['lines']} lines (mean {res['mean_chars']:.0f} chars), "
             f"Chromium {res['chromium']}, {res['cores']} CPU cores; wasm threads asked: {res['threads']} (onnx, transformers.js); "
             f"flat: the demo page's default Web Workers for batches >= 64 texts; load average (1 min) "
             f"{res['load'][0]:.1f} -> {res['load'][1]:.1f} (ratios to transformers.js grow with the load)", "",
             "| backend | threads / workers | cold start (ms, median) | sentences/s (best pass) | bytes to first embedding | bytes fetched | max abs diff vs Python flat | empty text |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for name, p in pages.items():
        if p.get("error"):
            lines.append(f"| {name} | | error | | | | | |")
            continue
        best = min(p["runs"])
        p["sentPerS"] = res["lines"] / (best / 1000)
        p["coldMedian"] = float(np.median(p["coldMs"]))
        lines.append(f"| {name} | {parallelism(p)} | {p['coldMedian']:,.0f} | {p['sentPerS']:,.0f} | {p.get('firstBytes', 0):,} | {p['coldBytes']:,} | {p['maxAbsDiff']:.1e} | {p['emptyText']} |")
    f, o, t = pages.get("flat", {}), pages.get("onnx", {}), pages.get("transformers.js", {})
    if all("sentPerS" in p for p in (f, o, t)):
        first_ratio = f.get("firstBytes", 0) / max(1, o.get("firstBytes", 0))
        byte_ratio = f["coldBytes"] / o["coldBytes"]
        speed = f["sentPerS"] / t["sentPerS"]
        lines += ["",
                  f"flat / onnx bytes: {byte_ratio:.2f} of the cold start, {first_ratio:.2f} by the first embedding (issue 3's "
                  f"< 0.50 is not checked here: on loopback the runtime's link estimate decides whether the first query takes "
                  f"the whole table; "
                  f"a phone network's bytes: benchmarks/bench_first_load.py)",
                  f"flat / transformers.js sentences/s: {speed:.1f}x (target >= 3x: {'PASS' if speed >= 3 else 'FAIL'}; "
                  f"issue 26's steady-state goal >= 16x: {'PASS' if speed >= 16 else 'FAIL'})",
                  f"flat / onnx sentences/s: {f['sentPerS'] / o['sentPerS']:.1f}x; "
                  f"cold start flat / onnx / transformers.js: {f['coldMedian']:.0f} / {o['coldMedian']:.0f} / {t['coldMedian']:.0f} ms"]
        ref = next((p for n, p in pages.items() if n.startswith("transformers.js, JS mean") and "sentPerS" in p), None)
        if ref:
            lines.append(f"flat / transformers.js with JS mean pooling (conventional token-level export): "
                         f"{f['sentPerS'] / ref['sentPerS']:.1f}x")
    b = pages.get("base: flat", {})
    if "sentPerS" in f and "sentPerS" in b and "sentPerS" in t:
        lines.append(f"flat / base flat ({res['base']}) sentences/s: {f['sentPerS'] / b['sentPerS']:.2f}x, passes interleaved; "
                     f"base flat / transformers.js: {b['sentPerS'] / t['sentPerS']:.1f}x")
    w = pages.get("flat, whole table", {})
    if f.get("runs") and w.get("runs") and f.get("table"):
        tb, size = f["table"], res["table_bytes"]
        lines += ["", f"big batch, first pass ({res['lines']} texts, lazy rows after a one-text cold start): "
                      f"{f['runs'][0]:,.0f} ms vs {w['runs'][0]:,.0f} ms over the whole table "
                      f"({f['runs'][0] / w['runs'][0]:.2f}x; target <= 1.5x); the table in {tb['requests']} requests "
                      f"({tb['distinct']} distinct, {tb.get('byWorker', 0)} by the service worker; target <= 10), "
                      f"{tb['bytes']:,} bytes = {tb['bytes'] / size:.3f}x model.edgembed (target <= 1.05x)"]
    if bad:
        lines += ["", "problems:"] + [f"- {b}" for b in bad]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model folder (default: the distilled all-MiniLM-L6-v2)")
    ap.add_argument("--quant", default="int8")
    ap.add_argument("--dims", type=int, default=None)
    ap.add_argument("--lines", type=int, default=5000)
    ap.add_argument("--reps", type=int, default=5, help="timed passes over the lines per backend, interleaved (best is reported)")
    ap.add_argument("--cold-reps", type=int, default=3, help="cold starts per backend, fresh context each (median is reported)")
    ap.add_argument("--threads", type=int, default=max(1, min(4, os.cpu_count() or 1)), help="wasm threads (onnx, transformers.js)")
    ap.add_argument("--tjs-wasm", choices=["asyncify", "plain"], default="asyncify",
                    help="onnxruntime-web build for transformers.js (asyncify is its default)")
    ap.add_argument("--tjs-batch", type=int, default=64, help="texts per transformers.js pipeline call")
    ap.add_argument("--chromium", default=None, help="Chromium binary (default: exporter.proof.browser.chromium_path())")
    ap.add_argument("--base", default=None, help="also run the previous code's flat page (a git ref of this repository)")
    ap.add_argument("--json", default=None, help="also write the raw results as JSON")
    args = ap.parse_args()
    if shutil.which("node") is None or not (WEB / "node_modules" / "playwright-core").is_dir() or not TJS.is_dir():
        sys.exit("bench_browser: needs node and web/node_modules (cd web && npm ci)")
    if args.chromium is None:
        from exporter.proof.browser import chromium_path

        args.chromium = chromium_path()
    if not args.chromium or not Path(args.chromium).is_file():
        sys.exit(f"bench_browser: no Chromium ({args.chromium or 'none found; apt-get install chromium'})")
    res = run(args)
    print(report(res))
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
