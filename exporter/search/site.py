"""The site-wide pass before chunking: the title suffix every page repeats, and the pages that are not content.

Generated pages (docs/search.md) are recognised from the page itself: a redirect stub (meta refresh), a page
marked noindex, a 404 page, a search page, a generated index (Sphinx genindex / py-modindex), a source listing
(Sphinx viewcode); and from the site: a listing page (blog index, archive, category, tag, pagination) is one
whose text is mostly excerpts of the pages it links to (runs of words found on a page with more text of its own),
or mostly links to its other pages."""

from __future__ import annotations

import re
import zlib
from array import array
from urllib.parse import urljoin, urlsplit
from collections import Counter
from dataclasses import dataclass, field

from exporter.search.sections import clean, same, skipped, text_of

SEPARATORS = (" — ", " – ", " - ", " | ", " · ", " :: ", " » ", " • ")
SHINGLE = 5  # words a shingle (link text left out): runs of words two pages share are one's excerpt of the other
SAMPLE = 4  # one shingle in SAMPLE kept (by hash: the same ones on every page), 8 bytes each
MAX_SHARING = 64  # a run of words on more pages than this is boilerplate (a notice on every page), not an excerpt
LEAD_WORDS = 150  # an excerpt is a page's lead: runs shared further down are quotes or repeats, not excerpts
MIN_WORDS = 15  # a page with fewer words of prose is too short to tell (a code example's page: title, "see also")
LISTING_SHARE = 0.5  # a page whose text is at least this share other pages' excerpts is a listing
LINK_SHARE = 0.6  # ... or whose text is at least this share the text of links within the site (LINK_MIN or more)
LINK_MIN = 2
_WORD = re.compile(r"\w+")


@dataclass
class Facts:
    """What the site-wide pass keeps of a page (not its text)."""

    url: str
    title: str
    generated: str = ""  # why the page itself says it is not content ('' when it is)
    marked_body: bool = False  # has a data-edgembed-body element
    shingles: array = field(default_factory=lambda: array("q"))  # hashes of a sample of its 5-word runs
    lead: array = field(default_factory=lambda: array("q"))  # those that start in its first LEAD_WORDS words
    text_chars: int = 0
    link_chars: int = 0
    links: int = 0
    words: int = 0  # words of prose (no links, no code blocks)
    targets: set[str] = field(default_factory=set)  # the site URLs its content links to


@dataclass
class SiteInfo:
    """The site-wide decisions: the site name and title suffix, the pages skipped (url -> why), body-only mode."""

    site_name: str = ""
    suffixes: tuple[str, ...] = ()
    skip: dict[str, str] = field(default_factory=dict)
    body_only: bool = False

    def title(self, title: str) -> str:
        """TITLE without the site's suffix (the site name alone stays as it is)."""
        for s in self.suffixes:
            if title.endswith(s) and len(title) > len(s):
                return title[: -len(s)].strip()
        return title


def generated_reason(tree, root, url: str) -> str:
    """Why the page says it is not content: '' for a content page."""
    for m in tree.css("meta"):
        a = m.attributes
        if str(a.get("http-equiv") or "").lower() == "refresh":
            return "a redirect stub (meta refresh)"
        if str(a.get("name") or "").lower() == "robots" and "noindex" in str(a.get("content") or "").lower():
            return "marked noindex (robots meta)"
    path = url.strip("/").lower()
    last = path.rsplit("/", 1)[-1]
    h1 = root.css_first("h1") if root is not None else None
    title = tree.css_first("title")
    says = " ".join(text_of(x) for x in (h1, title) if x is not None).lower()
    # the site's 404 page: at the root (404.html, 404/), or deeper (a language folder) when it says so; a document
    # that happens to be number 404 (doc/404.html) is content
    if (last in ("404", "404.html", "404.htm") and ("/" not in path or "404" in says or "not found" in says)) \
            or (h1 is not None and re.match(r"404\b", text_of(h1))):
        return "a 404 page"
    if root is None:
        return ""
    if root.css_first("table.genindextable, table.modindextable, table.indextable"):
        return "a generated index (genindex / module index)"
    if root.css_first("#search-results, .search-results, [id^=search-results]"):
        return "a search page"
    if root.css_first(".viewcode-block, .viewcode-back") or url.startswith("/_modules/"):
        return "a generated source listing (Sphinx viewcode)"
    return ""


def facts_of(tree, root, url: str, title: str) -> Facts:
    """A page's facts for the site-wide pass, from its content ROOT."""
    f = Facts(url, title, generated_reason(tree, root, url), tree.css_first("[data-edgembed-body]") is not None)
    if root is None:
        return f
    text = text_of(root, prose=True)  # a listing's links (titles, "read more") and code blocks left out: a docstring
    words = _WORD.findall(text.lower())  # is not an excerpt of the source page that shows it (Sphinx viewcode)
    f.words = len(words)
    runs = shingles(words)
    f.shingles = array("q", sorted(runs))
    f.lead = array("q", sorted(h for h, i in runs.items() if i < LEAD_WORDS))
    for a in root.css("a[href]"):
        n, hidden = a, False
        while not hidden and n is not None and not same(n, root) and n.tag != "-undef":
            hidden = skipped(n) or n.tag == "pre"  # as the text counted: no code blocks
            n = n.parent
        if not hidden:
            href = str(a.attributes.get("href") or "")
            chars = len(text_of(a))
            other = 0
            if href.startswith(("http:", "https:", "//", "mailto:")):
                other = chars  # a link out of the site: a page of them (talks, projects using X) is content
            else:
                f.links += 1
                f.link_chars += chars
            f.text_chars += other
            target = link_target(url, href)
            if target and target != url:
                f.targets.add(target)
    f.text_chars += len(text) + f.link_chars  # code blocks left out
    return f


def shingles(words: list[str]) -> dict[int, int]:
    """The sampled hashes of the SHINGLE-word runs of WORDS, each with the word it first starts at: the same on
    every run and machine (no hash(), which Python salts per process)."""
    ids = {w: zlib.crc32(w.encode("utf-8")) for w in set(words)}
    out: dict[int, int] = {}
    for i in range(max(len(words) - SHINGLE + 1, 0)):
        h = 0
        for w in words[i:i + SHINGLE]:
            h = (h * 0x100000001B3 + ids[w]) & 0x7FFFFFFFFFFFFFFF
        if h % SAMPLE == 0:
            out.setdefault(h, i)
    return out


def link_target(url: str, href: str) -> str:
    """The site URL HREF on page URL points to ('' for another site), as url_of writes it (no index.html)."""
    try:
        parts = urlsplit(urljoin("http://site" + url, href))
    except ValueError:  # a malformed href ("http://[::1") is no link
        return ""
    if parts.netloc != "site" and parts.scheme in ("http", "https", ""):
        path = parts.path  # an absolute link to the site's own host: compared by path
    elif parts.netloc != "site":
        return ""
    else:
        path = parts.path
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return path or "/"


def site_name(titles: list[str]) -> tuple[str, tuple[str, ...]]:
    """The name the site repeats after a separator on most titles, and the suffixes to strip ('', () if none)."""
    tails: Counter[str] = Counter()
    for t in titles:
        seen = set()
        for sep in SEPARATORS:
            at = t.find(sep)
            while at >= 0:
                seen.add(t[at + len(sep):].strip())
                at = t.find(sep, at + 1)
        tails.update(s for s in seen if s)
    bare = Counter(titles)
    best, best_n = "", 0
    for tail, n in tails.items():
        total = n + bare[tail]
        if n >= 2 and 2 * total >= len(titles) and (total, len(tail)) > (best_n, len(best)):
            best, best_n = tail, total
    if not best:
        return "", ()
    return best, tuple(sep + best for sep in SEPARATORS)


def listings(facts: list[Facts]) -> dict[str, str]:
    """Pages made mostly of other pages' excerpts (or of links): url -> why. Runs of words found on more than
    MAX_SHARING pages are boilerplate, not excerpts, and left out of the count."""
    import numpy as np

    n = len(facts)
    lens = np.array([len(f.shingles) for f in facts], dtype=np.int64)
    h = np.concatenate([np.asarray(f.shingles, dtype=np.int64) for f in facts]) if n else np.zeros(0, np.int64)
    page = np.repeat(np.arange(n), lens)
    order = np.lexsort((page, h))
    h, page = h[order], page[order]
    _, start, count = np.unique(h, return_index=True, return_counts=True)
    unique = np.bincount(page[np.repeat(count, count) == 1], minlength=n)
    borrowed = np.zeros(n, dtype=np.int64)
    owners: dict[tuple[int, ...], int] = {}
    leads: dict[int, set[int]] = {}
    for s, c in zip(start[(count > 1) & (count <= MAX_SHARING)], count[(count > 1) & (count <= MAX_SHARING)]):
        sharing = tuple(int(i) for i in page[s:s + c])
        if sharing not in owners:  # the page the others link to, else the one with the most text of its own
            linked = {i: sum(1 for j in sharing if j != i and facts[i].url in facts[j].targets) for i in sharing}
            owners[sharing] = max(sharing, key=lambda i: (linked[i], unique[i], -facts[i].links, -len(facts[i].url), -i))
        owner = owners[sharing]
        if owner not in leads:
            leads[owner] = set(facts[owner].lead)
        if int(h[s]) not in leads[owner]:
            continue  # not from the owner's lead: a passage two pages repeat, not an excerpt
        for i in sharing:
            if i != owner and facts[owner].url in facts[i].targets:  # a listing links to the pages it quotes
                borrowed[i] += 1
    out: dict[str, str] = {}
    for i, f in enumerate(facts):
        if f.words >= MIN_WORDS and lens[i] and borrowed[i] >= LISTING_SHARE * lens[i]:
            out[f.url] = "a listing page (its text is other pages' excerpts)"
        elif f.links >= LINK_MIN and f.link_chars >= LINK_SHARE * max(f.text_chars, 1):
            out[f.url] = "a listing page (mostly links to other pages)"
    return out


def site_info(facts: list[Facts], include_generated: bool = False) -> SiteInfo:
    """The site-wide decisions from every page's facts."""
    info = SiteInfo(body_only=any(f.marked_body for f in facts))
    content = [f for f in facts if not f.generated.startswith("a redirect")]
    info.site_name, info.suffixes = site_name([clean(f.title) for f in content if f.title])
    if include_generated:
        return info
    for f in facts:
        if f.generated and not f.marked_body:
            info.skip[f.url] = f.generated
    marked = {f.url for f in facts if f.marked_body}
    for url, why in listings([f for f in content if f.url not in info.skip]).items():
        if url not in marked:
            info.skip[url] = why
    return info
