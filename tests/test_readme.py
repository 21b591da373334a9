"""The README as a newcomer reads it: short, every command in it parses with today's CLI, every file and link it
names exists, and the web page snippet's paths are where an export puts them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from exporter.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def _commands() -> list[list[str]]:
    """Every simple command of the README's bash blocks, split on && ; | and with comments removed."""
    out = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            cmd: list[str] = []
            for w in words + ["&&"]:
                if w in ("&&", ";", "|", "||"):
                    if cmd:
                        out.append(cmd)
                    cmd = []
                else:
                    cmd.append(w)
    return out


def _slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: the rendered text (no markup) lowercased, punctuation other than
    - and _ removed, each space a hyphen (github-slugger)."""
    s = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())  # [text](url) renders as text
    s = re.sub(r"<[^>]+>", "", s)  # inline HTML
    s = re.sub(r"[`*]", "", s)
    s = re.sub(r"(?<![\w])_(.+?)_(?![\w])", r"\1", s)  # _emphasis_ (an underscore inside a word stays)
    s = re.sub(r"[^\w\- ]", "", s.lower())
    return s.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    """Every anchor of a Markdown file: its headings' slugs (a repeated one gets -1, -2, ...) and HTML ids."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)  # no headings in code
    seen: dict[str, int] = {}
    out = set(re.findall(r"""<a\s+(?:id|name)=["']([^"']+)["']""", text))
    for h in re.findall(r"^#{1,6} +(.+?)#*$", text, flags=re.M):
        slug = _slug(h)
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _links(path: Path) -> list[tuple[str, str]]:
    """(target, anchor) of every Markdown link and image in PATH outside code (inline, reference, <img src>)."""
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", "", text)
    found = re.findall(r"\]\(<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\)", text)
    found += re.findall(r"^\s*\[[^\]]+\]:\s*(\S+)", text, flags=re.M)
    found += re.findall(r"""<(?:img|a)\s[^>]*(?:src|href)=["']([^"']+)["']""", text)
    out = []
    for link in found:
        target, _, anchor = link.partition("#")
        out.append((target, anchor))
    return out


def test_readme_is_short():
    assert len(README.splitlines()) <= 200


def test_readme_has_no_placeholders():
    assert not re.findall(r"\{[A-Z_]{3,}\}", README)


def test_every_edgembed_command_parses():
    cmds = [c for c in _commands() if c[0] == "edgembed"]
    assert len(cmds) >= 6, cmds
    parser = build_parser()
    for c in cmds:
        try:
            parser.parse_args(c[1:])
        except SystemExit as e:  # argparse's error exit
            pytest.fail(f"README command does not parse ({e.code}): {' '.join(c)}")


def test_every_named_file_exists():
    named = set()
    for c in _commands():
        named.update(w for w in c if re.match(r"^(scripts|benchmarks|tests|web)/[\w./-]+\.(sh|py|mjs)$", w))
    named.update(re.findall(r"`(?:python3 |pytest )?(?:-m pytest )?((?:benchmarks|tests)/[\w/]+\.py)", README))
    assert len(named) >= 6, named
    missing = sorted(n for n in named if not (ROOT / n).is_file())
    assert not missing, missing


def test_slugs_follow_github():
    assert _slug("Lazy rows (`rows/`), version 1") == "lazy-rows-rows-version-1"
    assert _slug("The service worker's cache (`edgembed-sw.js`)") == "the-service-workers-cache-edgembed-swjs"
    assert _slug("React Native (Hermes)") == "react-native-hermes"
    assert _slug("`tokenizer_pack` and _this_ — a [link](x.md)") == "tokenizer_pack-and-this--a-link"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_link_and_anchor_resolves(doc):
    """Relative links of README.md and docs/*.md name files that exist, and their #anchors a heading there."""
    links = _links(doc)
    bad = []
    for target, anchor in links:
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path = (doc.parent / target).resolve() if target else doc
        if not path.exists():
            bad.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            bad.append(f"{target}#{anchor}: no such heading in {path.relative_to(ROOT)}")
    assert not bad, f"{doc.relative_to(ROOT)}: {bad}"
    if doc.name == "README.md":
        assert len(links) >= 10


def test_web_snippet_paths_are_in_an_export(tmp_path):
    """The page snippet imports demo/runtime/edgembed.mjs of an export folder, whose root holds edgembed-sw.js."""
    from exporter.cli import main

    html = "\n".join(_blocks("html"))
    imported = re.findall(r'from "\./minilm/([^"]+)"', html)
    registered = ["edgembed-sw.js"] if "`edgembed-sw.js`" in README else []  # the demo's service worker, at the root
    assert imported and registered
    out = tmp_path / "minilm"
    assert main(["export", "--dims", "256", "--quant", "int8", "--out", str(out)]) == 0  # the README's first line
    for rel in imported + registered:
        assert (out / rel).is_file(), rel
