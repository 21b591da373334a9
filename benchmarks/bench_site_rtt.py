"""Site search on a phone network, side by side in one run: `<edgembed-search>` against PagefindUI on the same sites.

    python3 benchmarks/bench_site_rtt.py [--sites cranfield,cisi,sphinx-flask,mkdocs-mkdocs] [--runs 3]
                                         [--queries 3] [--profile mobile] [--work DIR] [--json out.json] [--breakdown]
                                         [--http2] [--timeline]

Each site (a BEIR collection written as one page a document, or a real generator's site from tests/data/sites) gets
an `edgembed index` (the default model, int8) and a Pagefind index (npm `pagefind`, defaults), and two host pages of
the same shape: the two-line `<edgembed-search>` snippet of docs/search.md, and PagefindUI's snippet (its CSS and JS,
`showSubResults`). Per visit (web/scripts/search_rtt.mjs: a fresh Chromium context, the network throttled as
bench_first_load.py does: "mobile" is 150 ms added to every request, 1,638 kbit/s down, 675 up), the visitor clicks
the box and types each query, a key every 80 ms (--key-ms 0: pastes it); times run from the input event of the query's last key (so each
box's debounce counts: edgembed 120 ms, PagefindUI 300 ms):
  keyword  the first list shown for the query (edgembed: keyword results; Pagefind: its list once every shown
           result is filled)
  final    edgembed's hybrid list (Pagefind: the same as keyword)
  bytes    on the wire from that key to 300 ms after the final list (transferSize, headers included); for the first
           query also everything from navigation on ("first_all")
--breakdown also prints those bytes by kind of file (edgembed: the folder under _edgembed/, model/ files by their
own folder; Pagefind: under pagefind/; "page" for the rest): files and bytes of the first query (everything since
navigation) and the mean of a later query. Bytes do not depend on the machine's load: --profile loopback is enough.
--timeline prints each query's fetches of the first edgembed visit of each site, in the order they were asked
for, grouped by kind and by when they were asked for: `kind ×files asked–last answered` (ms after the last key), so
that the chain of dependent round trips shows.
Served by `edgembed serve`'s server (HTTP/1.1 keep-alive, gzip for text as a static host sends it), or with
--http2 by web/scripts/serve_h2.mjs (HTTP/2 over TLS, the same bodies: one connection, requests multiplexed, as
GitHub Pages, Netlify or Cloudflare Pages serve a site), medians over --runs visits, engines alternating. Timings on a shared machine are noisy: compare within one run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
WEB = ROOT / "web"
PAGEFIND = WEB / "node_modules" / ".bin" / "pagefind"
SITES = ROOT / "tests" / "data" / "sites"
BEIR = ROOT / "exporter" / "data"
PROFILES = {"mobile": {"latencyMs": 150, "downKbps": 1638.4, "upKbps": 675},
            "4g": {"latencyMs": 85, "downKbps": 9000, "upKbps": 9000}, "loopback": None}

EDGEMBED_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1"><title>Search</title>
<script type="module" src="/_edgembed/js/search_ui.mjs"></script></head>
<body><main><h1>Search</h1><edgembed-search index="/_edgembed/" placeholder="Search the docs"></edgembed-search></main></body></html>"""
PAGEFIND_PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8>
<meta name=viewport content="width=device-width,initial-scale=1"><title>Search</title>
<link href="/pagefind/pagefind-ui.css" rel="stylesheet"><script src="/pagefind/pagefind-ui.js"></script></head>
<body><main><h1>Search</h1><div id="search"></div></main>
<script>window.addEventListener("DOMContentLoaded", () => { new PagefindUI({ element: "#search", showSubResults: true }); });</script>
</body></html>"""


def queries_of(name: str, n: int) -> list[str]:
    """The first N natural-language questions of the site (BEIR: its test queries in order)."""
    if (BEIR / name).is_dir():
        from exporter.proof.retrieval import load_beir

        return load_beir(BEIR / name).query_texts[:n]
    rows = [json.loads(x) for x in (ROOT / "benchmarks" / "sites" / name / "questions.jsonl").read_text().splitlines() if x.strip()]
    return [r["query"] for r in rows if r.get("kind") == "nl"][:n]


def prepare(name: str, work: Path, model: Path, rebuild: bool) -> Path:
    """The site with both indexes and both host pages (reused from WORK unless REBUILD)."""
    from exporter.search.store import VERSION

    site = work / name
    ix = site / "_edgembed" / "index.json"
    if not rebuild and ix.is_file() and json.loads(ix.read_text()).get("version") == VERSION and (site / "pagefind").is_dir():
        shutil.rmtree(site / "_edgembed" / "js")  # a kept index runs this tree's scripts
        from exporter.search.build import _js_into

        _js_into(site / "_edgembed" / "js")
        return site
    if site.exists():
        shutil.rmtree(site)
    if (BEIR / name).is_dir():
        from search_site import beir_site

        beir_site(BEIR / name, site)
    else:
        site.mkdir(parents=True)
        with tarfile.open(SITES / f"{name}.tar.xz") as tar:
            tar.extractall(site, filter="data")
    subprocess.run([sys.executable, "-m", "exporter", "index", str(site), "--model", str(model), "--quiet"],
                   check=True, cwd=ROOT)
    subprocess.run([str(PAGEFIND), "--site", str(site)], check=True, capture_output=True)
    (site / "_rtt_edgembed.html").write_text(EDGEMBED_PAGE, encoding="utf-8")
    (site / "_rtt_pagefind.html").write_text(PAGEFIND_PAGE, encoding="utf-8")
    return site


def h2_server(site: Path) -> tuple[subprocess.Popen, str]:
    """web/scripts/serve_h2.mjs on SITE (HTTP/2 over TLS, as static hosts serve): the process and its base URL."""
    proc = subprocess.Popen(["node", str(WEB / "scripts" / "serve_h2.mjs"), str(site)], stdout=subprocess.PIPE, text=True)
    base = proc.stdout.readline().strip()
    if not base.startswith("https://"):
        proc.kill()
        raise SystemExit(f"serve_h2.mjs did not start (printed {base!r})")
    return proc, base


def drive(site: Path, visits: list[dict], key_ms: int, http2: bool = False) -> list[dict]:
    from search_browser import keepalive_server

    from exporter.proof.browser import chromium_path

    if http2:
        proc, base = h2_server(site)
        stop = proc.kill
    else:
        srv, base = keepalive_server(site)

        def stop() -> None:
            srv.shutdown()
            srv.server_close()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            job, out = Path(tmp) / "job.json", Path(tmp) / "out.json"
            job.write_text(json.dumps({"chromium": chromium_path(), "keyMs": key_ms, "insecure": http2, "visits": [
                {**v, "url": base + v["url"].lstrip("/")} for v in visits]}))
            subprocess.run(["node", str(WEB / "scripts" / "search_rtt.mjs"), str(job), str(out)], check=True, cwd=WEB,
                           timeout=3600)
            return json.loads(out.read_text())["visits"]
    finally:
        stop()


def med(xs: list[float]) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(visits: list[dict]) -> dict:
    first = [v["queries"][0] for v in visits if v["queries"]]
    later = [q for v in visits for q in v["queries"][1:]]
    return {"visits": len(visits), "errors": sorted({e for v in visits for e in v["errors"]}),
            "load_ms": med([v.get("loadMs") for v in visits]),
            "first_keyword_ms": med([q["keywordMs"] for q in first]), "first_final_ms": med([q["finalMs"] for q in first]),
            "first_all_bytes": med([q["firstBytes"] for q in first]),
            "later_keyword_ms": med([q["keywordMs"] for q in later]), "later_final_ms": med([q["finalMs"] for q in later]),
            "later_bytes": med([q["bytes"] for q in later]),
            "wrong_lists": sum(q["wrong"] for v in visits for q in v["queries"])}


def kind_of(path: str) -> str:
    """The kind of file a request path is: terms, text, vecs, codes, typo, model/rows, js, index.json, ... or page."""
    parts = path.strip("/").split("/")
    if parts[0] in ("_edgembed", "pagefind") and len(parts) > 1:
        head = parts[1] if len(parts) == 2 or parts[1] != "model" else "model/" + parts[2]
        return ("pf:" if parts[0] == "pagefind" else "") + head
    return "page"


def by_kind(wires: list[list]) -> dict[str, list[float]]:
    """kind -> [files, bytes], the mean over WIRES (one [[path, bytes], ...] list a query)."""
    out: dict[str, list[float]] = {}
    for wire in wires:
        for path, n in wire:
            got = out.setdefault(kind_of(path), [0.0, 0.0])
            got[0] += 1 / len(wires)
            got[1] += n / len(wires)
    return dict(sorted(out.items(), key=lambda kv: -kv[1][1]))


def breakdown(visits: list[dict]) -> dict[str, dict]:
    """Files and bytes by kind: the first query (everything since navigation) and a later query, means over visits."""
    first = [v["queries"][0].get("firstWire", []) for v in visits if v["queries"]]
    later = [q.get("wire", []) for v in visits for q in v["queries"][1:]]
    return {"first": by_kind(first) if first else {}, "later": by_kind(later) if later else {}}


def timeline(requests: list[list]) -> str:
    """A query's fetches ([path, bytes, start ms, end ms] each) as `kind ×n start–end` groups: consecutive fetches of
    one kind asked for within 30 ms of the group's first, in the order they were asked for."""
    groups: list[list] = []
    for path, _, start, end in sorted(requests, key=lambda r: (r[2], r[3])):
        kind = kind_of(path)
        g = groups[-1] if groups else None
        if g and g[0] == kind and start - g[2] <= 30:
            g[1] += 1
            g[3] = max(g[3], end)
        else:
            groups.append([kind, 1, start, end])
    return ", ".join(f"{k} ×{n} {a}–{b}" for k, n, a, b in groups)


def fmt(x: float | None, unit: str = "") -> str:
    return "–" if x is None else f"{x:,.0f}{unit}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", default="cranfield,cisi,sphinx-flask,mkdocs-mkdocs")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--queries", type=int, default=3, help="queries a visit: the first and the later ones")
    ap.add_argument("--profile", default="mobile", choices=sorted(PROFILES))
    ap.add_argument("--key-ms", type=int, default=80, help="ms between keys; 0: each query pasted (one input event)")
    ap.add_argument("--engines", default="edgembed,pagefind")
    ap.add_argument("--work", default=None, help="keep the sites and indexes here (reused when current)")
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--json", default=None)
    ap.add_argument("--breakdown", action="store_true", help="bytes by kind of file, first and later queries")
    ap.add_argument("--timeline", action="store_true", help="the fetches of each query of a site's first edgembed visit")
    ap.add_argument("--http2", action="store_true",
                    help="serve over HTTP/2 with TLS (web/scripts/serve_h2.mjs), as static hosts do; default: edgembed serve's HTTP/1.1")
    args = ap.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="edgembed-bench-rtt-"))
    work.mkdir(parents=True, exist_ok=True)
    # the default model exported as `edgembed index` exports it (exporter/search/model.py EXPORT); a kept model made
    # with other settings or layout (its cache key) is made again, and the kept sites indexed again with it
    from exporter.search.model import EXPORT, cache_key

    model, made = work / "model", work / "model-export.json"
    if not (model / "manifest.json").is_file() or not made.is_file() or json.loads(made.read_text()) != cache_key():
        from exporter.pipeline import export

        shutil.rmtree(model, ignore_errors=True)
        export(None, model, **EXPORT)
        made.write_text(json.dumps(cache_key()), encoding="utf-8")
        args.rebuild = True
    engines = args.engines.split(",")
    res = {}
    for name in args.sites.split(","):
        site = prepare(name, work, model, args.rebuild)
        qs = queries_of(name, args.queries)
        visits = [{"name": f"{e}-{r}", "engine": e, "url": f"/_rtt_{e}.html", "profile": PROFILES[args.profile],
                   "queries": qs} for r in range(args.runs) for e in engines]
        got = drive(site, visits, args.key_ms, args.http2)
        res[name] = {e: summarize([v for v in got if v["engine"] == e]) for e in engines}
        for e in engines:
            res[name][e]["kinds"] = breakdown([v for v in got if v["engine"] == e])
        res[name]["queries"] = qs
        res[name]["raw"] = got
        print(name, json.dumps({e: {k: x for k, x in res[name][e].items() if k != "kinds"} for e in engines}), flush=True)
    print(f"\nprofile {args.profile}, {'pasted' if args.key_ms == 0 else f'a key every {args.key_ms} ms'}, medians of {args.runs} visits, {'HTTP/2' if args.http2 else 'HTTP/1.1'}; first query on a fresh page, later = queries 2..{args.queries}")
    print("| site | engine | load ms | first: keyword ms | first: final ms | first: all bytes | later: keyword ms | later: final ms | later bytes | lists under another query |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in res.items():
        for e in engines:
            s = r[e]
            print(f"| {name} | {e} | {fmt(s['load_ms'])} | {fmt(s['first_keyword_ms'])} | {fmt(s['first_final_ms'])} | "
                  f"{fmt(s['first_all_bytes'])} | {fmt(s['later_keyword_ms'])} | {fmt(s['later_final_ms'])} | "
                  f"{fmt(s['later_bytes'])} | {s['wrong_lists']} |")
        if "pagefind" in engines and "edgembed" in engines and r["pagefind"]["first_keyword_ms"] and r["edgembed"]["first_keyword_ms"]:
            print(f"| {name} | edgembed / pagefind, first keyword | | {r['edgembed']['first_keyword_ms'] / r['pagefind']['first_keyword_ms']:.2f} × | | | | | | |")
    if args.breakdown:
        print("\nbytes by kind of file (files / bytes on the wire, headers included): first query = everything since "
              "navigation, later = the mean of queries 2..")
        print("| site | engine | query | kind | files | bytes |")
        print("|---|---|---|---|---:|---:|")
        for name, r in res.items():
            for e in engines:
                for which in ("first", "later"):
                    for kind, (files, n) in r[e]["kinds"][which].items():
                        print(f"| {name} | {e} | {which} | {kind} | {files:.1f} | {n:,.0f} |")
    if args.timeline:
        print("\neach query's fetches, first edgembed visit (kind ×files asked–answered, ms after the last key; "
              "K: keyword list shown, F: final list; the first query's page-load fetches come before its 0)")
        for name, r in res.items():
            visit = next((v for v in r["raw"] if v["engine"] == "edgembed"), None)
            for i, q in enumerate((visit or {}).get("queries", [])):
                print(f"- {name} {'first' if i == 0 else 'later'} K {q['keywordMs']:.0f} F {q['finalMs']:.0f}: {timeline(q.get('requests', []))}")
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
