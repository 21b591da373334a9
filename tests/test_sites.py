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


def _bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_sites", ROOT / "benchmarks" / "bench_sites.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_bench_sites_urls_text_and_ranks():
    b = _bench()
    assert b.norm("/a/index.html#x") == ("/a/", "x") and b.norm("https://h.org/b.html") == ("/b.html", "")
    assert b.norm("/") == ("/", "") and b.page_url("index.html") == "/"
    p = b.MainText()
    p.feed("<html><head><title>T</title></head><body><nav>menu</nav><main><h1>Hi</h1><p>body <b>text</b>"
           "<script>x()</script><footer>f</footer></main><p>outside</p></body></html>")
    assert p.result() == ("T", "Hi body text")
    q = [{"answers": ["/a/#s", "/b.html"]}, {"answers": ["/c/"]}, {"answers": ["/d/#t"]}]
    res = [[("/x/", ""), ("/a/", "s")], [("/c/", "z")], [("/y/", "")]]
    page, sec = b.ranks(res, q)
    assert list(page) == [0.5, 1.0, 0.0]
    assert sec[0] == 0.5 and sec[2] == 0.0 and sec[1] != sec[1]  # NaN: no anchored answer


def test_bench_sites_paired_bootstrap_brackets_the_difference():
    import numpy as np

    b = _bench()
    seed = 7
    print(f"seed {seed}")
    rng = np.random.default_rng(seed)
    a = rng.random(60)
    c = b.paired_bootstrap(a + 0.1, a, np.random.default_rng(seed))
    assert abs(c["diff"] - 0.1) < 1e-9 and c["diff_lo"] <= 0.1 <= c["diff_hi"] and c["diff_hi"] - c["diff_lo"] < 1e-6
    d = b.paired_bootstrap(a, rng.permutation(a), np.random.default_rng(seed))
    assert d["diff_lo"] < 0 < d["diff_hi"]
