#!/usr/bin/env bash
# Rebuild the real-generator test sites in tests/data/sites/ from their sources.
# Not run by CI: the built HTML is committed (tests/data/sites/<name>.tar.xz) so tests and
# benchmarks run without the generators. See README.md for sources, licences and versions.
#
# Needs: python3 (a venv is made in $WORK/venv with pinned generators), hugo (Debian 0.111.3),
# git, network access to PyPI and GitHub (or pre-fetched clones, see MKDOCS_REPO / HTTPX_REPO).
# Usage: benchmarks/sites/build_sites.sh [WORK_DIR]   (default /tmp/edgembed-sites)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
OUT="$REPO/tests/data/sites"
WORK="${1:-/tmp/edgembed-sites}"
mkdir -p "$WORK" "$OUT"
cd "$WORK"

MKDOCS_COMMIT=2862536793b3c67d9d83c33e0dd6d50a791928f8
HTTPX_COMMIT=ae1b9f66238f75ced3ced5e4485408435de10768
TYPER_COMMIT=9a7b2e83f6b62c750d6026b0de9ebf2026a8b8fa

if [ ! -x venv/bin/python ]; then
  python3 -m venv venv
  venv/bin/pip install -q "sphinx==9.0.4" "alabaster==1.0.0" "flask==3.1.3" \
    "pallets-sphinx-themes==2.5.0" "sphinxcontrib-log-cabinet==1.0.1" "sphinx-tabs==3.5.0" \
    "mkdocs==1.6.1" "mkdocs-material==9.8.2" "pymdown-extensions==13.1.2" \
    "mkdocs-redirects==1.2.3" "mkdocs-autorefs==1.4.5" "mkdocs-literate-nav==0.6.3" \
    "mkdocstrings==1.0.8" "mkdocstrings-python==2.0.11" "mdx-gh-links==0.4" "mkdocs-click==0.9.0" \
    "markdown-callouts==0.4.0" "starlette==1.10.0" \
    "pytest==9.2.0" "furo==2025.12.19" "pygments-pytest==2.5.0" "sphinx-removed-in==0.2.3" \
    "sphinx-inline-tabs==2025.12.21.14" "sphinxcontrib-trio==1.2.0" "sphinxcontrib-towncrier==0.5.0a0" \
    "towncrier==26.9.0" "sphinx-issues==6.0.0"
fi
PY="$WORK/venv/bin"
export DISABLE_MKDOCS_2_WARNING=true NO_MKDOCS_2_WARNING=1
export SOURCE_DATE_EPOCH=1767225600  # 2026-01-01: reproducible build dates (MkDocs writes one into index.html)

# Pack only the HTML files, byte for byte as the generator wrote them (assets the search
# does not read -- images, fonts, CSS, JS bundles, search indexes -- are left out).
pack() {  # pack NAME BUILT_DIR
  local name="$1" dir="$2"
  (cd "$dir" && find . -name '*.html' -type f | LC_ALL=C sort | sed 's|^\./||' > "$WORK/$name.files")
  tar -C "$dir" --owner=0 --group=0 --numeric-owner --mtime='2026-01-01 00:00Z' \
      -cf - -T "$WORK/$name.files" | xz -9e > "$OUT/$name.tar.xz"
  echo "$name: $(wc -l < "$WORK/$name.files") pages, $(stat -c %s "$OUT/$name.tar.xz") bytes"
}

# 1. Sphinx, alabaster theme: Flask 3.1.3's documentation (from the PyPI sdist).
[ -f flask-3.1.3.tar.gz ] || "$PY/pip" download -q --no-binary :all: --no-deps flask==3.1.3 -d .
rm -rf flask-3.1.3 && tar xzf flask-3.1.3.tar.gz
mkdir -p flask-conf && cat > flask-conf/conf.py <<'PYEOF'
# Flask's own conf.py, then: Sphinx's default theme (alabaster) and no network (intersphinx off).
import os, sys
_src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "flask-3.1.3", "docs")
exec(open(os.path.join(_src, "conf.py")).read())
extensions = [e for e in extensions if e not in ("pallets_sphinx_themes", "sphinx.ext.intersphinx")]
html_theme = "alabaster"
html_theme_options = {}
html_sidebars = {"**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]}
html_logo = None
html_favicon = None
html_static_path = []
PYEOF
rm -rf build-flask
"$PY/sphinx-build" -q -b html -c flask-conf -D release=3.1.3 -D version=3.1.3 \
  flask-3.1.3/docs build-flask 2> flask-build.log || { cat flask-build.log; exit 1; }
pack sphinx-flask build-flask

# 2. MkDocs, its own mkdocs theme and config: MkDocs' documentation (GitHub mkdocs/mkdocs).
MKDOCS_REPO="${MKDOCS_REPO:-$WORK/mkdocs-repo}"
[ -d "$MKDOCS_REPO" ] || git clone -q https://github.com/mkdocs/mkdocs "$MKDOCS_REPO"
rm -rf mkdocs-src && mkdir mkdocs-src
git -C "$MKDOCS_REPO" archive "$MKDOCS_COMMIT" mkdocs.yml docs | tar -x -C mkdocs-src
# Offline build: no analytics tag, no `watch` of the package source (not in the archive).
sed -i -e '/analytics:/d' -e '/^watch:/,$d' mkdocs-src/mkdocs.yml
(cd mkdocs-src && "$PY/mkdocs" build -q -d "$WORK/build-mkdocs")
pack mkdocs-mkdocs build-mkdocs

# 3. MkDocs with the Material theme: Starlette 1.10.0's documentation (from the PyPI sdist).
[ -f starlette-1.10.0.tar.gz ] || "$PY/pip" download -q --no-binary :all: --no-deps starlette==1.10.0 -d .
rm -rf starlette-1.10.0 && tar xzf starlette-1.10.0.tar.gz
# Offline build: drop the Python inventory download and the analytics tag; strict off.
"$PY/python" - starlette-1.10.0/mkdocs.yml <<'PYEOF'
import re, sys
p = sys.argv[1]; t = open(p).read()
t = t.replace("strict: true", "strict: false").replace("watch:\n  - starlette\n", "")
t = re.sub(r"\n          inventories:\n            - url: [^\n]+", "", t)
t = re.sub(r"\n  analytics:\n    provider: google\n    property: [^\n]+", "", t)
open(p, "w").write(t)
PYEOF
(cd starlette-1.10.0 && "$PY/mkdocs" build -q -d "$WORK/build-starlette")
pack material-starlette build-starlette

# 4. Hugo (Debian 0.111.3), a minimal theme (benchmarks/sites/hugo-theme): HTTPX's documentation.
HTTPX_REPO="${HTTPX_REPO:-$WORK/httpx-repo}"
[ -d "$HTTPX_REPO" ] || git clone -q https://github.com/encode/httpx "$HTTPX_REPO"
rm -rf hugo-httpx && mkdir -p hugo-httpx/content hugo-httpx/themes
git -C "$HTTPX_REPO" archive "$HTTPX_COMMIT" docs | tar -x -C hugo-httpx
# Each page gets front matter with its title (its first "# " heading, else its file name; Hugo needs a title, and
# refuses a page that starts with raw HTML as the home page does without front matter).
"$PY/python" - hugo-httpx/docs hugo-httpx/content <<'PYEOF'
import pathlib, re, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in sorted(src.rglob("*.md")):
    text = f.read_text(encoding="utf-8")
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # not a "# comment" in code
    m = re.search(r"^# (.+)$", prose, re.M)
    title = m.group(1).strip() if m else f.stem.replace("_", " ").replace("-", " ").title()
    show = "" if m else "showTitle: true\n"  # the theme prints an h1 where the page has none
    rel = f.relative_to(src)
    out = dst / (rel.parent / "_index.md" if rel.name == "index.md" else rel)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("---\ntitle: %s\n%s---\n%s" % (title.replace('"', "'").join('""'), show, text), encoding="utf-8")
PYEOF
rm -rf hugo-httpx/docs
cp -r "$HERE/hugo-theme" hugo-httpx/themes/plain
cat > hugo-httpx/config.toml <<'TOMLEOF'
baseURL = "https://www.python-httpx.org/"
languageCode = "en"
title = "HTTPX"
theme = "plain"
disableKinds = ["taxonomy", "term", "RSS"]
pluralizeListTitles = false
[params]
footer = "Copyright © 2019, Encode OSS Ltd. All rights reserved."
[markup.goldmark.renderer]
unsafe = true
TOMLEOF
rm -rf build-httpx
hugo --quiet -s hugo-httpx -d "$WORK/build-httpx"
pack hugo-httpx build-httpx

# 5. Jekyll (Debian 4.3.1) with the minima theme (Debian jekyll-theme-minima 2.5.1): Typer's documentation
#    (GitHub fastapi/typer). Each page gets front matter (layout, title from its first "# " heading, Liquid off),
#    and each `{* docs_src/....py ... *}` include is replaced by that file as a code block, as Typer's own build does.
TYPER_REPO="${TYPER_REPO:-$WORK/typer-repo}"
[ -d "$TYPER_REPO" ] || git clone -q https://github.com/fastapi/typer "$TYPER_REPO"
rm -rf jekyll-typer && mkdir -p jekyll-typer/src
git -C "$TYPER_REPO" archive "$TYPER_COMMIT" docs docs_src | tar -x -C jekyll-typer/src
"$PY/python" - jekyll-typer/src jekyll-typer/site <<'PYEOF'
import pathlib, re, sys
src, dst = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def include(m):
    path = src / m.group(1)
    code = path.read_text(encoding="utf-8").rstrip("\n") if path.is_file() else m.group(0)
    return "```python\n" + code + "\n```"
for f in sorted((src / "docs").rglob("*.md")):
    rel = f.relative_to(src / "docs")
    if rel.parts[0] in ("img", "js", "css", "overrides"):
        continue
    text = re.sub(r"^\{\* \.*/?(?:\.\./)*(docs_src/\S+) [^\n]*\*\}$", include, f.read_text(encoding="utf-8"), flags=re.M)
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    m = re.search(r"^# (.+)$", prose, re.M)
    title = re.sub(r"[*`]", "", m.group(1)).strip() if m else rel.stem.replace("-", " ").title()
    out = dst / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    front = "---\nlayout: default\ntitle: %s\nrender_with_liquid: false\n---\n" % title.replace('"', "'").join('""')
    out.write_text(front + text, encoding="utf-8")
PYEOF
cat > jekyll-typer/site/_config.yml <<'YMLEOF'
title: Typer
description: Typer, build great CLIs. Easy to code. Based on Python type hints.
url: "https://typer.tiangolo.com"
theme: minima
plugins:
  - jekyll-feed
header_pages:
  - tutorial/index.md
  - reference/index.md
  - features.md
  - release-notes.md
YMLEOF
rm -rf build-typer
jekyll build --quiet -s jekyll-typer/site -d "$WORK/build-typer"
pack jekyll-typer build-typer

# 6. Sphinx with the furo theme (pytest's own conf.py): pytest 9.2.0's documentation (from the PyPI sdist),
#    intersphinx and viewcode off (no network, no highlighted-source pages). 259 pages, 189 of them release
#    announcements.
[ -f pytest-9.2.0.tar.gz ] || "$PY/pip" download -q --no-binary :all: --no-deps pytest==9.2.0 -d .
rm -rf pytest-9.2.0 && tar xzf pytest-9.2.0.tar.gz
mkdir -p pytest-conf && cat > pytest-conf/conf.py <<'PYEOF'
# pytest's own conf.py (furo theme), then: no network (intersphinx off), no viewcode source pages.
import os
__file__ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pytest-9.2.0", "doc", "en", "conf.py")
exec(open(__file__).read())
extensions = [e for e in extensions if e not in ("sphinx.ext.intersphinx", "sphinx.ext.viewcode")]
html_static_path = [os.path.join(os.path.dirname(__file__), "_static")]
html_logo = os.path.join(os.path.dirname(__file__), "_static", "pytest1.png")
PYEOF
rm -rf build-pytest
"$PY/sphinx-build" -q -b html -c pytest-conf pytest-9.2.0/doc/en build-pytest 2> pytest-build.log || { cat pytest-build.log; exit 1; }
pack furo-pytest build-pytest
