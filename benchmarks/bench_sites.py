"""Site search on real generators' sites: edgembed (keyword, hybrid, semantic), bm25s and Pagefind over the built
sites in tests/data/sites/*.tar.xz, with the questions of benchmarks/sites/<name>/questions.jsonl (written by hand
before any system ran on the site; see benchmarks/sites/README.md).

    python3 benchmarks/bench_sites.py [--sites a,b] [--no-pagefind] [--seed 0] [--out FILE.json] [--md FILE.md]

Systems: `edgembed index` with the default model (int8), queried through exporter.search.query.SiteIndex (the
ranking `edgembed search --json --mode MODE` prints); bm25s (k1 1.2, b 0.75, English stop words, PyStemmer Snowball
English, as benchmarks/bench_search.py) over each page's title and main text (read here, independently of
edgembed's extractor: the first <main>, else [role=main], else <article>, else <body>, less script, style, nav,
header, footer, aside, form); Pagefind (npm `pagefind`, defaults) queried in Chromium through its JS API
(benchmarks/search_browser.py, as bench_search.py does).

Metrics: MRR@10 and success@10 at page level (a result's URL without its anchor equals an answer's, `/a/index.html`
read as `/a/`), per kind of question (nl, keyword, typo), per site and overall; and at section level (the anchor of
the result's best section equals an anchored answer; questions with an anchored answer only; bm25s ranks pages and
has none). Every system is compared with bm25s by a paired bootstrap over questions (10,000 resamples, the seed
printed): the 95 % interval of the MRR@10 difference and of the MRR@10 ratio."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SITES = ROOT / "tests" / "data" / "sites"
QUESTIONS = ROOT / "benchmarks" / "sites"
PAGEFIND = ROOT / "web" / "node_modules" / ".bin" / "pagefind"
KINDS = ("nl", "keyword", "typo")
MODES = ("keyword", "hybrid", "semantic")
K = 10
RESAMPLES = 10_000


# ---------------------------------------------------------------- reading the sites

def page_url(rel: str) -> str:
    """The served path of a file relative to the site root: a/index.html -> /a/, a/b.html -> /a/b.html."""
    rel = rel.replace("\\", "/").lstrip("/")
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return "/" + rel


def norm(url: str) -> tuple[str, str]:
    """(page path, anchor) of a result or answer URL: scheme/host dropped, /a/index.html -> /a/."""
    url = re.sub(r"^[a-z]+://[^/]+", "", url)
    path, _, anchor = url.partition("#")
    path = path.split("?", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    return page_url(path), anchor


class MainText(HTMLParser):
    """Title and main text of a page: the first <main>, else [role=main], else <article>, else <body>."""

    SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title, self.in_title = [], False
        self.stack: list[str] = []
        self.parts: dict[str, list[str]] = {k: [] for k in ("main", "role", "article", "body")}
        self.open: dict[str, int] = {}  # region -> stack depth where it opened (first occurrence only)
        self.done: set[str] = set()
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        a = dict(attrs)
        self.stack.append(tag)
        depth = len(self.stack)
        if tag == "title":
            self.in_title = True
        for region, hit in (("main", tag == "main"), ("role", a.get("role") == "main"),
                            ("article", tag == "article"), ("body", tag == "body")):
            if hit and region not in self.open and region not in self.done:
                self.open[region] = depth
        if tag in self.SKIP and self.skip == 0:
            self.skip = depth

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in self.stack:
            return
        while self.stack:
            depth = len(self.stack)
            top = self.stack.pop()
            if top == "title":
                self.in_title = False
            if self.skip == depth:
                self.skip = 0
            for region, d in list(self.open.items()):
                if d == depth:
                    del self.open[region]
                    self.done.add(region)
            if top == tag:
                break

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
            return
        if self.skip:
            return
        for region in self.open:
            self.parts[region].append(data)

    def result(self) -> tuple[str, str]:
        title = " ".join("".join(self.title).split())
        for region in ("main", "role", "article", "body"):
            text = " ".join(" ".join(self.parts[region]).split())
            if text:
                return title, text
        return title, ""


def read_pages(site: Path) -> list[tuple[str, str]]:
    """(url, title + main text) of every .html page under SITE, sorted by path."""
    out = []
    for p in sorted(site.rglob("*.html")):
        rel = p.relative_to(site).as_posix()
        if rel.startswith(("_edgembed/", "pagefind/", "_pf")):
            continue
        parser = MainText()
        parser.feed(p.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        title, text = parser.result()
        out.append((page_url(rel), f"{title} {text}".strip()))
    return out


def read_questions(path: Path) -> list[dict]:
    """The questions of a questions.jsonl file (one JSON object a line, blank lines skipped)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_questions(name: str) -> list[dict]:
    return read_questions(QUESTIONS / name / "questions.jsonl")


# ---------------------------------------------------------------- systems: each returns, per question, up to K
# results as (page path, anchor) best first

def bm25s_run(pages: list[tuple[str, str]], queries: list[str]) -> list[list[tuple[str, str]]]:
    import bm25s
    import Stemmer

    stem = Stemmer.Stemmer("english")
    ret = bm25s.BM25(k1=1.2, b=0.75)
    ret.index(bm25s.tokenize([t for _, t in pages], stopwords="en", stemmer=stem, show_progress=False), show_progress=False)
    vocab = ret.vocab_dict
    out = []
    for q in queries:
        toks = [t for t in bm25s.tokenize([q], stopwords="en", stemmer=stem, return_ids=False, show_progress=False)[0]
                if t in vocab]
        if not toks:
            out.append([])
            continue
        docs, scores = ret.retrieve([toks], k=min(K, len(pages)), show_progress=False)
        out.append([(pages[int(d)][0], "") for d, s in zip(docs[0], scores[0]) if s > 0])
    return out


def edgembed_run(site: Path, index: Path, model: Path, queries: list[str], adapt: bool = False) -> tuple[dict, float]:
    """ADAPT: ``edgembed index --adapt`` (the default model fitted to the site's text) instead of MODEL."""
    from exporter.search.query import SiteIndex

    t0 = time.perf_counter()
    how = ["--adapt"] if adapt else ["--model", str(model)]
    r = subprocess.run([sys.executable, "-m", "exporter", "index", str(site), *how, "--out", str(index),
                        "--quiet"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"edgembed index {site} failed:\n{r.stdout}\n{r.stderr}")
    secs = time.perf_counter() - t0
    ix = SiteIndex(index)
    out = {}
    for mode in MODES:
        out[mode] = [[norm(h["anchor_url"]) for h in ix.search(q, limit=K, mode=mode, excerpts=False)] for q in queries]
    return out, secs


def pagefind_run(site: Path, queries: list[str]) -> list[list[tuple[str, str]]]:
    from search_browser import run_pages, write_host_page

    subprocess.run([str(PAGEFIND), "--site", str(site)], check=True, capture_output=True)
    page = write_host_page(site, "_pf.html", engine="pagefind")
    res = run_pages(site, [{"name": "pf", "url": page, "engine": "pagefind", "queries": queries, "limit": K}])
    out = []
    for q in res[0]["queries"]:
        row = []
        for h in q["hits"][:K]:
            path, _ = norm(h["url"])
            row.append((path, norm(h["anchor_url"])[1] if h.get("anchor_url") else ""))
        out.append(row)
    return out


# ---------------------------------------------------------------- metrics

def ranks(results: list[list[tuple[str, str]]], questions: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Per question: reciprocal rank at page level, and at section level (NaN where no answer has an anchor)."""
    page_rr, sec_rr = [], []
    for res, q in zip(results, questions):
        answers = [norm(a) for a in q["answers"]]
        pages = {p for p, _ in answers}
        sections = {(p, a) for p, a in answers if a}
        pr = next((1.0 / i for i, (p, _) in enumerate(res[:K], 1) if p in pages), 0.0)
        sr = next((1.0 / i for i, r in enumerate(res[:K], 1) if r in sections), 0.0) if sections else np.nan
        page_rr.append(pr)
        sec_rr.append(sr)
    return np.array(page_rr), np.array(sec_rr)


def summary(rr: np.ndarray, sec: np.ndarray, kinds: np.ndarray) -> dict:
    out = {"mrr@10": float(rr.mean()), "success@10": float((rr > 0).mean()), "questions": int(len(rr))}
    for k in KINDS:
        m = kinds == k
        if m.any():
            out[k] = {"mrr@10": float(rr[m].mean()), "success@10": float((rr[m] > 0).mean()), "questions": int(m.sum())}
    s = sec[~np.isnan(sec)]
    out["section"] = ({"mrr@10": float(s.mean()), "success@10": float((s > 0).mean()), "questions": int(len(s))}
                      if len(s) else None)
    return out


def paired_bootstrap(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> dict:
    """95 % intervals of mean(a) - mean(b) and mean(a) / mean(b), resampling questions (paired)."""
    idx = rng.integers(0, len(a), size=(RESAMPLES, len(a)))
    ma, mb = a[idx].mean(axis=1), b[idx].mean(axis=1)
    diff = ma - mb
    ratio = ma / np.where(mb > 0, mb, np.nan)
    return {"diff": float(a.mean() - b.mean()), "diff_lo": float(np.percentile(diff, 2.5)),
            "diff_hi": float(np.percentile(diff, 97.5)),
            "ratio": float(a.mean() / b.mean()) if b.mean() > 0 else None,
            "ratio_lo": float(np.nanpercentile(ratio, 2.5)), "ratio_hi": float(np.nanpercentile(ratio, 97.5))}


# ---------------------------------------------------------------- run and report

def run_site(name: str, model: Path, work: Path, pagefind: bool, adapt: bool = False) -> dict:
    questions = load_questions(name)
    queries = [q["query"] for q in questions]
    site = work / name
    site.mkdir()
    with tarfile.open(SITES / f"{name}.tar.xz") as tar:
        tar.extractall(site, filter="data")
    pages = read_pages(site)
    results = {"bm25s": bm25s_run(pages, queries)}
    emb, secs = edgembed_run(site, work / f"{name}-edgembed", model, queries)
    for mode in MODES:
        results[f"edgembed {mode}"] = emb[mode]
    if adapt:
        emb, _ = edgembed_run(site, work / f"{name}-adapted", model, queries, adapt=True)
        for mode in MODES:
            results[f"edgembed --adapt {mode}"] = emb[mode]
    if pagefind:
        results["pagefind"] = pagefind_run(site, queries)
    return {"site": name, "pages": len(pages), "edgembed_index_s": secs, "questions": questions, "results": results}


def evaluate(runs: list[dict], seed: int) -> dict:
    rng = np.random.default_rng(seed)
    systems = list(runs[0]["results"])
    out = {"seed": seed, "resamples": RESAMPLES, "k": K, "sites": {}, "overall": {}}
    pooled: dict[str, list] = {s: [[], []] for s in systems}
    pooled_kinds: list[str] = []
    for run in runs:
        kinds = np.array([q["kind"] for q in run["questions"]])
        pooled_kinds += list(kinds)
        site = {"pages": run["pages"], "questions": len(kinds), "edgembed_index_s": run["edgembed_index_s"], "systems": {}}
        rr = {s: ranks(run["results"][s], run["questions"]) for s in systems}
        for s in systems:
            pooled[s][0].append(rr[s][0])
            pooled[s][1].append(rr[s][1])
            site["systems"][s] = summary(rr[s][0], rr[s][1], kinds)
            if s == "bm25s":
                site["systems"][s]["section"] = None  # pages only: no anchors
            if s != "bm25s":
                site["systems"][s]["vs_bm25s"] = paired_bootstrap(rr[s][0], rr["bm25s"][0], rng)
        site["per_question"] = [{"id": q["id"], **{s: float(rr[s][0][i]) for s in systems}}
                                for i, q in enumerate(run["questions"])]
        out["sites"][run["site"]] = site
    kinds = np.array(pooled_kinds)
    allrr = {s: (np.concatenate(pooled[s][0]), np.concatenate(pooled[s][1])) for s in systems}
    for s in systems:
        out["overall"][s] = summary(*allrr[s], kinds)
        if s == "bm25s":
            out["overall"][s]["section"] = None
        if s != "bm25s":
            out["overall"][s]["vs_bm25s"] = paired_bootstrap(allrr[s][0], allrr["bm25s"][0], rng)
    return out


def fmt_cmp(c: dict | None) -> str:
    if not c:
        return "—"
    ratio = f"{c['ratio']:.2f}× [{c['ratio_lo']:.2f}, {c['ratio_hi']:.2f}]" if c["ratio"] is not None else "n/a"
    return f"{c['diff']:+.3f} [{c['diff_lo']:+.3f}, {c['diff_hi']:+.3f}]; {ratio}"


def markdown(ev: dict) -> str:
    lines = []
    head = ("| system | MRR@10 | success@10 | nl MRR / s@10 | keyword MRR / s@10 | typo MRR / s@10 | "
            "section MRR / s@10 | MRR − bm25s [95 % CI]; ratio [95 % CI] |")
    sep = "|---|---:|---:|---:|---:|---:|---:|---|"

    def rows(systems: dict) -> list[str]:
        out = []
        for s, m in systems.items():
            kind = [f"{m[k]['mrr@10']:.3f} / {m[k]['success@10']:.3f}" if k in m else "—" for k in KINDS]
            sec = f"{m['section']['mrr@10']:.3f} / {m['section']['success@10']:.3f}" if m["section"] else "—"
            out.append(f"| {s} | {m['mrr@10']:.3f} | {m['success@10']:.3f} | {' | '.join(kind)} | {sec} | "
                       f"{fmt_cmp(m.get('vs_bm25s'))} |")
        return out

    n = sum(s["questions"] for s in ev["sites"].values())
    lines += [f"**All sites** ({len(ev['sites'])} sites, {n} questions; bootstrap seed {ev['seed']}, "
              f"{ev['resamples']:,} resamples)", "", head, sep, *rows(ev["overall"]), ""]
    systems = list(ev["overall"])
    others = [s for s in systems if s != "bm25s" and s.startswith("edgembed")][:2]
    lines += ["**MRR@10 per site**", "",
              "| site | pages | questions | " + " | ".join(systems) + " | "
              + " | ".join(f"{s} − bm25s [95 % CI]" for s in others) + " |",
              "|---|---:|---:|" + "---:|" * len(systems) + "---|" * len(others)]
    for name, site in ev["sites"].items():
        m = site["systems"]
        cmp = [f"{m[s]['vs_bm25s']['diff']:+.3f} [{m[s]['vs_bm25s']['diff_lo']:+.3f}, {m[s]['vs_bm25s']['diff_hi']:+.3f}]"
               for s in others]
        lines.append(f"| {name} | {site['pages']} | {site['questions']} | "
                     + " | ".join(f"{m[s]['mrr@10']:.3f}" for s in systems) + " | " + " | ".join(cmp) + " |")
    lines.append("")
    for name, site in ev["sites"].items():
        lines += [f"**{name}** ({site['pages']} pages, {site['questions']} questions)", "", head, sep,
                  *rows(site["systems"]), ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sites", default=None, help="comma-separated site names (default: every tests/data/sites archive)")
    ap.add_argument("--no-pagefind", action="store_true", help="leave Pagefind out (no Chromium needed)")
    ap.add_argument("--model", default=None, help="an edgembed export folder (default: export the default model, int8)")
    ap.add_argument("--adapt", action="store_true", help="also 'edgembed index --adapt' (the default model fitted to "
                                                        "each site's text; needs torch)")
    ap.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    ap.add_argument("--out", default=None, help="write the results as JSON")
    ap.add_argument("--md", default=None, help="write the markdown tables to this file")
    args = ap.parse_args()
    names = args.sites.split(",") if args.sites else [p.name[: -len(".tar.xz")] for p in sorted(SITES.glob("*.tar.xz"))]
    for n in names:
        if not (SITES / f"{n}.tar.xz").is_file() or not (QUESTIONS / n / "questions.jsonl").is_file():
            raise SystemExit(f"unknown site '{n}': no tests/data/sites/{n}.tar.xz or benchmarks/sites/{n}/questions.jsonl")
    print(f"bootstrap seed {args.seed}, {RESAMPLES:,} resamples", flush=True)
    work = Path(tempfile.mkdtemp(prefix="edgembed-bench-sites-"))
    try:
        if args.model:
            model = Path(args.model)
        else:
            from exporter.pipeline import export

            model = work / "model"
            export(None, model, quant="int8", demo=False)
        runs = []
        for n in names:
            print(f"{n} ...", flush=True)
            runs.append(run_site(n, model, work, not args.no_pagefind, args.adapt))
        ev = evaluate(runs, args.seed)
        md = markdown(ev)
        print(md)
        if args.md:
            Path(args.md).write_text(md + "\n", encoding="utf-8")
        if args.out:
            ev["results"] = {r["site"]: {s: [[p + ("#" + a if a else "") for p, a in row] for row in rows]
                                         for s, rows in r["results"].items()} for r in runs}
            Path(args.out).write_text(json.dumps(ev, indent=1), encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
