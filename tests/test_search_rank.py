"""Site search ranking: per-term quantized BM25F impacts, identifiers whole and by parts, weak words, typo
tolerance, page scores from their chunks, sub-results; Python and the browser's search.mjs (in Node) rank alike."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import WEB, node_marks

pytest.importorskip("selectolax")
pytest.importorskip("Stemmer")


def page(title: str, sections: list[tuple[str, str, str]]) -> str:
    body = "".join(f"<h2 id={a}>{h}</h2><p>{t}</p>" for a, h, t in sections)
    return f"<html><head><title>{title}</title></head><body><main><h1>{title}</h1>{body}</main></body></html>"


PAGES = {
    "api.html": page("API reference", [
        ("handle_error", "handle_error()", "Call handle_error(exc) to turn an exception into a response object."),
        ("handle", "handle()", "The handle function dispatches a request; on error it logs the traceback."),
        ("os-path", "Paths", "Use os.path.join to build file paths and std::vector in the native extension."),
    ]),
    "guide.html": page("Errors guide", [
        ("views", "When views fail", "When a view raises, the app will handle the error and render an error page."),
        ("templates", "Templates", "Configure templates with the template folder setting and reload them."),
        ("logging", "Logging", "Configure logging before the app starts; handlers write records to a stream."),
    ]),
    "faq.html": page("Questions", [
        ("how", "How do I", "How do I do this? You do it like that, and then you can do more."),
    ]),
    "deploy.html": page("Deployment", [
        ("servers", "Servers", "Run the app behind a production server such as gunicorn with several workers."),
        ("proxy", "Proxies", "Put a reverse proxy in front of the workers to serve static files."),
    ]),
    "changes.html": page("Changelog", [
        ("v210", "2.1.0 (2026-01-02)", "Put a reverse proxy in front of the workers to serve static files."),
        ("v200", "2.0.0 (2025-11-30)", "Templates reload when their folder changes."),
        ("v190", "1.9.0 (2025-10-01)", "Dropped the old logging handlers."),
    ]),
}


@pytest.fixture(scope="module")
def rank_site(distilled_dir, tmp_path_factory) -> Path:
    from exporter.pipeline import export
    from exporter.search.build import build_index

    root = tmp_path_factory.mktemp("rank")
    export(distilled_dir, root / "model", quant="int8", demo=False)
    site = root / "site"
    site.mkdir()
    for rel, text in PAGES.items():
        (site / rel).write_text(text, encoding="utf-8")
    build_index(site, site / "_edgembed", model=str(root / "model"), progress=False)
    return site / "_edgembed"


def test_identifier_terms_whole_and_by_parts():
    from exporter.search.analyze import Analyzer

    a = Analyzer()
    assert a.terms("call handle_error()") == ["call", "handl", "error", "handle_error"]
    assert a.terms("os.path.join std::vector 3.14 x-ray") == ["os", "path", "join", "os.path.join", "std", "vector",
                                                              "std::vector", "14", "3.14", "ray", "x-ray"]
    assert a.terms("end. Next _private_ a_ b") == ["end", "next", "privat"]  # a space or a lone joiner: no identifier
    assert a.terms("ab...cd") == ["ab", "cd"]  # three joiners in a row: not an identifier


def test_identifier_ranks_whole_match_first(rank_site):
    from exporter.search.query import SiteIndex

    ix = SiteIndex(rank_site)
    hits = ix.search("handle_error", mode="keyword")
    assert hits[0]["anchor_url"] == "/api.html#handle_error"
    parts = ix.search("handle error", mode="keyword")  # the parts still find every chunk holding them
    assert {h["url"] for h in parts} >= {"/api.html", "/guide.html"}
    assert ix.search("os.path.join", mode="keyword")[0]["anchor_url"] == "/api.html#os-path"


def test_changelog_pages_recognised():
    from exporter.search.build import is_changelog

    for title in ("Changelog", "Release Notes", "Release history", "What's new in 3.0", "Upgrading from 8.x"):
        assert is_changelog(title, []), title
    # "History" / "News" alone: a changelog only with a version in a heading (pytest's History is the project's story)
    assert is_changelog("History", ["pytest 2.0.0 (2010-11-20)"]) and is_changelog("News", ["Release 1.2", "v1.1"])
    for title in ("History", "News"):
        assert not is_changelog(title, []) and not is_changelog(title, ["Origins", "Moving to GitHub in 2015"]), title
    for title in ("Settings", "Tracking changes in your files", "Deployment", "Migrating from Flask"):
        assert not is_changelog(title, ["Intro", "Usage", "API"]), title
    versions = ["GitHub", "dev", "2.28.1 (2022-06-29)", "2.28.0 (2022-06-09)", "v2.27.1", "Version 2.27"]
    assert is_changelog("Community Updates", versions)  # no telling title: half its headings or more are versions
    assert not is_changelog("Community Updates", versions[:3] + ["Contact", "Support"])
    assert not is_changelog("Install", ["1.0 (2020-01-01)", ""])  # fewer than 3 headed sections


def test_changelog_below_the_feature_page(rank_site, tmp_path, monkeypatch):
    """A changelog page's chunks score CHANGELOG_WEIGHT x what they would score on a page of another kind, so an entry
    that repeats a feature page's words ranks below that page; the other pages' scores do not move."""
    from exporter.search import build
    from exporter.search.query import SiteIndex

    q = "reverse proxy static files"
    ix = SiteIndex(rank_site)
    hits = {h["url"]: h["score"] for h in ix.search(q, mode="keyword", excerpts=False)}  # no page folded
    assert build.CHANGELOG_WEIGHT == 0.5 and list(hits)[:2] == ["/deploy.html", "/changes.html"]
    monkeypatch.setattr(build, "CHANGELOG_WEIGHT", 1.0)
    build.build_index(rank_site.parent, tmp_path / "ix", model=str(rank_site.parent.parent / "model"), progress=False)
    flat = {h["url"]: h["score"] for h in SiteIndex(tmp_path / "ix").search(q, mode="keyword", excerpts=False)}
    assert hits["/changes.html"] == pytest.approx(0.5 * flat["/changes.html"], rel=0.01)
    assert hits["/deploy.html"] == pytest.approx(flat["/deploy.html"], rel=0.01)


def test_a_page_repeating_a_hit_folds_into_it(rank_site):
    """The changelog entry is the deployment page's sentence word for word: shown, it would be the same excerpt twice,
    so it is a sub-result of the deployment hit (named by its title) and the next page takes its place."""
    from exporter.search.query import SiteIndex

    ix = SiteIndex(rank_site)
    q = "reverse proxy static files"
    bare = ix.search(q, mode="keyword", excerpts=False)
    hits = ix.search(q, mode="keyword")
    assert [h["url"] for h in bare[:2]] == ["/deploy.html", "/changes.html"]
    assert [h["url"] for h in hits] == [h["url"] for h in bare if h["url"] != "/changes.html"]
    folded = {"url": "/changes.html#v210", "heading": "Changelog", "score": bare[1]["score"]}
    assert hits[0]["sub_results"][-1] == folded


def test_excerpt_avoids_one_shown_above():
    """A window already shown (or within one shown) gives way to the best window of the rest of the text."""
    from exporter.search.analyze import Analyzer
    from exporter.search.query import excerpt, fresh_excerpt

    a, q = Analyzer(), {"proxi": 1}
    text = " ".join(f"w{i}" for i in range(40)).replace("w20", "proxy").replace("w33", "proxy")
    first, key = fresh_excerpt(text, q, a, [])
    assert first == excerpt(text, q, a) and key == " ".join(text.split()[4:34])  # both matches
    rest = "w34 w35 w36 w37 w38 w39"
    assert fresh_excerpt(text, q, a, [key]) == ("… " + rest, rest)  # the longer of what is left
    again = fresh_excerpt(text, q, a, [key, rest])
    assert again == ("w0 w1 w2 w3 …", "w0 w1 w2 w3")
    assert fresh_excerpt(text, q, a, ["x " + text + " y"]) == (None, 0)
    assert fresh_excerpt("", q, a, ["w1"]) == ("", "")


def test_identifier_whole_term_weight(rank_site):
    """The whole identifier term counts identifier_weight times (its parts already score): a chunk's keyword score is
    its parts' scores plus that weight x the whole term's, and weight 0 scores the parts alone."""
    from exporter.search.build import IDENTIFIER_WEIGHT
    from exporter.search.query import SiteIndex

    ix = SiteIndex(rank_site)
    assert ix.meta["fusion"]["identifier_weight"] == IDENTIFIER_WEIGHT == 0.5
    qterms = ix.query_terms("handle_error")
    assert list(qterms) == ["handl", "error", "handle_error"]
    ids, sc = ix.postings("handle_error")
    c = ids[int(np.argmax(sc))]
    got = {}
    for w in (0.0, 0.5, 1.0):
        ix.meta["fusion"] = {**ix.meta["fusion"], "identifier_weight": w}
        got[w] = ix.keyword_scores(qterms)[c]
    assert got[0.5] - got[0.0] == pytest.approx(0.5 * max(sc)) and got[1.0] - got[0.0] == pytest.approx(max(sc))
    ix.meta["fusion"] = {k: v for k, v in ix.meta["fusion"].items() if k != "identifier_weight"}  # an older index: 1
    assert ix.keyword_scores(qterms)[c] == got[1.0]


def test_weak_words_never_make_a_result_alone(rank_site):
    from exporter.search.query import SiteIndex

    ix = SiteIndex(rank_site)
    hits = ix.search("how do I configure logging", mode="keyword")
    assert hits and "/faq.html" not in {h["url"] for h in hits}  # "how", "do" alone do not list the FAQ
    assert hits[0]["anchor_url"] == "/guide.html#logging"
    assert [h["url"] for h in ix.search("how do", mode="keyword")] == ["/faq.html"]  # weak words only: they count
    assert ix.search("the of and", mode="keyword") == []  # stop words only: nothing to match
    assert "/faq.html" not in {h["url"] for h in ix.search("how do I deploy with gunicorn", mode="hybrid")[:1]}


def test_typo_finds_the_term(rank_site):
    from exporter.search.query import SiteIndex, osa

    assert osa("retreiv", "retriev", 1) == 1 and osa("abc", "abcde", 1) == 2 and osa("kitten", "sitting", 3) == 3
    ix = SiteIndex(rank_site)
    hits = ix.search("gunicron", mode="keyword")  # a transposition
    assert hits and hits[0]["anchor_url"] == "/deploy.html#servers" and ix.corrections == {"gunicron": "gunicorn"}
    assert "<mark>gunicorn</mark>" in hits[0]["excerpt"]
    hits = ix.search("confgure templtes", mode="keyword")
    assert hits[0]["anchor_url"] == "/guide.html#templates"
    assert ix.search("gunicorn", mode="keyword") and ix.corrections == {}  # a known term is never corrected
    assert ix.search("zzqx", mode="keyword") == [] and ix.corrections == {}  # nothing near: nothing found
    assert ix.search("qunicorn", mode="keyword") == []  # the first letter must be right
    ix.search("revers proxxy", mode="keyword")  # "revers" stems to "rever": as near "refer" (more chunks) as "revers"
    assert ix.corrections == {"rever": "revers", "proxxi": "proxi"}  # ... the longer common prefix wins


def test_impacts_are_quantized_per_term(rank_site):
    """Each term's best posting is 255; a decoded score is within half a step (max / 510) of float BM25F."""
    from exporter.search.analyze import Analyzer
    from exporter.search.build import _bm25, _impacts, _Postings
    from exporter.search.store import decode_terms

    rng = np.random.default_rng(7)
    an, p = Analyzer(), _Postings()
    words = [f"w{i}" for i in range(40)]
    for _ in range(300):
        p.add(an.terms("title"), [], [str(w) for w in rng.choice(words, size=rng.integers(1, 60))], float(rng.choice([1, 2])))
    term, chunk, imp, df, tmax = _impacts(p)
    _, _, s, _ = _bm25(p)
    unit = tmax.astype(np.float64)[term] / 255.0
    assert np.all(np.abs(imp * unit - s) <= unit / 2 + 1e-6 * unit)
    for t in range(len(df)):
        assert imp[term == t].max() == 255
    assert len(np.unique(imp * unit)) > 2000  # not a handful of distinct values, as with one scale for the index
    meta = json.loads((rank_site / "index.json").read_text())
    assert meta["version"] == 7 and meta["bm25"]["heading_weight"] == 1.0 and meta["typo_shards"] >= 1
    shards = [decode_terms((rank_site / "terms" / f"{k}.bin").read_bytes()) for k in range(meta["term_shards"])]
    scores = [v for sh in shards for _, sc in sh.values() for v in sc]
    assert len(scores) and max(scores) > 0


def test_bm25f_title_heading_and_chunk_weight():
    from exporter.search.build import _bm25, _Postings

    p = _Postings(title_weight=3.0, heading_weight=2.0)
    body = ["x"] * 9
    p.add(["k"], [], body)        # k in the title
    p.add([], ["k"], body)        # k in the heading
    p.add([], [], ["k"] + body)   # k in the text
    p.add([], [], ["k"] + body, weight=2.0)  # the same, weighted twice (data-edgembed-weight)
    p.add([], [], ["y"] * 10)
    term, chunk, s, _ = _bm25(p)
    k = p.vocab["k"]
    by = dict(zip(chunk[term == k].tolist(), s[term == k].tolist()))
    assert by[0] > by[1] > by[2] and by[3] == pytest.approx(2 * by[2])


def test_page_score_from_its_chunks(rank_site):
    from exporter.search.query import SiteIndex

    ix = SiteIndex(rank_site)
    assert ix.meta["fusion"]["page_alpha"] == 0.0
    ix.meta["fusion"] = {**ix.meta["fusion"], "page_alpha": 0.0}
    q = "configure templates logging"
    one = ix.search(q, mode="keyword")
    chunks, _ = ix.ranked_chunks(q, "keyword", 10)
    assert one[0]["score"] == chunks[0][1]  # page_alpha 0: the best chunk's score
    assert one[0]["sub_results"] and one[0]["sub_results"][0]["score"] <= one[0]["score"]
    ix.meta["fusion"] = {**ix.meta["fusion"], "page_alpha": 0.5}
    soft = ix.search(q, mode="keyword")
    rest = sum(max(s["score"], 0.0) for s in soft[0]["sub_results"])
    assert soft[0]["score"] == pytest.approx(chunks[0][1] + 0.5 * rest)


QUERIES = ["handle_error", "handle error", "handel_eror", "how do", "how do I configure logging", "gunicron workers",
           "confgure templtes", "the of and", "os.path.join", "std::vector", "", "zzqx", "qunicorn", "revers proxxy",
           "production server", "HANDLE_ERROR()", "error error error"]


@pytest.mark.parametrize("alpha,iw", [(0.0, None), (0.5, 1.0)])
@pytest.mark.skipif(node_marks()[0].args[0], reason="node is not installed")
def test_js_ranks_as_python(rank_site, tmp_path, alpha, iw):
    """search.mjs in Node gives the hits, order, excerpts, sub-results and scores of query.py (typos, identifiers,
    weak words, page scores with page_alpha 0 and 0.5, identifier_weight the default and 1)."""
    import shutil

    from exporter.search.query import SiteIndex

    ix_dir = tmp_path / "ix"
    shutil.copytree(rank_site, ix_dir)
    meta = json.loads((ix_dir / "index.json").read_text())
    meta["fusion"]["page_alpha"] = alpha
    if iw is not None:
        meta["fusion"]["identifier_weight"] = iw
    (ix_dir / "index.json").write_text(json.dumps(meta))
    (tmp_path / "q.json").write_text(json.dumps(QUERIES))
    ix = SiteIndex(ix_dir)
    keys = ("url", "title", "heading", "anchor_url", "excerpt")
    for mode in ("keyword", "hybrid"):
        r = subprocess.run(["node", str(WEB / "scripts" / "search_node.mjs"), str(ix_dir), str(tmp_path / "q.json"), mode,
                            "10"], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        js = [json.loads(ln) for ln in r.stdout.strip().split("\n")]
        for q, got in zip(QUERIES, js):
            want = ix.search(q, 10, mode)
            assert [[h[k] for k in keys] + [[(s["url"], s["heading"]) for s in h["sub_results"]]] for h in want] == \
                   [[h[k] for k in keys] + [[(s["url"], s["heading"]) for s in h["sub_results"]]] for h in got], (mode, q)
            assert all(abs(a["score"] - b["score"]) <= 1e-6 for a, b in zip(want, got)), (mode, q)
        assert len(js) == len(QUERIES)


def test_feedback_terms_by_weight():
    """Keyword feedback's term weights: the mean over the feedback chunks of the term's share of each chunk's terms,
    most first, ties by code point (Python's str order, also in JS: UTF-16 order would put U+1D51E before U+FF5A)."""
    from exporter.search.query import feedback_weights

    lists = [["b", "a", "b"], ["c", "a"], [], ["\U0001d51e", "\uff5a"]]
    got = feedback_weights(lists)
    assert [t for t, _ in got] == ["a", "b", "c", "\uff5a", "\U0001d51e"]
    assert got[0][1] == pytest.approx((1 / 3 + 1 / 2) / 4) and got[1][1] == pytest.approx(2 / 3 / 4)
    if node_marks()[0].args[0]:
        return
    script = ("import { readFileSync } from 'node:fs'; const job = JSON.parse(readFileSync(0, 'utf8'));"
              "const { feedbackWeights } = await import(job.module);"
              "process.stdout.write(JSON.stringify(feedbackWeights(job.lists)));")
    r = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, cwd=WEB, timeout=120,
                       input=json.dumps({"module": (WEB / "runtime" / "search.mjs").as_uri(), "lists": lists}))
    assert r.returncode == 0, r.stderr[-2000:]
    assert [tuple(x) for x in json.loads(r.stdout)] == got


def test_feedback_lifts_chunks_sharing_the_best_chunks_terms(rank_site):
    """Hybrid keyword feedback: the terms of the first pass's best chunk ("gunicorn" finds the servers section) are
    added to the query, so the proxy section (it shares "workers") rises; a chunk sharing none of them keeps its
    score; an index without the settings (built before them) ranks in one pass."""
    from exporter.search.query import SiteIndex

    ix = SiteIndex(rank_site)
    fusion = dict(ix.meta["fusion"])
    assert fusion["feedback_docs"] > 0 and fusion["feedback_terms"] > 0 and fusion["feedback_weight"] > 0
    ix.meta["fusion"] = {**fusion, "feedback_docs": 0}
    off = dict(ix.ranked_chunks("gunicorn", "hybrid", 20)[0])
    ix.meta["fusion"] = {k: v for k, v in fusion.items() if not k.startswith("feedback_")}
    assert dict(ix.ranked_chunks("gunicorn", "hybrid", 20)[0]) == off
    ix.meta["fusion"] = {**fusion, "feedback_docs": 1, "feedback_terms": 8, "feedback_weight": 0.5,
                         "feedback_min_terms": 0}
    ranked = ix.ranked_chunks("gunicorn", "hybrid", 20)[0]
    on = dict(ranked)
    chunk = {ix.chunk(c)[2]["a"]: c for c in range(ix.meta["chunks"])}
    assert ranked[0][0] == chunk["servers"]
    assert on[chunk["proxy"]] > off[chunk["proxy"]] + 0.01
    assert on[chunk["how"]] == pytest.approx(off[chunk["how"]], abs=1e-12)


GATE_QUERIES = ["gunicorn", "gunicorn workers", "the gunicorn workers", "reverse proxy static files",
                "gunicorn_workers proxy"]


def test_feedback_gate_by_query_terms(rank_site, tmp_path):
    """Feedback runs only for queries of at least feedback_min_terms whitespace-separated words that hold a non-weak
    term (weak words not counted, an identifier once): with 2, "gunicorn workers" feeds back and "gunicorn" does not;
    with 3 (the shipped value), neither does, nor "gunicorn_workers proxy" (2 words), and a gated query ranks, scores
    and reads exactly as with feedback off (no extra file). An index without ``feedback_gate`` (built before it)
    counts distinct non-weak terms: there the identifier query (3 terms) feeds back. search.mjs in Node gates alike
    (its hits equal Python's, gated ones equal its own feedback-off hits)."""
    import shutil

    from exporter.search.analyze import Analyzer
    from exporter.search.query import SiteIndex

    fusion = json.loads((rank_site / "index.json").read_text())["fusion"]
    assert fusion["feedback_min_terms"] == 3 and fusion["feedback_gate"] == "words"
    an = Analyzer()
    assert [an.strong_words(q) for q in GATE_QUERIES] == [1, 2, 2, 4, 2]
    assert an.strong_words("how do I use from_prefixed_env?") == 2 and an.strong_words(" how  do ") == 0
    dirs = {}
    for name, extra in (("off", {"feedback_docs": 0}), ("n2", {"feedback_min_terms": 2}), ("n3", {"feedback_min_terms": 3}),
                        ("n3terms", {"feedback_min_terms": 3, "feedback_gate": None})):
        dirs[name] = tmp_path / name
        shutil.copytree(rank_site, dirs[name])
        meta = json.loads((dirs[name] / "index.json").read_text())
        meta["fusion"].update({"feedback_docs": 1, "feedback_terms": 8, "feedback_weight": 0.5, **extra})
        meta["fusion"] = {k: v for k, v in meta["fusion"].items() if v is not None}
        (dirs[name] / "index.json").write_text(json.dumps(meta))

    def run(name: str) -> tuple[dict, dict, dict]:
        ranked, hits, files = {}, {}, {}
        for q in GATE_QUERIES:
            ix = SiteIndex(dirs[name])  # fresh: files_read counts what this query alone reads
            ranked[q] = ix.ranked_chunks(q, "hybrid", 10)[0]
            files[q] = sorted(ix.files_read)
            hits[q] = ix.search(q, 10, "hybrid")
        return ranked, hits, files

    py = {name: run(name) for name in dirs}
    off = py["off"]
    fired = {"n2": {"gunicorn workers", "the gunicorn workers", "reverse proxy static files", "gunicorn_workers proxy"},
             "n3": {"reverse proxy static files"}, "n3terms": {"reverse proxy static files", "gunicorn_workers proxy"}}
    for name in fired:
        got = py[name]
        for q in GATE_QUERIES:
            if q in fired[name]:
                assert got[0][q] != off[0][q], (name, q)  # feedback moved scores
            else:
                assert got[0][q] == off[0][q] and got[2][q] == off[2][q], (name, q)
    if node_marks()[0].args[0]:
        return
    (tmp_path / "q.json").write_text(json.dumps(GATE_QUERIES))
    js = {}
    for name in dirs:
        r = subprocess.run(["node", str(WEB / "scripts" / "search_node.mjs"), str(dirs[name]), str(tmp_path / "q.json"),
                            "hybrid", "10"], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        js[name] = dict(zip(GATE_QUERIES, [json.loads(ln) for ln in r.stdout.strip().split("\n")], strict=True))
        for q in GATE_QUERIES:
            want = py[name][1][q]
            assert [h["url"] for h in js[name][q]] == [h["url"] for h in want], (name, q)
            assert all(abs(a["score"] - b["score"]) <= 1e-6 for a, b in zip(want, js[name][q])), (name, q)
    for name in fired:
        for q in GATE_QUERIES:
            same = [h["score"] for h in js[name][q]] == [h["score"] for h in js["off"][q]]
            assert same == (q not in fired[name]), (name, q)


BAG_QUERIES = ["run the app behind a reverse proxy with gunicorn workers", "configure logging and templates folder",
               "handle errors in views and render an error page"]


@pytest.mark.skipif(node_marks()[0].args[0], reason="node is not installed")
def test_feedback_term_bags_in_node(rank_site, tmp_path, monkeypatch):
    """A feedback chunk that is not its page's best in the first pass has its terms read from bags/<k>.json (one chunk
    a text shard here, so no other list brings its text): the hybrid hits equal Python's (which counts from the text)
    and Node's own on a copy without term_bags (which reads the text)."""
    import shutil

    from exporter.search import build
    from exporter.search.query import SiteIndex

    monkeypatch.setattr(build, "TEXT_SHARD_BYTES", 60)  # one chunk a shard
    site = tmp_path / "site"
    site.mkdir()
    for rel, text in PAGES.items():
        (site / rel).write_text(text, encoding="utf-8")
    meta = build.build_index(site, site / "_edgembed", model=str(rank_site.parent.parent / "model"), progress=False)
    assert meta["term_bags"] is True and len(meta["text_chunks"]) == meta["chunks"]
    shutil.copytree(site / "_edgembed", tmp_path / "nobags")
    m = json.loads((tmp_path / "nobags" / "index.json").read_text())
    del m["term_bags"]
    (tmp_path / "nobags" / "index.json").write_text(json.dumps(m))
    script = """
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { pathToFileURL, fileURLToPath } from "node:url";
const job = JSON.parse(readFileSync(0, "utf8"));
const { loadSearch } = await import(job.module);
const out = [];
for (const dir of job.dirs) {
  let bags = 0;
  const diskFetch = async (url) => {
    const buf = await readFile(fileURLToPath(url));
    if (new URL(url).pathname.includes("/bags/")) bags++;
    return { ok: true, status: 200, arrayBuffer: async () => buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
             json: async () => JSON.parse(buf.toString("utf8")) };
  };
  const s = await loadSearch(pathToFileURL(dir + "/").href, { fetch: diskFetch });
  const hits = [];
  for (const q of job.queries) hits.push(await s.search(q, { mode: "hybrid", limit: 10 }));
  out.push({ hits, bags });
}
process.stdout.write(JSON.stringify(out));
"""
    job = {"module": (WEB / "runtime" / "search.mjs").as_uri(), "queries": BAG_QUERIES,
           "dirs": [str(site / "_edgembed"), str(tmp_path / "nobags")]}
    r = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(job), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    with_bags, without = json.loads(r.stdout)
    assert with_bags["bags"] > 0 and without["bags"] == 0, (with_bags["bags"], without["bags"])
    ix = SiteIndex(site / "_edgembed")
    for q, a, b in zip(BAG_QUERIES, with_bags["hits"], without["hits"], strict=True):
        want = ix.search(q, 10, "hybrid")
        assert a == b, q
        assert [h["url"] for h in a] == [h["url"] for h in want], q
        assert all(abs(x["score"] - y["score"]) <= 1e-6 for x, y in zip(a, want)), q
