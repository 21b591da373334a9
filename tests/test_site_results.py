"""What a visitor sees on the real MkDocs test sites (tests/data/sites): for every question of the site's set, in
keyword and hybrid mode, no hit of the top 10 has an empty excerpt and no two hits show the same excerpt (nor one
within another): not a listing page repeating a post, a page reachable twice, nor two pages that share a sentence
(MkDocs' own "User Guide" and "Developer Guide" landing pages do: the second shows another part of its text). A page
folded into the hit it repeats is a sub-result of that hit. A check of what is shown, not of ranking."""

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
    shown = folded = 0
    for mode in ("keyword", "hybrid"):
        for q in queries:
            seen: list[tuple[str, str]] = []
            hits = ix.search(q, 10, mode)
            for h in hits:
                text = " ".join(TAG.sub("", h["excerpt"]).replace("…", " ").split())
                assert text, (mode, q, h["anchor_url"])
                for other, url in seen:
                    assert f" {text} " not in f" {other} ", (mode, q, url, h["anchor_url"], text)
                seen.append((text, h["anchor_url"]))
                folded += sum(s["url"].split("#")[0] != h["url"] for s in h["sub_results"])
            shown += len(hits)
            assert len({h["url"] for h in hits}) == len(hits), (mode, q)
    print(f"{name}: {shown} hits shown, {folded} pages folded into a hit they repeat")
    assert shown >= 10 * len(queries)  # every question lists results in both modes
