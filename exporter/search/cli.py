"""``edgembed index SITE_DIR`` and ``edgembed search INDEX_DIR "query"``."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from exporter.errors import EdgembedError


def add_parser(sub) -> None:
    i = sub.add_parser("index", help="build a static search index of a built site (HTML, .md, JSONL records)")
    i.add_argument("site", nargs="?", default=None, help="the built site folder (public/, _site/, dist/ ...)")
    i.add_argument("--model", default=None, help="an export folder or a model (default: the default model, int8)")
    i.add_argument("--out", default=None, help="index folder (default SITE_DIR/_edgembed): new, empty or an earlier "
                                               "index (replaced atomically); never the site or a folder holding it")
    i.add_argument("--force", action="store_true", help="allow --out to replace a non-empty folder edgembed did not write")
    i.add_argument("--selector", default=None, help="CSS selector of the main content (default: main, else body)")
    i.add_argument("--records", default=None, help="also index a JSONL file of {url, title, text} records")
    i.add_argument("--include-generated", action="store_true",
                   help="also index the pages left out as not content (404, search, genindex, redirect, listing pages)")
    i.add_argument("--quiet", action="store_true", help="no progress bar")
    i.add_argument("--adapt", action="store_true", help="adapt the model to the site's own text first (a teacher "
                                                        "model's features; needs the 'distill' extra: torch)")
    i.add_argument("--teacher", default=None, help="--adapt's teacher: a sentence-transformers folder or hub id "
                                                   "(default: all-MiniLM-L6-v2, behind the default model)")
    i.add_argument("--device", default="cpu", help="--adapt's device: cpu (default) or cuda")

    s = sub.add_parser("search", help="query a search index built by 'edgembed index'")
    s.add_argument("index", help="the index folder (SITE_DIR/_edgembed)")
    s.add_argument("query", nargs="?", default=None, help="the query")
    s.add_argument("--limit", type=int, default=10, help="pages to return (default 10)")
    s.add_argument("--mode", default="hybrid", help="hybrid (default), keyword or semantic")
    s.add_argument("--json", action="store_true", help='print [{"url", "title", "score"}, ...] best first')
    s.add_argument("--queries", default=None, help=".txt (one query a line) or .jsonl ('text' field): one JSON list a line")


def run(args) -> int:
    if args.command == "index":
        return _index(args)
    return _search(args)


def _index(args) -> int:
    from exporter.search.build import build_index

    if args.site is None and args.records is None:
        raise EdgembedError("give the built site folder (edgembed index SITE_DIR) or --records FILE.jsonl")
    out = Path(args.out) if args.out is not None else (Path(args.site) / "_edgembed" if args.site else None)
    if out is None:
        raise EdgembedError("--out is required with --records and no SITE_DIR")
    if not args.adapt and (args.teacher is not None or args.device != "cpu"):
        raise EdgembedError("--teacher and --device go with --adapt")
    adapt = {"teacher": args.teacher, "device": args.device} if args.adapt else None
    meta = build_index(args.site, out, model=args.model, selector=args.selector, records_file=args.records,
                       progress=not args.quiet, force=args.force, include_generated=args.include_generated, adapt=adapt)
    return _report(meta, out)


def _report(meta: dict, out: Path) -> int:
    size = sum(p.stat().st_size for p in out.rglob("*")
               if p.is_file() and p.relative_to(out).parts[0] not in ("model", "js", "adapted"))
    adapted = out / "adapted"
    fitted = (f", the fitted model (not read by pages: parity's source, the next --adapt's start) in {adapted}"
              if adapted.is_dir() else "")
    print(f"indexed {meta['pages']} pages ({meta['chunks']} chunks, {meta['terms']} terms) into {out} in "
          f"{meta['seconds']:.1f} s: index pieces {size:,} bytes, model in {out / 'model'}, scripts in {out / 'js'}"
          f"{fitted}")
    return 0


def _search(args) -> int:
    from exporter.inputs import read_texts
    from exporter.search.query import MODES, SiteIndex

    if args.mode not in MODES:
        raise EdgembedError(f"unknown --mode '{args.mode}': choose one of {', '.join(MODES)}")
    if args.limit < 1:
        raise EdgembedError(f"--limit must be at least 1, got {args.limit}")
    if (args.query is None) == (args.queries is None):
        raise EdgembedError('give one query (edgembed search INDEX "query") or --queries FILE, not both')
    index = SiteIndex(args.index)
    if args.queries is not None:
        for q in read_texts(args.queries):
            hits = index.search(q, limit=args.limit, mode=args.mode, excerpts=False)
            print(json.dumps([{"url": h["url"], "title": h["title"], "score": h["score"]} for h in hits], ensure_ascii=False))
        return 0
    hits = index.search(args.query, limit=args.limit, mode=args.mode, excerpts=not args.json)
    if args.json:
        print(json.dumps([{"url": h["url"], "title": h["title"], "score": h["score"]} for h in hits], ensure_ascii=False))
        return 0
    if not hits:
        print("no results")
    for n, h in enumerate(hits, 1):
        plain = html.unescape(re.sub(r"</?mark>", "", h["excerpt"]))
        print(f"{n:>2}. {h['score']:.4f}  {h['title']}  {h['anchor_url']}\n    {plain}")
    return 0
