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
    """GitHub's anchor for a Markdown heading."""
    s = re.sub(r"[`*_]", "", heading.strip().lower())
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


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


def test_every_link_resolves():
    links = re.findall(r"\]\(([^)#\s]+)(?:#([^)\s]+))?\)", README)
    assert links
    for path, anchor in links:
        if re.match(r"^[a-z]+://", path):
            continue
        target = ROOT / path
        assert target.exists(), f"README links to a missing file: {path}"
        if anchor:
            heads = [_slug(h) for h in re.findall(r"^#+ (.+)$", target.read_text(encoding="utf-8"), flags=re.M)]
            assert anchor in heads, f"README links to a missing heading: {path}#{anchor}"


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
