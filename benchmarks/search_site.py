"""A BEIR collection written out as a static site: one HTML page a document (benchmarks and tests of site search)."""

from __future__ import annotations

import html
from pathlib import Path


def write_site(doc_ids: list[str], titles: list[str], texts: list[str], out: Path) -> dict[str, str]:
    """One page a document at /doc/<id>.html (title in <title>, text in <main>); returns url -> doc id."""
    (out / "doc").mkdir(parents=True, exist_ok=True)
    urls = {}
    for d, t, x in zip(doc_ids, titles, texts):
        page = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(t)}</title></head>"
                f"<body><nav><a href=/>home</a></nav><main><p>{html.escape(x)}</p></main><footer>site footer</footer></body></html>")
        (out / "doc" / f"{d}.html").write_text(page, encoding="utf-8")
        urls[f"/doc/{d}.html"] = d
    return urls


def beir_corpus(folder: Path) -> tuple[list[str], list[str], list[str]]:
    """A BEIR folder's corpus.jsonl as (ids, titles, texts)."""
    import json

    ids, titles, texts = [], [], []
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            o = json.loads(line)
            ids.append(str(o["_id"]))
            titles.append(str(o.get("title") or ""))
            texts.append(str(o.get("text") or ""))
    return ids, titles, texts


def beir_site(folder: Path, out: Path) -> dict[str, str]:
    """The corpus of a BEIR folder as a site (title: the document's title, text: its text)."""
    return write_site(*beir_corpus(folder), out)
