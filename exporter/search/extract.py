"""Pages of a built site: HTML (main content, split at headings that have ids), Markdown, and JSONL records.

Each page yields chunks; a chunk keeps the page's title and URL, its heading and anchor, and its text with runs of
whitespace collapsed to one space. Skipped: nav, header, footer, aside, script, style and anything marked
``data-edgembed-ignore``. Bad files are skipped with a one-line warning (binary, not UTF-8, over the size limit,
no text), never a crash."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from exporter.errors import EdgembedError

SKIP_TAGS = frozenset({"nav", "header", "footer", "aside", "script", "style", "noscript", "template", "svg", "form",
                       "button", "select", "textarea", "iframe", "object", "canvas"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "section", "article", "main",
                    "blockquote", "pre", "dd", "dt", "dl", "figure", "figcaption", "hr"}) | HEADINGS
MAX_BYTES = 10 * 1024 * 1024  # pages above this are skipped (a 50 MB "page" is not a page)
SUFFIXES = (".html", ".htm", ".md")
_WS = re.compile(r"\s+")


@dataclass
class Chunk:
    heading: str
    anchor: str
    text: str


@dataclass
class Page:
    url: str
    title: str
    chunks: list[Chunk] = field(default_factory=list)


def clean(text: str) -> str:
    """Runs of whitespace to one space, trimmed (the index stores text this way, so words split at U+0020)."""
    return _WS.sub(" ", text).strip()


def warn(msg: str) -> None:
    print(f"edgembed: warning: {msg}", file=sys.stderr)


def _parser():
    try:
        from selectolax.lexbor import LexborHTMLParser
    except ImportError:
        raise EdgembedError("edgembed index needs selectolax (an edgembed dependency) to read HTML: pip install selectolax") from None
    return LexborHTMLParser


def check_selector(selector: str) -> None:
    """A one-line error for a CSS selector lexbor cannot parse."""
    try:
        _parser()("<p></p>").css_first(selector)
    except Exception as e:  # lexbor raises SelectolaxError
        raise EdgembedError(f"bad --selector '{selector}': {e}") from None


def html_page(raw: str, url: str, selector: str | None = None) -> Page | None:
    """The page of an HTML document, or None when its main content has no text."""
    tree = _parser()(raw)
    title_node = tree.css_first("title")
    title = clean(title_node.text(deep=True)) if title_node else ""
    if selector:
        try:
            root = tree.css_first(selector)
        except Exception as e:  # lexbor raises on a bad selector
            raise EdgembedError(f"bad --selector '{selector}': {e}") from None
        if root is None:
            return None  # pages without the site's content element are not indexed (as Pagefind does)
    else:
        root = tree.css_first("main") or tree.css_first("[role=main]") or tree.body
    if root is None:
        return None
    chunks: list[Chunk] = []
    heading, anchor, parts = "", "", []

    def flush() -> None:
        text = clean("".join(parts))
        if text or heading:
            chunks.append(Chunk(heading, anchor, text))

    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        tag = node.tag
        if tag == "-text":
            parts.append(node.text_content or "")
            continue
        if tag in ("-comment", "!doctype") or tag in SKIP_TAGS:
            continue
        attrs = node.attributes
        if "data-edgembed-ignore" in attrs:
            continue
        if tag in HEADINGS and attrs.get("id"):
            flush()
            heading, anchor, parts = clean(node.text(deep=True)), str(attrs["id"]), []
            if not title and tag == "h1":
                title = heading
            continue
        if tag in BLOCKS:
            parts.append(" ")
        kids = []
        child = node.child
        while child is not None:
            kids.append(child)
            child = child.next
        stack.extend(reversed(kids))
    flush()
    if not chunks or not any(c.text for c in chunks):
        return None
    if not title:
        h1 = tree.css_first("h1")
        title = clean(h1.text(deep=True)) if h1 else ""
    return Page(url, title or url.rstrip("/").rsplit("/", 1)[-1] or url, chunks)


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")


def md_page(raw: str, url: str) -> Page | None:
    """A Markdown file: the first '# ' line is the title; '## ' .. '###### ' headings start chunks (GitHub-style slugs)."""
    title, chunks, heading, anchor, parts = "", [], "", "", []
    for line in raw.splitlines():
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m and len(m.group(1)) == 1 and not title:
            title = clean(m.group(2))
            continue
        if m:
            text = clean(" ".join(parts))
            if text or heading:
                chunks.append(Chunk(heading, anchor, text))
            heading, anchor, parts = clean(m.group(2)), _slug(m.group(2)), []
            continue
        parts.append(line)
    text = clean(" ".join(parts))
    if text or heading:
        chunks.append(Chunk(heading, anchor, text))
    if not any(c.text for c in chunks):
        return None
    return Page(url, title or url.rsplit("/", 1)[-1], chunks)


def url_of(rel: str) -> str:
    """The site URL of a file path relative to the site root: a/index.html -> /a/, a/b.html -> /a/b.html."""
    rel = rel.replace("\\", "/")
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return "/" + rel


def _read(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            warn(f"skipped {path}: {size:,} bytes, over the {MAX_BYTES:,}-byte page limit")
            return None
        data = path.read_bytes()
    except OSError as e:
        warn(f"skipped {path}: {e.strerror or e}")
        return None
    if b"\x00" in data[:8192]:
        warn(f"skipped {path}: binary file")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        warn(f"skipped {path}: not UTF-8 (byte {e.start})")
        return None


def site_files(site: Path, exclude: Path | None = None) -> list[Path]:
    """Every .html/.htm/.md file under SITE, sorted, leaving out EXCLUDE (the index folder) and hidden folders."""
    out = []
    for p in sorted(site.rglob("*")):
        rel = p.relative_to(site)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if exclude is not None and (p == exclude or exclude in p.parents):
            continue
        if p.suffix.lower() in SUFFIXES and p.is_file():
            out.append(p)
    return out


def pages_of_file(path: Path, site: Path, selector: str | None) -> Iterator[Page]:
    raw = _read(path)
    if raw is None:
        return
    rel = path.relative_to(site).as_posix()
    page = md_page(raw, "/" + rel) if path.suffix.lower() == ".md" else html_page(raw, url_of(rel), selector)
    if page is None:
        warn(f"skipped {path}: " + ("no text in its main content" if not selector or path.suffix.lower() == ".md"
                                    else f"nothing matches --selector '{selector}' (or no text in it)"))
        return
    yield page


def records(path: Path) -> Iterator[Page]:
    """A JSONL file of {url, title, text} records, one page each (not chunked)."""
    raw = _read(path)
    if raw is None:
        raise EdgembedError(f"cannot read --records {path}")
    for n, line in enumerate(raw.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise EdgembedError(f"{path}:{n}: invalid JSON ({e.msg})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("url"), str) or not isinstance(obj.get("text"), str):
            raise EdgembedError(f"{path}:{n}: expected an object with string fields 'url' and 'text' (and 'title')")
        text = clean(obj["text"])
        if not text:
            warn(f"{path}:{n}: skipped a record with no text")
            continue
        yield Page(obj["url"], clean(str(obj.get("title") or "")) or obj["url"], [Chunk("", "", text)])
