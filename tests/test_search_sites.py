"""Site search reads pages as real generators write them: tests/data/gen/<gen>/ holds the HTML that Sphinx, MkDocs,
Material for MkDocs, Hugo, Jekyll and VitePress wrote for one small set of pages (tests/data/gen/rebuild.py
rebuilds them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("selectolax")

GEN = Path(__file__).parent / "data" / "gen"

# The pages each site must index, with their titles (no site suffix), and the site name.
EXPECTED = {
    "sphinx": ("Tidewater 2.1 documentation", {
        "/": "Tidewater", "/install.html": "Installation", "/guide/harmonics.html": "Harmonic analysis",
        "/api.html": "API", "/changelog.html": "Changelog"}),
    "mkdocs": ("Tidewater Docs", {
        "/": "Tidewater Docs", "/install/": "Installation", "/guide/harmonics/": "Harmonic analysis",
        "/changelog/": "Changelog"}),
    "material": ("Tidewater Docs", {
        "/": "Tidewater", "/install/": "Installation", "/guide/harmonics/": "Harmonic analysis",
        "/changelog/": "Changelog", "/blog/2024/01/10/storm-surge-forecasts-arrive/": "Storm surge forecasts arrive",
        "/blog/2024/03/02/why-we-dropped-the-fortran-core/": "Why we dropped the Fortran core"}),
    "hugo": ("Tidewater Notes", {
        "/": "Tidewater Notes", "/docs/install/": "Installation", "/docs/guide/harmonics/": "Harmonic analysis",
        "/docs/changelog/": "Changelog", "/posts/storm-surge/": "Storm surge forecasts arrive",
        "/posts/dropping-fortran/": "Why we dropped the Fortran core"}),
    "jekyll": ("Tidewater Blog", {
        "/install.html": "Installation", "/guide/harmonics.html": "Harmonic analysis", "/changelog.html": "Changelog",
        "/news/2024/01/10/storm-surge.html": "Storm surge forecasts arrive",
        "/engineering/2024/03/02/dropping-fortran.html": "Why we dropped the Fortran core"}),
    "vitepress": ("Tidewater Guide", {
        "/": "Tidewater Guide", "/install.html": "Installation", "/guide/harmonics.html": "Harmonic analysis",
        "/changelog.html": "Changelog"}),
}

# The pages left out, with the kind of reason given.
SKIPPED = {
    "sphinx": {"/genindex.html": "generated index", "/py-modindex.html": "generated index", "/search.html": "noindex"},
    "mkdocs": {"/404.html": "404"},
    "material": {"/404.html": "404", "/blog/": "listing", "/blog/page/2/": "listing", "/blog/archive/2024/": "listing",
                 "/blog/archive/2024/page/2/": "listing", "/blog/category/news/": "listing",
                 "/blog/category/engineering/": "listing"},
    "hugo": {"/404.html": "404", "/old-install/": "noindex", "/posts/": "listing", "/posts/page/2/": "listing",
             "/docs/": "listing", "/docs/page/2/": "listing", "/docs/page/3/": "listing", "/tags/": "listing",
             "/tags/page/2/": "listing", "/tags/page/3/": "listing", "/tags/news/": "listing",
             "/tags/release/": "listing", "/tags/release/page/2/": "listing", "/tags/engineering/": "listing",
             **{f"/{p}page/1/": "noindex" for p in ("posts/", "docs/", "tags/", "categories/", "tags/news/",
                                                    "tags/release/", "tags/engineering/")}},
    "jekyll": {"/404.html": "404", "/": "listing"},
    "vitepress": {"/404.html": "404"},
}

# The install page's sections as (heading, anchor): the heading-only "Platforms" joins "Linux", no h1 text in a chunk.
INSTALL = [("Platforms › Linux", "platforms"), ("macOS", "macos"), ("Verifying the install", "verifying-the-install")]


def read_site(gen: str, include_generated: bool = False):
    from exporter.search.extract import pages_of_file, site_files, site_pass

    site = GEN / gen
    files = site_files(site)
    info = site_pass(files, site, None, include_generated)
    return info, {p.url: p for f in files for p in pages_of_file(f, site, None, info)}, files


@pytest.mark.parametrize("gen", sorted(EXPECTED))
def test_generator_site_pages_titles_and_skips(gen, capfd):
    info, pages, _ = read_site(gen)
    name, titles = EXPECTED[gen]
    assert info.site_name == name
    assert {u: p.title for u, p in pages.items()} == titles
    assert {u: why for u, why in info.skip.items()}.keys() == SKIPPED[gen].keys(), info.skip
    for url, kind in SKIPPED[gen].items():
        assert kind in info.skip[url], (url, info.skip[url])
    err = capfd.readouterr().err
    assert all(f"{url.strip('/') or 'index'}" in err for url in SKIPPED[gen] if url != "/"), err  # each said once


@pytest.mark.parametrize("gen", sorted(EXPECTED))
def test_generator_site_chunks(gen):
    from exporter.search.extract import url_of

    _, pages, files = read_site(gen)
    raw = {url_of(f.relative_to(GEN / gen).as_posix()): f.read_text(encoding="utf-8") for f in files}
    for page in pages.values():
        assert page.chunks, page.url
        html = raw[page.url]
        for c in page.chunks:
            assert c.text, (page.url, c)  # no chunk without text
            assert "¶" not in c.heading + c.text and "Permanent link" not in c.text, (page.url, c)
            assert not c.heading.endswith("#"), c
            if c.anchor:  # the anchor is an id (or a name) in the page as the generator wrote it
                assert re.search(r"""\b(id|name)=["']?""" + re.escape(c.anchor) + r"""(["'\s>])""", html), (page.url, c.anchor)
            assert "Skip to content" not in c.text
    install = next(p for u, p in pages.items() if "install" in u)
    assert [(c.heading, c.anchor) for c in install.chunks[1:]] == INSTALL
    assert install.chunks[0].text == "Tidewater runs on any machine with a C compiler and Python 3.9 or later."
    harmonics = next(p for u, p in pages.items() if "harmonics" in u)
    assert [c.anchor for c in harmonics.chunks[1:]] == ["constituents", "fitting-a-station-record", "nodal-corrections"]


def test_sphinx_sections_and_api_entries():
    _, pages, _ = read_site("sphinx")
    assert pages["/install.html"].chunks[0].anchor == "installation"  # the id is on <section>, not on the <h1>
    api = pages["/api.html"]
    assert [(c.heading, c.anchor) for c in api.chunks] == [
        ("tidewater.predict(station, start, end)", "tidewater.predict"),
        ("tidewater.fit(record, constituents=None)", "tidewater.fit")]
    assert api.chunks[0].text.startswith("Hourly water levels of STATION")


@pytest.mark.parametrize("gen, heading", [("material", "Tide predictions for every harbour"),
                                          ("vitepress", "Tidewater Tide predictions for every harbour")])
def test_hero_text_outside_main_is_read(gen, heading):
    _, pages, _ = read_site(gen)
    home = pages["/"]
    assert [c.heading for c in home.chunks] == [heading]  # no "Skip to content" chunk before it
    assert home.chunks[0].text.startswith("Tidewater predicts ocean tides from the harmonic constituents")


def test_include_generated_keeps_every_page():
    info, pages, _ = read_site("material", include_generated=True)
    assert not info.skip and info.site_name == "Tidewater Docs"
    assert {"/blog/", "/blog/page/2/", "/blog/category/news/"} <= pages.keys()
    assert "/404.html" not in pages  # kept, but it has no text besides its h1
    info, pages, _ = read_site("sphinx", include_generated=True)
    assert {"/genindex.html", "/search.html"} <= pages.keys() and pages["/genindex.html"].title == "Index"


def test_anchors_where_other_generators_put_them():
    from exporter.search.extract import html_page

    raw = ("<html><head><title>T</title></head><body><main><h1>Page</h1><p>intro words</p>"
           '<a id="before"></a><h2>Anchor before</h2><p>one</p>'
           '<h2><span id="inside"></span>Span inside</h2><p>two</p>'
           '<h2 class="anchor anchorWithStickyNavbar_x" id="docusaurus">Docusaurus<a href="#docusaurus" class="hash-link" '
           'aria-label="Direct link" title="Direct link">\u200b</a></h2><p>three</p>'
           '<h2 id="vitepress" tabindex="-1">VitePress <a class="header-anchor" href="#vitepress">#</a></h2><p>four</p>'
           '<div class="section" id="old-sphinx"><h2>Old Sphinx<a class="headerlink" href="#old-sphinx">¶</a></h2><p>five</p></div>'
           '<h2>Only a permalink <a href="#perma">🔗</a></h2><p>six</p>'
           "</main></body></html>")
    page = html_page(raw, "/p.html")
    assert [(c.heading, c.anchor, c.text) for c in page.chunks] == [
        ("Page", "", "intro words"), ("Anchor before", "before", "one"), ("Span inside", "inside", "two"),
        ("Docusaurus", "docusaurus", "three"), ("VitePress", "vitepress", "four"), ("Old Sphinx", "old-sphinx", "five"),
        ("Only a permalink", "perma", "six")]


def test_weights_and_body_attribute(tmp_path):
    from exporter.search.extract import pages_of_file, site_files, site_pass

    (tmp_path / "a.html").write_text(
        "<html><head><title>A</title></head><body><main data-edgembed-weight=0.5><h1>A</h1><p>low page text</p>"
        "<section data-edgembed-weight='3'><h2 id=hot>Hot</h2><p>important words</p></section>"
        "<h2 id=bad data-edgembed-weight=oops>Bad weight</h2><p>ignored weight</p></main>"
        "<div data-edgembed-body><p>marked body text</p></div></body></html>", encoding="utf-8")
    (tmp_path / "b.html").write_text("<html><head><title>B</title></head><body><main><p>no body mark here, skipped</p>"
                                     "</main></body></html>", encoding="utf-8")
    files = site_files(tmp_path)
    info = site_pass(files, tmp_path, None)
    assert info.body_only
    pages = [p for f in files for p in pages_of_file(f, tmp_path, None, info)]
    assert [(p.url, [c.text for c in p.chunks]) for p in pages] == [("/a.html", ["marked body text"])]
    (tmp_path / "a.html").write_text((tmp_path / "a.html").read_text().replace(" data-edgembed-body", ""))
    info = site_pass(files, tmp_path, None)
    pages = [p for f in files for p in pages_of_file(f, tmp_path, None, info)]
    a = pages[0]
    assert [(c.heading, c.weight) for c in a.chunks] == [("A", 0.5), ("Hot", 3.0), ("Bad weight", 0.5)]


def test_redirect_stub_and_title_suffix_rules():
    from exporter.search.site import site_name

    assert site_name(["Install — P 1.0 documentation", "Usage — P 1.0 documentation", "P 1.0 documentation"])[0] == \
        "P 1.0 documentation"
    assert site_name(["Install | Site", "About"])[0] == ""  # one page is not "every page"
    assert site_name(["A - B - Site", "C - Site", "D - Site"])[0] == "Site"
    assert site_name(["Alpha", "Beta", "Gamma"]) == ("", ())


def test_markdown_marks_are_stripped():
    from exporter.search.extract import md_page

    page = md_page("---\ntitle: x\n---\n# The **Title**\n\nUse `pip install x` and **bold** or *em* words, see "
                   "[the guide](guide.md) and ![a logo](l.png).\n\n> - quoted item\n\n```sh\nrun --this\n```\n\n"
                   "## Empty\n\n### Child `code`\n\nchild text\n", "/x.md")
    assert page.title == "The Title"
    assert [(c.heading, c.anchor, c.text) for c in page.chunks] == [
        ("", "", "Use pip install x and bold or em words, see the guide and a logo. quoted item run --this"),
        ("Empty › Child code", "empty", "child text")]


def test_tag_soup_never_crashes_the_site_pass(tmp_path):
    import random

    from exporter.search.extract import pages_of_file, site_files, site_pass

    seed = random.randrange(2**32)
    print(f"seed {seed}")
    rng = random.Random(seed)
    tags = ["h1", "h2", "h3", "section", "div", "a", "span", "p", "main", "article", "dt", "dl", "dd", "header", "nav",
            "li", "title", "meta", "body", "html", "table", "td"]
    attrs = ["", " id=x", " class=headerlink href=#q", " data-edgembed-weight=2", " data-edgembed-weight=nan",
             " data-edgembed-weight=-1", " data-edgembed-ignore", " http-equiv=refresh", ' href="http://[::1"',
             ' href="../a/"', ' class="section" id=s', " name=n", " role=main"]
    words = ["words here", "¶", "404", "Tide tables and more words of text", "&para;", "<!-- c -->", "\u200b"]
    for i in range(60):
        out = []
        for _ in range(rng.randint(0, 150)):
            r, t = rng.random(), rng.choice(tags)
            out.append(f"<{t}{rng.choice(attrs)}>" if r < 0.4 else f"</{t}>" if r < 0.6 else rng.choice(words))
        (tmp_path / f"p{i}.html").write_text("".join(out), encoding="utf-8")
    (tmp_path / "deep.html").write_text("<div>" * 3000 + "<h2 id=a>deep</h2><p>text</p>", encoding="utf-8")
    files = site_files(tmp_path)
    for include in (False, True):
        info = site_pass(files, tmp_path, None, include)
        pages = [p for f in files for p in pages_of_file(f, tmp_path, None, info)]
        assert all(c.text and 0 <= c.weight < float("inf") for p in pages for c in p.chunks)
    assert any(p.url == "/deep.html" for p in pages) or info.body_only


def test_pages_that_quote_code_or_are_short_twins_are_not_listings(tmp_path):
    from exporter.search.extract import site_files, site_pass

    doc = "Predict hourly water levels for a station over any span of years from its fitted harmonic constituents."
    (tmp_path / "api.html").write_text(f"<title>API</title><main><h1>API</h1><dl class=py><dt id=p>predict()"
                                       f"<a href=src.html>[source]</a></dt><dd><p>{doc}</p></dd></dl></main>")
    (tmp_path / "src.html").write_text(f'<title>Source</title><main><h1>Source code</h1><pre>def predict():\n    """{doc}"""\n'
                                       f"    return fit(station, start, end, constituents, nodal=True)</pre></main>")
    (tmp_path / "a.html").write_text("<title>Example A</title><main><h1>Example A style</h1><p>See also "
                                     "<a href=b.html>B</a>.</p></main>")
    (tmp_path / "b.html").write_text("<title>Example B</title><main><h1>Example B style</h1><p>See also "
                                     "<a href=a.html>A</a>.</p></main>")
    (tmp_path / "list.html").write_text(f"<title>News</title><main><h1>News</h1><article><h2><a href=api.html>API</a>"
                                        f"</h2><p>{doc}</p><a href=api.html>Read more</a></article></main>")
    info = site_pass(site_files(tmp_path), tmp_path, None)
    assert info.skip == {"/list.html": "a listing page (its text is other pages' excerpts)"}


@pytest.mark.parametrize("rel,title,h1,skipped", [
    ("404.html", "Page not found", "Oops", True), ("404/index.html", "Site", "Missing", True),
    ("en/404.html", "404 - Site", "Lost", True), ("docs/err.html", "Errors", "404 Not Found", True),
    ("doc/404.html", "Flow past a cylinder", "Flow past a cylinder", False),  # document number 404: content
])
def test_only_the_sites_404_page_is_left_out(tmp_path, rel, title, h1, skipped):
    from exporter.search.extract import pages_of_file, site_files, site_pass

    f = tmp_path / rel
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(f"<html><head><title>{title}</title></head><body><main><h1>{h1}</h1><p>Some words of text on the "
                 f"page, enough to be read.</p></main></body></html>", encoding="utf-8")
    files = site_files(tmp_path)
    info = site_pass(files, tmp_path, None)
    pages = [p for x in files for p in pages_of_file(x, tmp_path, None, info)]
    assert (not pages) == skipped, [p.url for p in pages]
