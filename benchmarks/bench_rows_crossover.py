"""Lazy rows' crossover: N row shards vs one request for the whole table, on loopback and on the mobile profile.

    python3 benchmarks/bench_rows_crossover.py [--model M] [--quant int8] [--json out.json]

Exports MODEL (default: the embedded default model) with its demo, serves it (`edgembed serve`'s server), then in
Chromium (web/scripts/rows_crossover.mjs), a fresh context per trial: the time for the runtime's LazyRows to fetch
and check N shards spread over the table (its default 8 at once), and for one request of model.edgembed checked
against the manifest. Profiles: loopback (no throttling) and bench_first_load.py's "mobile" (150 ms, 1.6 Mbit/s).
Where N shards take longer than the whole table is the crossover: rows.mjs's WHOLE_SHARE (docs/web.md)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
sys.path.insert(0, str(ROOT))
from benchmarks.bench_first_load import PROFILES  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model folder (default: the embedded default model)")
    ap.add_argument("--quant", default="int8")
    ap.add_argument("--loopback", default="16,64,256,512,1024,2048,all", help="shard counts on loopback")
    ap.add_argument("--mobile", default="64,256,512,1024", help="shard counts on the mobile profile")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    from exporter.pipeline import export
    from exporter.proof.browser import chromium_path
    from exporter.sources.default_model import default_model_path
    from exporter.targets.serve import serve_in_thread

    with tempfile.TemporaryDirectory(prefix="edgembed-crossover-") as tmp:
        out = Path(tmp) / "m"
        man = export(args.model or default_model_path(), out, quant=args.quant, demo=True)
        from exporter.formats.rows import read_index

        total = read_index((out / "rows" / "index.bin").read_bytes())["shards"]
        counts = lambda s: [total if c == "all" else int(c) for c in s.split(",") if c]  # noqa: E731
        trials = [{"name": "loopback", "profile": None, "shards": n} for n in counts(args.loopback) + ["whole"]]
        trials += [{"name": "mobile", "profile": PROFILES["mobile"], "shards": n} for n in counts(args.mobile) + ["whole"]]
        srv, base = serve_in_thread(out, threads=True)
        try:
            job = {"chromium": chromium_path(), "base": base, "runtime": f"{base}demo/runtime/edgembed.bundle.mjs",
                   "trials": trials}
            (Path(tmp) / "job.json").write_text(json.dumps(job))
            proc = subprocess.run(["node", str(WEB / "scripts" / "rows_crossover.mjs"), str(Path(tmp) / "job.json"),
                                   str(Path(tmp) / "out.json")], cwd=WEB, capture_output=True, text=True)
            if proc.returncode:
                sys.exit(f"bench_rows_crossover: the driver failed: {proc.stderr.strip()[-2000:]}")
            res = json.loads((Path(tmp) / "out.json").read_text())
        finally:
            srv.shutdown()
            srv.server_close()
    print(f"model {man['vocab_size']}x{man['dims']} {man['quant']}, {total} shards, model.edgembed "
          f"{next(t['bytes'] for t in res['trials'] if t['shards'] == 'whole'):,} bytes")
    print("| profile | shards | share of table | requests | bytes | ms |\n|---|---:|---:|---:|---:|---:|")
    for t in res["trials"]:
        share = "whole file" if t["shards"] == "whole" else f"{t['shards'] / total:.1%}"
        print(f"| {t['profile']} | {t['shards']} | {share} | {t['requests']} | {t['bytes']:,} | {t['ms']:.0f} |")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
