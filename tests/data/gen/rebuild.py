"""Rebuild the generator fixtures in tests/data/gen/<gen>/ with the real generators (tests/test_search_sites.py).

Needs on PATH: sphinx-build (pip sphinx), mkdocs (pip mkdocs, mkdocs-material, mkdocs-minify-plugin), hugo and
jekyll (Debian packages hugo, jekyll, jekyll-theme-minima), and vitepress (npm vitepress; or its path in the
VITEPRESS environment variable, e.g. VITEPRESS=/tmp/vp/node_modules/.bin/vitepress). The sources are written here, from one small set of
pages about a made-up tide-prediction toolkit; each generator builds them into a temporary folder and only the
.html files it wrote are kept (assets, feeds and search data dropped), byte for byte.

    python3 tests/data/gen/rebuild.py            # all generators
    python3 tests/data/gen/rebuild.py hugo       # one
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

INDEX = """Tidewater predicts ocean tides from the harmonic constituents of a station. It reads a year of water levels,
fits the constituents by least squares and writes hourly predictions for any span of years.
"""

INSTALL = """Tidewater runs on any machine with a C compiler and Python 3.9 or later.

## Platforms

### Linux

Install the `libnetcdf` headers with your package manager, then run **pip install tidewater**.

### macOS

Use Homebrew to get netCDF first: `brew install netcdf`. See [the harmonics guide](HARMONICS) if the build fails.

## Verifying the install

Run `tidewater --version`; it prints the version and the folder of the constituent tables.
"""

HARMONICS = """A tide is the sum of cosine waves whose periods come from the orbits of the moon and the sun.

## Constituents

The principal lunar semidiurnal wave M2 has a period of 12.42 hours; S2 is the solar one at 12 hours. The diurnal
pair K1 and O1 dominate where the tide comes once a day, as in the Gulf of Mexico.

## Fitting a station record

A record of at least 29 days separates M2 from S2. Tidewater fits amplitudes and phases with a weighted least-squares
solve and reports the residual variance of each constituent.

## Nodal corrections

The moon's orbit precesses over 18.61 years, so each lunar amplitude is scaled by a nodal factor for the year predicted.
"""

CHANGELOG = """## 2.1.0

Storm surge residuals can be added to predictions. Station files load twice as fast.

## 2.0.0

The Fortran core is gone; every solver is now NumPy.
"""

POSTS = [
    ("2024-01-10", "storm-surge", "Storm surge forecasts arrive", "news",
     "Version 2.1 adds surge residuals on top of the astronomical tide, so harbour pilots see one water level.",
     "The residual comes from a regression on wind stress and air pressure measured at the station."),
    ("2024-03-02", "dropping-fortran", "Why we dropped the Fortran core", "engineering",
     "The Fortran solver was fast but nobody could build it on new laptops, so the 2.0 release replaced it.",
     "Benchmarks show the NumPy solver within ten percent of the old speed on a decade of hourly data."),
]

PAGES = {"install": ("Installation", INSTALL), "guide/harmonics": ("Harmonic analysis", HARMONICS),
         "changelog": ("Changelog", CHANGELOG)}


def md(body: str, link: str) -> str:
    return body.replace("(HARMONICS)", f"({link})")


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def keep_html(built: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for p in sorted(built.rglob("*.html")):
        rel = p.relative_to(built)
        if any(part.startswith((".", "_")) for part in rel.parts):
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dest / rel)


def rst_title(t: str, ch: str = "=") -> str:
    return f"{t}\n{ch * len(t)}\n"


def md_to_rst(body: str) -> str:
    out = []
    for line in body.splitlines():
        if line.startswith("### "):
            out.append(rst_title(line[4:], "~"))
        elif line.startswith("## "):
            out.append(rst_title(line[3:], "-"))
        else:
            line = line.replace("**", "").replace("`", "``").replace("[the harmonics guide](HARMONICS)", ":doc:`guide/harmonics`")
            out.append(line)
    return "\n".join(out) + "\n"


def sphinx(src: Path) -> Path:
    files = {
        "conf.py": "project = 'Tidewater'\nrelease = version = '2.1'\nhtml_theme = 'alabaster'\n",
        "index.rst": rst_title("Tidewater") + "\n" + INDEX + "\n.. toctree::\n\n   install\n   guide/harmonics\n   api\n   changelog\n",
        "install.rst": rst_title("Installation") + "\n" + md_to_rst(INSTALL),
        "guide/harmonics.rst": rst_title("Harmonic analysis") + "\n" + md_to_rst(HARMONICS),
        "changelog.rst": rst_title("Changelog") + "\n" + md_to_rst(CHANGELOG),
        "api.rst": rst_title("API") + "\n.. py:module:: tidewater\n\n.. py:function:: predict(station, start, end)\n\n"
                   "   Hourly water levels of STATION from START to END, in metres above chart datum.\n\n"
                   ".. py:function:: fit(record, constituents=None)\n\n"
                   "   Amplitudes and phases of the constituents fitted to a record of water levels.\n",
    }
    write(src, files)
    subprocess.run(["sphinx-build", "-q", "-b", "html", str(src), str(src / "_out")], check=True)
    return src / "_out"


def _mkdocs_pages(link: str) -> dict[str, str]:
    files = {f"docs/{k}.md": f"# {t}\n\n" + md(b, link) for k, (t, b) in PAGES.items()}
    return files


def mkdocs(src: Path) -> Path:
    files = _mkdocs_pages("guide/harmonics.md")
    files["docs/index.md"] = "# Tidewater\n\n" + INDEX
    files["mkdocs.yml"] = "site_name: Tidewater Docs\nsite_url: https://example.org/\ntheme: mkdocs\n"
    write(src, files)
    subprocess.run(["mkdocs", "build", "-q", "-d", str(src / "_out")], cwd=src, check=True)
    return src / "_out"


def material(src: Path) -> Path:
    files = _mkdocs_pages("guide/harmonics.md")
    files["docs/index.md"] = "---\ntemplate: home.html\ntitle: Tidewater\n---\n\n# Tidewater\n"
    files["overrides/home.html"] = (
        '{% extends "main.html" %}\n{% block tabs %}\n{{ super() }}\n<section class="tx-hero"><div class="md-grid">'
        "<h1>Tide predictions for every harbour</h1><p>" + INDEX.replace("\n", " ") + "</p>"
        '<a href="install/" class="md-button">Get started</a></div></section>\n{% endblock %}\n'
        "{% block content %}{% endblock %}\n")
    files["docs/blog/index.md"] = "# Blog\n"
    for date, slug, title, cat, excerpt, more in POSTS:
        files[f"docs/blog/posts/{slug}.md"] = (f"---\ndate: {date}\ncategories:\n  - {cat}\n---\n\n# {title}\n\n"
                                               f"{excerpt}\n\n<!-- more -->\n\n## Details\n\n{more}\n")
    files["mkdocs.yml"] = (
        "site_name: Tidewater Docs\nsite_url: https://example.org/\ntheme:\n  name: material\n  custom_dir: overrides\n"
        "markdown_extensions:\n  - toc:\n      permalink: true\nplugins:\n  - search\n  - blog:\n"
        "      pagination_per_page: 1\n  - minify:\n      minify_html: true\n")
    write(src, files)
    subprocess.run(["mkdocs", "build", "-q", "-d", str(src / "_out")], cwd=src, check=True)
    return src / "_out"


HUGO_BASE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ if .IsHome }}{{ .Site.Title }}{{ else }}{{ .Title }} | {{ .Site.Title }}{{ end }}</title></head>
<body><header><a href="/">{{ .Site.Title }}</a><nav>{{ range .Site.Menus.main }}<a href="{{ .URL }}">{{ .Name }}</a> {{ end }}</nav></header>
<main>{{ block "main" . }}{{ end }}</main>
<footer>Tidewater notes, built with Hugo</footer></body></html>
"""
HUGO_SINGLE = """{{ define "main" }}<article><h1>{{ .Title }}</h1>{{ .Content }}
{{ with .Params.tags }}<p>Tags: {{ range . }}<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a> {{ end }}</p>{{ end }}</article>{{ end }}
"""
HUGO_LIST = """{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p><a href="{{ .RelPermalink }}">Read more</a></article>{{ end }}
{{ with .Paginator }}{{ if .HasNext }}<a href="{{ .Next.URL }}">Older</a>{{ end }}{{ end }}{{ end }}
"""
HUGO_HOME = """{{ define "main" }}<section class="hero"><h1>{{ .Site.Title }}</h1>{{ .Content }}</section>{{ end }}
"""
HUGO_404 = """{{ define "main" }}<h1>Page not found</h1><p>Sorry, this page does not exist. Try the <a href="/">home page</a>.</p>{{ end }}
"""


def hugo(src: Path) -> Path:
    files = {
        "config.toml": 'baseURL = "https://example.org/"\ntitle = "Tidewater Notes"\npaginate = 1\ndisableKinds = ["RSS", "sitemap", "robotsTXT"]\n'
                       '[[menu.main]]\nname = "Docs"\nurl = "/docs/install/"\n',
        "layouts/_default/baseof.html": HUGO_BASE, "layouts/_default/single.html": HUGO_SINGLE,
        "layouts/_default/list.html": HUGO_LIST, "layouts/index.html": HUGO_HOME, "layouts/404.html": HUGO_404,
        "content/_index.md": INDEX,
    }
    for k, (t, b) in PAGES.items():
        alias = '\naliases: ["/old-install/"]' if k == "install" else ""
        files[f"content/docs/{k}.md"] = f'---\ntitle: "{t}"{alias}\n---\n\n' + md(b, "../guide/harmonics/")
    for date, slug, title, cat, excerpt, more in POSTS:
        files[f"content/posts/{slug}.md"] = (f'---\ntitle: "{title}"\ndate: {date}\ntags: ["{cat}", "release"]\n---\n\n'
                                             f"{excerpt}\n\n<!--more-->\n\n## Details\n\n{more}\n")
    write(src, files)
    subprocess.run(["hugo", "--quiet", "-s", str(src), "-d", str(src / "_out")], check=True)
    return src / "_out"


def jekyll(src: Path) -> Path:
    files = {
        "_config.yml": "title: Tidewater Blog\ntheme: minima\nshow_excerpts: true\nplugins: []\n",
        "index.md": "---\nlayout: home\n---\n",
        "404.html": "---\npermalink: /404.html\nlayout: default\n---\n<div class=\"container\"><h1>404</h1>"
                    "<p><strong>Page not found :(</strong></p><p>The requested page could not be found.</p></div>\n",
    }
    for k, (t, b) in PAGES.items():
        files[f"{k}.md"] = f"---\nlayout: page\ntitle: {t}\n---\n\n" + md(b, "{{ '/guide/harmonics.html' | relative_url }}")
    for date, slug, title, cat, excerpt, more in POSTS:
        files[f"_posts/{date}-{slug}.md"] = (f"---\nlayout: post\ntitle: \"{title}\"\ncategories: {cat}\n---\n\n"
                                             f"{excerpt}\n\n## Details\n\n{more}\n")
    write(src, files)
    subprocess.run(["jekyll", "build", "-q", "-s", str(src), "-d", str(src / "_out")], check=True)
    return src / "_out"


def vitepress(src: Path) -> Path:
    files = {f"docs/{k}.md": f"# {t}\n\n" + md(b, "/guide/harmonics") for k, (t, b) in PAGES.items()}
    files["docs/index.md"] = ("---\nlayout: home\nhero:\n  name: Tidewater\n  text: Tide predictions for every harbour\n"
                              "  tagline: " + INDEX.replace("\n", " ").strip() + "\n  actions:\n    - theme: brand\n"
                              "      text: Get started\n      link: /install\n---\n")
    files["docs/.vitepress/config.mjs"] = ('export default { title: "Tidewater Guide", description: "Tide predictions",\n'
                                           '  themeConfig: { nav: [{ text: "Install", link: "/install" }] } }\n')
    write(src, files)
    exe = os.environ.get("VITEPRESS") or shutil.which("vitepress") or "vitepress"
    (src / "node_modules").symlink_to(Path(exe).parent.parent)  # .../node_modules/.bin/vitepress: vue for the pages
    subprocess.run([exe, "build", str(src / "docs"), "--outDir", str(src / "_out")],
                   check=True, stdout=subprocess.DEVNULL)
    return src / "_out"


GENERATORS = {"sphinx": sphinx, "mkdocs": mkdocs, "material": material, "hugo": hugo, "jekyll": jekyll,
              "vitepress": vitepress}


def main(names: list[str]) -> None:
    for name in names or list(GENERATORS):
        with tempfile.TemporaryDirectory() as tmp:
            keep_html(GENERATORS[name](Path(tmp)), HERE / name)
        size = sum(p.stat().st_size for p in (HERE / name).rglob("*.html"))
        print(f"{name}: {len(list((HERE / name).rglob('*.html')))} pages, {size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
