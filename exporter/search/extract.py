"""Pages of a built site: HTML (main content split into sections, sections.py), Markdown, and JSONL records.

Each page yields chunks; a chunk keeps the page's title and URL, its heading and anchor, its weight
(``data-edgembed-weight``) and its text with runs of whitespace collapsed to one space. Skipped: nav, header,
footer, aside, script, style and anything marked ``data-edgembed-ignore``. A site is read in two passes
(site.py): the first finds the title suffix every page repeats and the pages that are not content (generated,
listing); the second splits the others. Bad files are skipped with a one-line warning (binary, not UTF-8, over
the size limit, no text), never a crash."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from exporter.errors import EdgembedError
from exporter.search.sections import Section, clean, merge, same, split, text_of
from exporter.search.site import Facts, SiteInfo, facts_of, site_info

MAX_BYTES = 10 * 1024 * 1024  # pages above this are skipped (a 50 MB "page" is not a page)
SUFFIXES = (".html", ".htm", ".md")
HERO_CHARS = 100  # a main element with less text than this gives way to the body (a home page's hero)


@dataclass
class Chunk:
    heading: str
    anchor: str
    text: str
    weight: float = 1.0  # data-edgembed-weight of the element holding the chunk (1 when none)


@dataclass
class Page:
    url: str
    title: str
    chunks: list[Chunk] = field(default_factory=list)


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


def _roots(tree, selector: str | None, body_only: bool) -> list:
    """The content elements: [data-edgembed-body] ones, the --selector match, else main / [role=main] / article /
    body; a main with (almost) no text gives way to the body where that has prose (a home page's hero)."""
    if body_only:
        marked = tree.css("[data-edgembed-body]")
        return [m for m in marked if not any(not same(o, m) and _inside(m, o) for o in marked)]
    if selector:
        try:
            root = tree.css_first(selector)
        except Exception as e:  # lexbor raises on a bad selector
            raise EdgembedError(f"bad --selector '{selector}': {e}") from None
        return [root] if root is not None else []
    root = tree.css_first("main") or tree.css_first("[role=main]") or tree.css_first("article") or tree.body
    if root is None:
        return []
    if tree.body is not None and not same(root, tree.body) and len(text_of(root)) < HERO_CHARS \
            and len(text_of(tree.body, prose=True)) >= HERO_CHARS:  # prose, not the theme's menus of links
        return [tree.body]
    return [root]


def _inside(node, other) -> bool:
    n = node.parent
    while n is not None and n.tag != "-undef":
        if same(n, other):
            return True
        n = n.parent
    return False


def _title(tree) -> str:
    node = tree.css_first("title")
    return clean(node.text(deep=True)) if node else ""


def html_facts(raw: str, url: str, selector: str | None = None) -> Facts:
    """The site-wide pass's facts of an HTML page."""
    tree = _parser()(raw)
    roots = _roots(tree, selector, False)
    return facts_of(tree, roots[0] if roots else None, url, _title(tree))


def html_page(raw: str, url: str, selector: str | None = None, site: SiteInfo | None = None) -> Page | None:
    """The page of an HTML document, or None when its main content has no text."""
    tree = _parser()(raw)
    title = _title(tree)
    roots = _roots(tree, selector, site is not None and site.body_only)
    if not roots:
        return None  # pages without the site's content element are not indexed (as Pagefind does)
    sections = split(roots)
    if not title:
        title = next((s.heading for s in sections if s.level == 1), "")
    chunks = [Chunk(s.heading, s.anchor, s.text, s.weight) for s in merge(sections)]
    if not chunks:
        return None
    if site is not None:
        title = site.title(title)
    return Page(url, title or url.rstrip("/").rsplit("/", 1)[-1] or url, chunks)


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.lower()).strip().replace(" ", "-")


_MD_INLINE = [
    (re.compile(r"<!--.*?-->", re.S), " "),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"</?[A-Za-z][^>]*>"), " "),  # inline HTML tags
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)"), r"\1"),  # emphasis
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w])"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"`+([^`]*)`+"), r"\1"),  # code spans: their text
]
_MD_LINE = re.compile(r"^\s{0,3}(?:>\s?)*(?:[-*+]\s+|\d+[.)]\s+)?")  # quote and list markers


def md_text(line: str) -> str:
    """A Markdown line as plain text: no emphasis marks, backticks, link targets, list or quote markers."""
    line = _MD_LINE.sub("", line)
    if re.match(r"^\s*(```|~~~|[-*_]{3,}\s*$|\|?\s*:?-{3,})", line):
        return ""  # fences, rules, table separators
    for rx, rep in _MD_INLINE:
        line = rx.sub(rep, line)
    return line.replace("|", " ")


def md_page(raw: str, url: str) -> Page | None:
    """A Markdown file: the first '# ' line is the title; '## ' .. '###### ' headings start chunks (GitHub-style
    slugs); the stored text has the Markdown marks taken out; a front matter block is left out."""
    lines = raw.splitlines()
    if lines and lines[0].strip() in ("---", "+++"):
        end = next((i for i, ln in enumerate(lines[1:], 1) if ln.strip() == lines[0].strip()), None)
        if end is not None:
            lines = lines[end + 1:]
    title, sections, heading, anchor, parts, level = "", [], "", "", [], 0
    for line in lines:
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m and len(m.group(1)) == 1 and not title:
            title = clean(md_text(m.group(2)))
            continue
        if m:
            sections.append(Section(heading, anchor, clean(" ".join(parts)), 1.0, level))
            heading, anchor, parts = clean(md_text(m.group(2))), _slug(m.group(2)), []
            level = len(m.group(1))
            continue
        parts.append(md_text(line))
    sections.append(Section(heading, anchor, clean(" ".join(parts)), 1.0, level))
    chunks = [Chunk(s.heading, s.anchor, s.text) for s in merge(sections)]
    if not chunks:
        return None
    return Page(url, title or url.rsplit("/", 1)[-1], chunks)


def url_of(rel: str) -> str:
    """The site URL of a file path relative to the site root: a/index.html -> /a/, a/b.html -> /a/b.html."""
    rel = rel.replace("\\", "/")
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return "/" + rel


def _read(path: Path, quiet: bool = False) -> str | None:
    """The text of a page file, or None with a warning (none when QUIET: the site pass reads files twice)."""
    say = (lambda msg: None) if quiet else warn
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            say(f"skipped {path}: {size:,} bytes, over the {MAX_BYTES:,}-byte page limit")
            return None
        data = path.read_bytes()
    except OSError as e:
        say(f"skipped {path}: {e.strerror or e}")
        return None
    if b"\x00" in data[:8192]:
        say(f"skipped {path}: binary file")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        say(f"skipped {path}: not UTF-8 (byte {e.start})")
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


def _url(path: Path, site: Path) -> str:
    rel = path.relative_to(site).as_posix()
    return "/" + rel if path.suffix.lower() == ".md" else url_of(rel)


def pages_of_file(path: Path, site: Path, selector: str | None, info: SiteInfo | None = None) -> Iterator[Page]:
    """The page of one file (none when it is skipped, with a warning saying why)."""
    url = _url(path, site)
    if info is not None and url in info.skip:
        warn(f"skipped {path}: {info.skip[url]} (--include-generated keeps it)")
        return
    raw = _read(path)
    if raw is None:
        return
    is_md = path.suffix.lower() == ".md"
    if info is not None and info.body_only and (is_md or "data-edgembed-body" not in raw):
        return  # some page has data-edgembed-body: the pages without it are left out (as Pagefind does), silently
    page = md_page(raw, url) if is_md else html_page(raw, url, selector, info)
    if page is None:
        why = ("no text in its data-edgembed-body elements" if info is not None and info.body_only
               else "no text in its main content" if not selector or is_md
               else f"nothing matches --selector '{selector}' (or no text in it)")
        warn(f"skipped {path}: {why}")
        return
    yield page


def site_pass(files: list[Path], site: Path, selector: str | None, include_generated: bool = False) -> SiteInfo:
    """The first pass over the site's HTML files: title suffix, generated and listing pages (site.py)."""
    facts = []
    for path in files:
        if path.suffix.lower() == ".md":
            continue
        raw = _read(path, quiet=True)
        if raw is not None:
            facts.append(html_facts(raw, _url(path, site), selector))
    return site_info(facts, include_generated)


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
