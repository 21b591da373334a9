"""What a visitor sees on the real MkDocs test sites (tests/data/sites): for every question of the site's set, in
keyword and hybrid mode, no hit of the top 10 has an empty excerpt and no two hits under different URLs show the
same excerpt from the same text (a listing page repeating a post, a page reachable twice). Two different pages that
share a sentence may show it both (MkDocs' own "User Guide" and "Developer Guide" landing pages do, and that is
counted and printed). A check of what is shown, not of ranking."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

pytest.importorskip("selectolax")
pytest.importorskip("Stemmer")

ROOT = Path(__file__).resolve().parents[1]
MKDOCS_SITES = ["material-starlette", "mkdocs-mkdocs"]
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def site_model(distilled_dir, tmp_path_factory) -> Path:
    from exporter.pipeline import export

    out = tmp_path_factory.mktemp("site-results") / "model"
    export(distilled_dir, out, quant="int8", demo=False)
    return out


@pytest.mark.parametrize("name", MKDOCS_SITES)
def test_no_empty_excerpt_and_no_page_twice(name, site_model, tmp_path):
    from exporter.search.build import build_index
    from exporter.search.query import SiteIndex

    with tarfile.open(ROOT / "tests" / "data" / "sites" / f"{name}.tar.xz") as tar:
        tar.extractall(tmp_path / "site", filter="data")
    build_index(tmp_path / "site", tmp_path / "ix", model=str(site_model), progress=False)
    ix = SiteIndex(tmp_path / "ix")
    qfile = ROOT / "benchmarks" / "sites" / name / "questions.jsonl"
    queries = [json.loads(ln)["query"] for ln in qfile.read_text(encoding="utf-8").splitlines() if ln.strip()]
    chunk_text = {}
    for p in range(ix.meta["pages"]):
        pg = ix.page(p)
        for c in pg["chunks"]:
            chunk_text[pg["url"] + ("#" + c["a"] if c["a"] else "")] = c["t"]
    shown = shared = 0
    for mode in ("keyword", "hybrid"):
        for q in queries:
            seen: dict[str, tuple[str, str]] = {}
            for h in ix.search(q, 10, mode):
                text = " ".join(TAG.sub("", h["excerpt"]).replace("…", " ").split())
                assert text, (mode, q, h["anchor_url"])
                body = chunk_text[h["anchor_url"]]
                if text in seen and seen[text][0] != h["url"]:
                    assert seen[text][1] != body, (mode, q, seen[text][0], h["url"])  # the same text twice
                    shared += 1
                seen[text] = (h["url"], body)
                shown += 1
    print(f"{name}: {shown} hits shown, {shared} with another page's excerpt (different text)")
    assert shown >= 10 * len(queries)  # every question lists results in both modes
