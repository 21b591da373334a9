"""The real-generator test sites (tests/data/sites/*.tar.xz) and their question sets
(benchmarks/sites/<name>/questions.jsonl): every archive unpacks, every question is well formed, and every
answer names a page of the site and, where it has one, an anchor that page carries. No ranking here."""

from __future__ import annotations

import json
import re
import tarfile
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHIVES = sorted((ROOT / "tests" / "data" / "sites").glob("*.tar.xz"))
NAMES = [p.name[: -len(".tar.xz")] for p in ARCHIVES]
KINDS = {"nl", "keyword", "typo"}
ID_RE = re.compile(r"""\sid=(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def answer_file(url: str) -> str:
    """The archive member a site path is served from: / -> index.html, /a/ -> a/index.html, /a.html -> a.html."""
    path = url.split("#", 1)[0].lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def test_every_site_has_a_question_set():
    assert len(NAMES) >= 4, NAMES
    for name in NAMES:
        assert (ROOT / "benchmarks" / "sites" / name / "questions.jsonl").is_file(), name


@pytest.mark.parametrize("name", NAMES)
def test_site_questions_are_well_formed_and_answered_by_the_site(name, tmp_path):
    with tarfile.open(ROOT / "tests" / "data" / "sites" / f"{name}.tar.xz") as tar:
        tar.extractall(tmp_path, filter="data")
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    assert len(pages) >= 20, f"{name}: only {len(pages)} pages"
    ids: dict[str, set[str]] = {}
    qfile = ROOT / "benchmarks" / "sites" / name / "questions.jsonl"
    rows = [json.loads(line) for line in qfile.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 40, f"{name}: {len(rows)} questions"
    kinds = Counter(r["kind"] for r in rows)
    assert kinds["nl"] >= 15 and kinds["keyword"] >= 10 and kinds["typo"] >= 6, kinds
    seen_ids, seen_queries = set(), set()
    for r in rows:
        assert set(r) == {"id", "query", "kind", "answers"}, r
        assert r["kind"] in KINDS, r
        assert isinstance(r["query"], str) and r["query"].strip(), r
        assert r["id"] not in seen_ids and r["query"] not in seen_queries, f"duplicate: {r}"
        seen_ids.add(r["id"])
        seen_queries.add(r["query"])
        assert isinstance(r["answers"], list) and r["answers"], r
        for url in r["answers"]:
            assert url.startswith("/"), f"{r['id']}: {url}"
            member = answer_file(url)
            assert member in pages, f"{name} {r['id']}: no page {member} for {url}"
            if "#" in url:
                if member not in ids:
                    text = (tmp_path / member).read_text(encoding="utf-8", errors="replace")
                    ids[member] = {next(g for g in m.groups() if g is not None) for m in ID_RE.finditer(text)}
                anchor = url.split("#", 1)[1]
                assert anchor in ids[member], f"{name} {r['id']}: {member} has no id {anchor!r}"
