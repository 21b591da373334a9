"""Site search in Python: page extraction, the index builder's output and errors, edgembed search's CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exporter.cli import main

pytest.importorskip("selectolax")
pytest.importorskip("Stemmer")


def run_err(capsys, *argv) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("edgembed: error: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="session")
def search_model(distilled_dir, tmp_path_factory) -> Path:
    """An int8 export of the default model (the model edgembed index uses by default)."""
    from exporter.pipeline import export

    out = tmp_path_factory.mktemp("search-model") / "m"
    export(distilled_dir, out, quant="int8", demo=False)
    return out


PAGES = {
    "index.html": "<html><head><title>Home</title></head><body><nav>Menu Wings Engines</nav><main>"
                  "<h1 id=welcome>Welcome</h1><p>This site is about <b>aircraft</b> wings and jet engines.</p>"
                  "<div data-edgembed-ignore>secret ignored words xylophone</div>"
                  "<h2 id=wings>Wings</h2><p>A swept wing delays compressibility drag at high speed.</p>"
                  "<h2>Heading without id</h2><p>It stays in the wings chunk.</p>"
                  "<h2 id=engines>Engines</h2><p>Turbofan engines mix bypass air with the core flow.</p>"
                  "<script>var xylophone = 1;</script></main><footer>Footer xylophone</footer></body></html>",
    "guide/index.html": "<html><head><title>Guide</title></head><body><article>"
                        "<p>Birds fly by flapping; gliders ride thermals rising from warm ground.</p></article></body></html>",
    "broken.html": "<html><body><p>unclosed <div><h2 id=x>tags <i>everywhere<p>heat transfer in <table><td>boundary layers",
    "notes.md": "# Notes\n\nIntro about propellers.\n\n## Blade Pitch\n\nVariable pitch propellers keep efficiency.\n",
}


def make_site(root: Path) -> Path:
    for rel, text in PAGES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    (root / "latin1.html").write_bytes("<p>caf\xe9 na\xefve</p>".encode("latin-1"))
    (root / "binary.html").write_bytes(b"<p>\x00\x01\x02 binary junk</p>")
    return root


@pytest.fixture(scope="module")
def site_index(search_model, tmp_path_factory) -> Path:
    from exporter.search.build import build_index

    site = make_site(tmp_path_factory.mktemp("site"))
    build_index(site, site / "_edgembed", model=str(search_model), progress=False)
    return site / "_edgembed"


def test_html_extraction_splits_at_headings_with_ids():
    from exporter.search.extract import html_page

    page = html_page(PAGES["index.html"], "/")
    assert page.title == "Home"
    assert [(c.heading, c.anchor) for c in page.chunks] == [("Welcome", "welcome"), ("Wings", "wings"), ("Engines", "engines")]
    text = " ".join(c.text for c in page.chunks)
    assert "xylophone" not in text and "Menu" not in text and "Footer" not in text  # ignore, script, nav, footer
    assert page.chunks[0].text == "This site is about aircraft wings and jet engines."
    assert "It stays in the wings chunk." in page.chunks[1].text and "Heading without id" in page.chunks[1].text


def test_selector_picks_the_body_and_markdown_and_records(tmp_path):
    from exporter.search.extract import html_page, md_page, records

    page = html_page("<body><div class=doc><p>inside</p></div><p>outside</p></body>", "/x.html", selector=".doc")
    assert [c.text for c in page.chunks] == ["inside"]
    assert html_page("<body><main><p>no .doc here</p></main></body>", "/y.html", selector=".doc") is None
    md = md_page(PAGES["notes.md"], "/notes.md")
    assert md.title == "Notes" and [(c.heading, c.anchor, c.text) for c in md.chunks] == [
        ("", "", "Intro about propellers."), ("Blade Pitch", "blade-pitch", "Variable pitch propellers keep efficiency.")]
    f = tmp_path / "r.jsonl"
    f.write_text('{"url": "/a", "title": "A", "text": "alpha  beta"}\n\n{"url": "/b", "text": "gamma"}\n', encoding="utf-8")
    assert [(p.url, p.title, p.chunks[0].text) for p in records(f)] == [("/a", "A", "alpha beta"), ("/b", "/b", "gamma")]


def test_index_layout_and_warnings(search_model, tmp_path, capfd):
    from exporter.search import build
    from exporter.search.build import build_index

    site = make_site(tmp_path / "site")
    meta = build_index(site, site / "_edgembed", model=str(search_model), progress=False)
    err = capfd.readouterr().err
    assert "skipped" in err and "latin1.html: not UTF-8" in err and "binary.html: binary file" in err
    out = site / "_edgembed"
    assert meta["pages"] == 4 and json.loads((out / "index.json").read_text())["page_chunks"] == [2, 1, 3, 2]
    assert json.loads((out / "index.json").read_text())["analyzer"]["chartable"] == "model/chartable.bin"  # the same table
    assert not (out / "analyzer.bin").exists()
    for rel in ("index.json", "codes/0.bin", "codes/0.b.bin", "model/manifest.json", "model/rows/index.bin",
                "model/tokenizer.bin", "model/chartable.bin", "js/search.mjs", "js/search_ui.mjs", "js/edgembed.mjs",
                "text/0.json", "vecs/0.bin"):
        assert (out / rel).is_file(), rel
    # only what a page reads: the tokenizer pack and the row shards, not the whole table nor tokenizer.json
    model_files = sorted(p.relative_to(out / "model").as_posix() for p in (out / "model").rglob("*") if p.is_file())
    assert [f for f in model_files if not f.startswith("rows/")] == ["chartable.bin", "manifest.json", "tokenizer.bin"]
    man = json.loads((out / "model" / "manifest.json").read_text())
    assert man["files"] == {"tokenizer_pack": "tokenizer.bin", "chartable": "chartable.bin", "rows": "rows/index.bin"}
    assert set(man["sha256"]) == set(man["files"].values())
    from exporter.search.query import SiteIndex

    urls = sorted(SiteIndex(out).page(p)["url"] for p in range(meta["pages"]))
    # the text shards: consecutive chunks, about TEXT_SHARD_BYTES each, with the url and title of their pages
    shards = [json.loads((out / "text" / f"{k}.json").read_text()) for k in range(len(meta["text_chunks"]))]
    assert [len(s["chunks"]) for s in shards] == meta["text_chunks"] and sum(meta["text_chunks"]) == meta["chunks"]
    assert all(len(s["chunks"]) == 1 or len(json.dumps(s, ensure_ascii=False).encode()) <= build.TEXT_SHARD_BYTES + 200 for s in shards)
    ix = SiteIndex(out)  # a page that fits in a shard is never split: a hit's sub-results come with it
    assert all(len({ix.text_shard_of(c) for c in range(ix.first[p], ix.first[p + 1])}) == 1 for p in range(meta["pages"]))
    assert urls == ["/", "/broken.html", "/guide/", "/notes.md"]
    assert meta["vec_shard"] == build.VEC_SHARD == 1 and meta["vec_shards"] == meta["chunks"]  # a vector a file
    assert all((out / "vecs" / f"{c}.bin").stat().st_size == meta["dims"] for c in range(meta["chunks"]))


def test_search_finds_and_marks(site_index):
    from exporter.search.query import SiteIndex

    ix = SiteIndex(site_index)
    hits = ix.search("turbofan bypass", mode="keyword")
    assert hits[0]["url"] == "/" and hits[0]["anchor_url"] == "/#engines" and hits[0]["heading"] == "Engines"
    assert "<mark>Turbofan</mark>" in hits[0]["excerpt"] and "<mark>bypass</mark>" in hits[0]["excerpt"]
    assert ix.search("xylophone", mode="keyword") == []  # ignored, script and footer text is not indexed
    assert ix.search("the of and", mode="keyword") == []  # stop words only
    sem = ix.search("birds gliding on warm air", mode="semantic")
    assert sem[0]["url"] == "/guide/"
    hyb = ix.search("how do propellers stay efficient", limit=2)
    assert len(hyb) == 2 and hyb[0]["url"] == "/notes.md" and hyb[0]["score"] >= hyb[1]["score"]
    assert ix.search("   ") == []


def test_sub_results_group_chunks_of_a_page(site_index):
    from exporter.search.query import SiteIndex

    hits = SiteIndex(site_index).search("wings engines", mode="keyword")
    assert [h["url"] for h in hits].count("/") == 1
    home = next(h for h in hits if h["url"] == "/")
    assert {s["url"] for s in home["sub_results"]} <= {"/#welcome", "/#wings", "/#engines"}
    assert home["sub_results"] and home["anchor_url"] not in {s["url"] for s in home["sub_results"]}


@pytest.mark.parametrize("outline", [64, 1])
def test_split_pages_keep_their_sub_results(search_model, tmp_path, monkeypatch, outline):
    """Text shards far smaller than a page (every page split): each shard of a split page of at most OUTLINE_CHUNKS
    chunks carries its outline, so a hit's sub-results (heading, #anchor) come from the best chunk's shard alone; a
    longer page's shards carry none and its sub-results come from their own chunks' shards; the same in Python and in
    Node."""
    import subprocess

    from exporter.search import build
    from exporter.search.query import SiteIndex
    from tests.conftest import WEB

    monkeypatch.setattr(build, "TEXT_SHARD_BYTES", 60)
    monkeypatch.setattr(build, "OUTLINE_CHUNKS", outline)
    site = make_site(tmp_path / "site")
    meta = build.build_index(site, site / "_edgembed", model=str(search_model), progress=False)
    assert len(meta["text_chunks"]) == meta["chunks"] and meta["outline_chunks"] == outline  # one chunk a shard
    entries = [e for k in range(meta["chunks"])
               for e in json.loads((site / "_edgembed" / "text" / f"{k}.json").read_text())["pages"].values()]
    assert all((len(e) > 2) == (n <= outline) for e, n in zip(entries, [n for n in meta["page_chunks"] for _ in range(n)]))
    ix = SiteIndex(site / "_edgembed")
    pages = {ix.page(p)["url"]: ix.page(p) for p in range(meta["pages"])}
    queries = ["wings engines", "turbofan bypass wings", "propellers efficient engines"]
    for q in queries:
        fresh = SiteIndex(site / "_edgembed")
        hits = fresh.search(q, mode="keyword")
        text = sum(1 for f in fresh.files_read if f.startswith("text/"))
        subs = sum(len(h["sub_results"]) for h in hits)
        assert hits and text == (len(hits) if outline > 1 else len(hits) + subs)  # one shard a hit (and a sub-result)
        for h in hits:
            want = {("#" + c["a"] if c["a"] else "", c["h"]) for c in pages[h["url"]]["chunks"]}
            assert all((s["url"][len(h["url"]):], s["heading"]) in want for s in h["sub_results"]), h
    assert any(h["sub_results"] for h in ix.search("wings engines", mode="keyword"))
    (tmp_path / "q.json").write_text(json.dumps(queries))
    r = subprocess.run(["node", str(WEB / "scripts" / "search_node.mjs"), str(site / "_edgembed"), str(tmp_path / "q.json"),
                        "keyword", "10"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    js = [json.loads(ln) for ln in r.stdout.strip().split("\n")]
    assert js == [ix.search(q, mode="keyword") for q in queries]
    # a provisional list (the box's keyword list while hybrid runs), from a fresh index each query: the same hits;
    # a page without an outline lists only the sub-results in its best chunk's shard (nothing else at hand), so it
    # reads one text shard a hit; a page with an outline lists them all
    script = f"""
import {{ readFile }} from "node:fs/promises";
import {{ pathToFileURL, fileURLToPath }} from "node:url";
const {{ loadSearch }} = await import({json.dumps((WEB / "runtime" / "search.mjs").as_uri())});
const root = pathToFileURL({json.dumps(str(site / "_edgembed") + "/")});
for (const q of {json.dumps(queries)}) {{
  let text = 0;
  const diskFetch = async (url) => {{
    const buf = await readFile(fileURLToPath(url));
    if (new URL(url).pathname.includes("/text/")) text++;
    return {{ ok: true, status: 200, arrayBuffer: async () => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
             json: async () => JSON.parse(buf.toString("utf8")) }};
  }};
  const s = await loadSearch(root.href, {{ fetch: diskFetch, preload: false }});
  const hits = await s.search(q, {{ mode: "keyword", provisional: true }});
  console.log(JSON.stringify({{ hits, text }}));
}}
"""
    r = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    prov = [json.loads(ln) for ln in r.stdout.strip().split("\n")]
    for got, want in zip(prov, js, strict=True):
        assert [{**h, "sub_results": None} for h in got["hits"]] == [{**h, "sub_results": None} for h in want]
        for a, b in zip(got["hits"], want):
            assert [x for x in b["sub_results"] if x in a["sub_results"]] == a["sub_results"]  # a subsequence
            assert (a["sub_results"] == b["sub_results"]) or outline == 1
        assert got["text"] == len(got["hits"]) or outline > 1
    if outline == 1:
        assert sum(len(h["sub_results"]) for got in prov for h in got["hits"]) < sum(len(h["sub_results"]) for h in sum(js, []))


def test_cli_search_json_and_queries(site_index, tmp_path, capsys):
    assert main(["search", str(site_index), "turbofan", "--json", "--mode", "keyword"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["url"] == "/" and set(out[0]) == {"url", "title", "score"}
    q = tmp_path / "q.jsonl"
    q.write_text('{"text": "turbofan"}\n{"text": "propellers"}\n{"text": ""}\n', encoding="utf-8")
    assert main(["search", str(site_index), "--queries", str(q), "--mode", "keyword"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert [json.loads(ln)[0]["url"] if json.loads(ln) else None for ln in lines] == ["/", "/notes.md", None]
    assert main(["search", str(site_index), "propellers", "--mode", "keyword"]) == 0
    assert "notes.md" in capsys.readouterr().out


def test_bad_input(capsys, search_model, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.html").write_text("<html><body><nav>only nav</nav></body></html>", encoding="utf-8")
    assert "no pages to index" in run_err(capsys, "index", empty, "--model", search_model)
    assert not (empty / "_edgembed").exists() and not [p for p in empty.iterdir() if p.name.startswith(".")]
    assert "is not a folder" in run_err(capsys, "index", tmp_path / "nope")
    site = make_site(tmp_path / "s")
    assert "bad --selector" in run_err(capsys, "index", site, "--model", search_model, "--selector", "p[", "--quiet")
    assert not (site / "_edgembed").exists()
    assert "not a search index" in run_err(capsys, "search", tmp_path, "query")
    assert "unknown --mode" in run_err(capsys, "search", tmp_path, "q", "--mode", "fuzzy")
    assert "--limit must be at least 1" in run_err(capsys, "search", tmp_path, "q", "--limit", "0")
    bad = tmp_path / "r.jsonl"
    bad.write_text('{"url": "/a", "text": "ok"}\n{"title": "no url"}\n', encoding="utf-8")
    assert "r.jsonl:2" in run_err(capsys, "index", "--records", bad, "--out", tmp_path / "o", "--model", search_model)
    assert not (tmp_path / "o").exists()


def test_huge_page_is_skipped(search_model, tmp_path, capfd):
    from exporter.search.build import build_index

    site = tmp_path / "site"
    site.mkdir()
    (site / "ok.html").write_text("<main><p>small page about gliders</p></main>", encoding="utf-8")
    with open(site / "huge.html", "wb") as f:  # 50 MB, sparse on disk
        f.write(b"<p>")
        f.truncate(50 * 1024 * 1024)
    meta = build_index(site, site / "_edgembed", model=str(search_model), progress=False)
    assert meta["pages"] == 1 and "huge.html: 52,428,800 bytes, over the" in capfd.readouterr().err


def test_an_existing_index_survives_a_failed_rebuild(site_index, search_model, tmp_path, capsys):
    before = sorted(p.relative_to(site_index).as_posix() for p in site_index.rglob("*"))
    site = site_index.parent
    assert "bad --selector" in run_err(capsys, "index", site, "--model", search_model, "--selector", "[[", "--quiet")
    assert sorted(p.relative_to(site_index).as_posix() for p in site_index.rglob("*")) == before


def test_cli_index_records_and_out(search_model, tmp_path, capsys):
    recs = tmp_path / "r.jsonl"
    recs.write_text('{"url": "/kb/1", "title": "Reset a password", "text": "Open settings, then security, then reset."}\n'
                    '{"url": "/kb/2", "title": "Export data", "text": "Download an archive of everything you stored."}\n',
                    encoding="utf-8")
    out = tmp_path / "ix"
    assert main(["index", "--records", str(recs), "--out", str(out), "--model", str(search_model), "--quiet"]) == 0
    line = capsys.readouterr().out
    assert line.startswith("indexed 2 pages (2 chunks,") and str(out) in line
    assert main(["search", str(out), "how can I download my stuff", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["url"] == "/kb/2"


def test_generator_site_index_has_site_name_weights_and_no_generated_pages(search_model, tmp_path, capsys):
    import shutil

    site = tmp_path / "site"
    shutil.copytree(Path(__file__).parent / "data" / "gen" / "sphinx", site)
    (site / "weighted.html").write_text("<html><head><title>Old notes — Tidewater 2.1 documentation</title></head><body>"
                                        "<main data-edgembed-weight=0.25><h1 id=old>Old notes</h1><p>legacy tide tables"
                                        "</p></main></body></html>", encoding="utf-8")
    assert main(["index", str(site), "--model", str(search_model), "--quiet"]) == 0
    out = site / "_edgembed"
    meta = json.loads((out / "index.json").read_text())
    assert meta["site_name"] == "Tidewater 2.1 documentation"
    from exporter.search.query import SiteIndex

    frags = [SiteIndex(out).page(p) for p in range(meta["pages"])]
    assert sorted(f["url"] for f in frags) == ["/", "/api.html", "/changelog.html", "/guide/harmonics.html",
                                               "/install.html", "/weighted.html"]
    weighted = next(f for f in frags if f["url"] == "/weighted.html")
    assert weighted["title"] == "Old notes" and weighted["chunks"] == [{"h": "Old notes", "a": "old", "t": "legacy tide tables", "w": 0.25}]
    assert all("w" not in c for f in frags if f is not weighted for c in f["chunks"])
    assert "genindex.html: a generated index" in capsys.readouterr().err
    assert main(["index", str(site), "--model", str(search_model), "--quiet", "--include-generated"]) == 0
    meta = json.loads((out / "index.json").read_text())
    assert meta["pages"] == 9  # + genindex, py-modindex, search
