"""An HTML page's main content split into sections, as site generators write them (docs/search.md).

A section starts at a heading and keeps the anchor that links to it, wherever the generator put the id: on the
heading, on an enclosing ``<section id>`` / ``<div class="section" id>`` (Sphinx), on an ``<a id>``/``<span id>``
right before or inside the heading, or only in the heading's permalink (``href="#id"``). Permalink elements
(``headerlink``, ``hash-link``, ``header-anchor`` ...), glyphs (¶ § # 🔗) and "skip to content" links are left
out of the text. An ``h1``
always starts a section (so it never runs into the first chunk's text); sections that are only a heading are merged
into the next one; ``data-edgembed-weight`` on an element gives the sections it holds that weight."""

from __future__ import annotations

from dataclasses import dataclass

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
SKIP_TAGS = frozenset({"nav", "header", "footer", "aside", "script", "style", "noscript", "template", "svg", "form",
                       "button", "select", "textarea", "iframe", "object", "canvas", "input", "label"})
SKIP_ROLES = frozenset({"navigation", "banner", "contentinfo", "search", "complementary", "dialog", "alertdialog"})
BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "section", "article", "main",
                    "blockquote", "pre", "dd", "dt", "dl", "figure", "figcaption", "hr"}) | frozenset(HEADINGS)
PERMALINK_CLASSES = frozenset({"headerlink", "hash-link", "header-anchor", "anchor-link", "anchorjs-link",
                               "heading-anchor", "permalink", "headeranchor-link", "anchor"})
GLYPHS = " ¶§#🔗⚓\u200b"  # permalink signs (VitePress' is a zero-width space) trimmed off a heading's ends


@dataclass
class Section:
    heading: str
    anchor: str
    text: str
    weight: float = 1.0
    level: int = 0  # 1..6 for h1..h6, 7 for a dt entry, 0 for the text before the first heading


def clean(text: str) -> str:
    """Runs of whitespace to one space, trimmed (the index stores text this way, so words split at U+0020)."""
    return " ".join(text.split())  # str.split() and re's \s agree on what is whitespace


def same(a, b) -> bool:
    """Whether two selectolax nodes are one element (each access makes a new wrapper, and == serializes both)."""
    return a.mem_id == b.mem_id


def _classes(node) -> set[str]:
    return set(str(node.attributes.get("class") or "").split())


def skipped(node) -> bool:
    """An element whose text is never read: chrome (nav, header, ...), ignored, or a permalink."""
    tag = node.tag
    if tag in SKIP_TAGS:
        return True
    attrs = node.attributes
    if "data-edgembed-ignore" in attrs or str(attrs.get("role") or "") in SKIP_ROLES:
        return True
    if tag == "div" and "toctree-wrapper" in _classes(node):
        return True  # Sphinx's table of contents inside a page: navigation
    if tag != "a":
        return False
    classes = _classes(node)
    return bool(classes & PERMALINK_CLASSES) or any("skip" in c.lower() for c in classes)  # permalinks, "skip to content"


def _kids(node) -> list:
    out, child = [], node.child
    while child is not None:
        out.append(child)
        child = child.next
    return out


def text_of(node, prose: bool = False) -> str:
    """The readable text under NODE (skipped elements left out; with PROSE links and <pre> blocks too), whitespace
    collapsed, permalink glyphs trimmed."""
    parts, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, str):
            parts.append(n)
            continue
        if n.tag == "-text":
            parts.append(n.text_content or "")
            continue
        if n.tag in ("-comment", "!doctype") or skipped(n) or (prose and n.tag in ("a", "pre") and not same(n, node)):
            continue
        if n.tag in BLOCKS:
            parts.append(" ")
        kids: list = []
        for k in _kids(n):  # in a heading, two elements side by side are two words (VitePress' hero h1:
            # <span>Name</span><span>Text</span>); elsewhere they may be one (Sphinx: <span>mod.</span><span>func</span>)
            if n.tag in HEADINGS and kids and not isinstance(kids[-1], str) and kids[-1].tag not in ("-text", "-comment") \
                    and k.tag not in ("-text", "-comment"):
                kids.append(" ")
            kids.append(k)
        stack.extend(reversed(kids))
    return clean("".join(parts)).strip(GLYPHS).strip()


def _weight(value) -> float | None:
    try:
        w = float(str(value))
    except (TypeError, ValueError):
        return None
    return w if w >= 0 and w == w and w != float("inf") else None


def weight_above(node) -> float:
    """The data-edgembed-weight in force at NODE: its own or its nearest ancestor's, else 1."""
    while node is not None and node.tag != "-undef":
        w = _weight(node.attributes.get("data-edgembed-weight")) if node.tag not in ("-text", "-comment") else None
        if w is not None:
            return w
        node = node.parent
    return 1.0


def anchor_of(node) -> str:
    """The fragment that links to heading NODE ('' when none): its id, an anchor inside or right before it, the
    enclosing section's id (the heading being the section's first element), or its permalink's href."""
    attrs = node.attributes
    if attrs.get("id"):
        return str(attrs["id"])
    permalink = ""
    for a in node.css("[id], a[name], a[href^='#']"):
        if a.attributes.get("id"):
            return str(a.attributes["id"])
        if a.attributes.get("name"):
            return str(a.attributes["name"])
        permalink = permalink or str(a.attributes.get("href") or "")[1:]
    prev = node.prev
    while prev is not None and (prev.tag == "-comment" or (prev.tag == "-text" and not (prev.text_content or "").strip())):
        prev = prev.prev
    if prev is not None and prev.tag in ("a", "span") and not text_of(prev):
        pid = prev.attributes.get("id") or prev.attributes.get("name")
        if pid:
            return str(pid)
    parent = node.parent
    if parent is not None and parent.tag in ("section", "div", "article") and parent.attributes.get("id"):
        first = next((k for k in _kids(parent) if k.tag not in ("-text", "-comment")), None)
        if first is not None and same(first, node):
            return str(parent.attributes["id"])
    return permalink


def _starts_section(node) -> int:
    """The level of the section NODE starts (1..6 headings, 7 an API entry ``<dt id>``), 0 when it starts none."""
    tag = node.tag
    if tag in HEADINGS:
        level = int(tag[1])
        return level if level == 1 or anchor_of(node) else 0
    if tag == "dt" and node.attributes.get("id") and node.parent is not None and node.parent.attributes.get("class"):
        return 7  # Sphinx's <dl class="py function"><dt id="mod.func">: one section per documented object
    return 0


def split(roots: list) -> list[Section]:
    """The sections of the content under ROOTS, in document order, before merging."""
    out: list[Section] = []
    for root in roots:
        cur = Section("", "", "", weight_above(root), 0)
        parts: list[str] = []
        stack = [(root, cur.weight)]
        while stack:
            node, w = stack.pop()
            tag = node.tag
            if tag == "-text":
                parts.append(node.text_content or "")
                continue
            if tag in ("-comment", "!doctype") or skipped(node):
                continue
            own = _weight(node.attributes.get("data-edgembed-weight"))
            w = own if own is not None else w
            level = _starts_section(node) if not same(node, root) else 0
            if level:
                cur.text = clean("".join(parts))
                out.append(cur)
                cur, parts = Section(text_of(node), anchor_of(node), "", w, level), []
                if level == 7:  # the entry's signature is its heading; its description follows in the dd
                    continue
                continue
            if tag in BLOCKS:
                parts.append(" ")
            stack.extend((k, w) for k in reversed(_kids(node)))
        cur.text = clean("".join(parts))
        out.append(cur)
    return out


def merge(sections: list[Section]) -> list[Section]:
    """No section without text: a heading-only section joins the next one (its heading before the next heading,
    its anchor kept), an h1 with no text of its own is dropped (the page title says it; a page of only an h1 has
    no chunk); an h2.. with nothing after it at all (broken HTML can put the text inside it) becomes its own text."""
    out: list[Section] = []
    carry: Section | None = None
    for s in sections:
        if carry is not None:
            s = Section(f"{carry.heading} › {s.heading}" if s.heading else carry.heading, carry.anchor or s.anchor,
                        s.text, max(carry.weight, s.weight), carry.level)
            carry = None
        if s.text:
            out.append(s)
        elif s.heading and s.level > 1:
            carry = s
    if carry is not None:
        out.append(Section(carry.heading, carry.anchor, carry.heading, carry.weight, carry.level))
    return out
