"""Site search in JS equals Python: the stemmer word for word, the analyzer on hostile text, the ranking in Node and
in Chromium (plus the search box: ARIA combobox, keyboard, phone layout)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import DATA, ROOT, WEB, node_marks

pytest.importorskip("selectolax")
Stemmer = pytest.importorskip("Stemmer")
pytestmark = node_marks()
sys.path.insert(0, str(ROOT / "benchmarks"))

STEM_JS = """
import { readFileSync } from "node:fs";
const job = JSON.parse(readFileSync(0, "utf8"));
const { stemEnglish } = await import(job.module);
process.stdout.write(JSON.stringify(job.words.map(stemEnglish)));
"""


def node_json(script: str, payload: dict) -> object:
    r = subprocess.run(["node", "--input-type=module", "-e", script], input=json.dumps(payload), capture_output=True,
                       text=True, cwd=WEB, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout)


def word_lists(distilled_dir: Path, seed: int) -> list[str]:
    words: set[str] = set()
    for ds in ("cranfield", "cisi"):
        for f in ("corpus", "queries"):
            for line in (DATA / ds / f"{f}.jsonl").read_text(encoding="utf-8").splitlines():
                o = json.loads(line)
                words |= set(re.findall(r"[a-z0-9]+", (str(o.get("title", "")) + " " + str(o.get("text", ""))).lower()))
    vocab = json.loads((distilled_dir / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    words |= {w.lstrip("#") for w in vocab if re.fullmatch(r"#*[a-z0-9]+", w)}
    dict_words = Path("/usr/share/dict/words")
    if dict_words.is_file():
        words |= {w.lower() for w in dict_words.read_text(encoding="utf-8", errors="replace").split() if re.fullmatch(r"[A-Za-z]+", w)}
    rng = random.Random(seed)
    suffixes = ["", "s", "es", "ed", "ing", "ly", "edly", "ingly", "eed", "eedly", "ies", "ied", "sses", "ss", "us", "y",
                "ational", "tional", "enci", "anci", "abli", "entli", "izer", "ization", "ation", "ator", "alism",
                "aliti", "iviti", "biliti", "fulness", "ousness", "iveness", "ogi", "li", "alli", "fulli", "lessli",
                "ousli", "ogist", "icate", "ative", "alize", "iciti", "ical", "ful", "ness", "al", "ance", "ence", "er",
                "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate", "iti", "ous", "ive", "ize", "ion",
                "e", "l", "bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt", "at", "bl", "iz", "'s", "yy", "ying"]
    roots = sorted(w for w in words if 2 <= len(w) <= 7)
    for _ in range(30000):
        words.add(rng.choice(roots) + rng.choice(suffixes) + rng.choice(suffixes))
    letters = "aeiouy" * 3 + "bcdfghjklmnpqrstvwxz"
    for _ in range(30000):
        words.add("".join(rng.choice(letters) for _ in range(rng.randint(1, 14))))
    words |= {"", "a", "ab", "abc", "y", "yy", "yyy", "sky", "skies", "news", "andes", "gently", "early", "past",
              "generate", "generous", "communication", "commune", "universe", "arsenal", "emerge", "internal"}
    return sorted(words)


def test_stemmer_equals_pystemmer(distilled_dir):
    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"stemmer seed {seed}")
    words = [w for w in word_lists(distilled_dir, seed) if "'" not in w]
    js = node_json(STEM_JS, {"module": (WEB / "runtime" / "search_stem.mjs").as_uri(), "words": words})
    st = Stemmer.Stemmer("english")
    bad = [(w, st.stemWord(w), j) for w, j in zip(words, js) if st.stemWord(w) != j]
    print(f"{len(words)} distinct words, {len(bad)} mismatches")
    assert len(js) == len(words) and not bad[:20]


def test_analyzer_equals_python(tmp_path):
    from exporter.formats.chartable import chartable_for
    from exporter.texts import hostile_texts
    from exporter.search.analyze import Analyzer, analyzer_tokenizer_json
    from tests.fuzz_texts import every_code_point, hostile_mixes

    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"analyzer seed {seed}")
    a = Analyzer()
    texts = hostile_texts() + every_code_point(seed) + hostile_mixes(seed, 2000)
    texts += [json.loads(ln)["text"] for ln in (DATA / "cisi" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:300]]
    texts += ["naïve café RÉSUMÉ Straße İstanbul ΣΊΣΥΦΟΣ", "日本語の検索 한국어 검색", "x-ray 3.14 C++ e-mail it's",
              "a\u00a0b\u3000c\u2028d", "Ⅻ ﬁ ẞ"]
    chart = chartable_for(analyzer_tokenizer_json())
    tmp = tmp_path
    (tmp / "analyzer.bin").write_bytes(chart)
    script = f"""
import {{ readFileSync }} from "node:fs";
import {{ createAnalyzer }} from {json.dumps((WEB / "runtime" / "search_text.mjs").as_uri())};
const job = JSON.parse(readFileSync(0, "utf8"));
const analyzer = createAnalyzer(readFileSync(job.chart), job.spec);
process.stdout.write(JSON.stringify(job.texts.map((t) => [analyzer.terms(t), analyzer.strongWords(t)])));
"""
    texts += ["how do I use from_prefixed_env?", "SECRET_KEY  and\tthe\u3000os.path.join", " how do "]
    js = node_json(script, {"chart": str(tmp / "analyzer.bin"), "spec": a.spec(), "texts": texts})
    bad = [(t[:30], a.terms(t)[:8], j[0][:8]) for t, j in zip(texts, js) if a.terms(t) != j[0]]
    print(f"{len(texts)} texts, {len(bad)} mismatches")
    assert len(js) == len(texts) and not bad[:10]
    bad = [(t[:30], a.strong_words(t), j[1]) for t, j in zip(texts, js) if a.strong_words(t) != j[1]]
    print(f"strong words: {len(bad)} mismatches")  # feedback's gate: whitespace-separated words with a non-weak term
    assert not bad[:10] and [j[1] for j in js[-3:]] == [2, 2, 0]


EARLY_JS = r"""
import { readFileSync } from "node:fs";
const job = JSON.parse(readFileSync(0, "utf8"));
const { createAnalyzer, earlyAnalyzer, asciiTable } = await import(job.module);
const table = createAnalyzer(readFileSync(job.chart), job.spec);
let resolve;
const early = earlyAnalyzer(new Promise((r) => { resolve = r; }), job.spec);
const out = { differ: [], n: 0 };
const same = (t) => {
  out.n++;
  const a = [table.words(t), table.terms(t), table.strongWords(t)], b = [early.words(t), early.terms(t), early.strongWords(t)];
  if (JSON.stringify(a) !== JSON.stringify(b) && out.differ.length < 10) out.differ.push([t, a, b]);
};
const chars = [..."\t\n\r"];
for (let cp = 0x20; cp < 0x7f; cp++) chars.push(String.fromCharCode(cp));
for (const a of chars) { same(a); for (const b of chars) same(a + b); } // every printable-ASCII text of 1 or 2 characters
for (const t of job.texts) same(t);
out.weak = JSON.stringify([...early.weak].sort()) === JSON.stringify([...table.weak].sort());
out.coversAscii = job.texts.every((t) => early.covers(t));
out.coversOther = ["café", "a\u00a0b", "x\u0007y", "\u007f"].map((t) => early.covers(t));
try { early.terms("café"); out.threw = false; } catch (e) { out.threw = /has not arrived/.test(e.message); }
resolve(table);
await early.ready;
out.after = [early.covers("café"), JSON.stringify(early.terms("naïve café")) === JSON.stringify(table.terms("naïve café"))];
out.cased = asciiTable({ ...job.spec, normalizer: { ...job.spec.normalizer, lowercase: false } }) === null
  && earlyAnalyzer(new Promise(() => {}), { ...job.spec, pre_tokenizer: "Whitespace" }).covers("abc") === false;
process.stdout.write(JSON.stringify(out));
"""


def test_early_analyzer_equals_the_table_on_printable_ascii(tmp_path):
    """Before the index's character table arrives, the box analyzes printable-ASCII questions from asciiTable()
    (search_text.mjs earlyAnalyzer): its words, terms and strong words equal the table's analyzer's on every printable
    ASCII text of one or two characters (9,702) and on seeded random ASCII questions; anything else is not covered
    (analyzing it throws) until the table is here; another normalizer gets no ASCII table."""
    from exporter.formats.chartable import chartable_for
    from exporter.search.analyze import Analyzer, analyzer_tokenizer_json

    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"early analyzer seed {seed}")
    rng = random.Random(seed)
    alphabet = ("abcdefghijklmnopqrstuvwxyz" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789" + "    \t\n\r"
                + "".join(chr(c) for c in range(0x21, 0x7f) if not chr(c).isalnum()) + "-._:" * 3)
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 90))) for _ in range(3000)]
    texts += ["how do I use from_prefixed_env?", "SECRET_KEY  and\tthe os.path.join", " how do ", "What's x-ray 3.14 C++?",
              "a::b..c__d--e", "THE Quick BROWN fox's e-mail"]
    texts += [t for t in (json.loads(ln)["text"] for ln in (DATA / "cranfield" / "queries.jsonl").read_text().splitlines())
              if re.fullmatch(r"[\x20-\x7e\t\n\r]*", t)]
    (tmp_path / "analyzer.bin").write_bytes(chartable_for(analyzer_tokenizer_json()))
    got = node_json(EARLY_JS, {"module": (WEB / "runtime" / "search_text.mjs").as_uri(), "chart": str(tmp_path / "analyzer.bin"),
                               "spec": Analyzer().spec(), "texts": texts})
    print(f"{got['n']} texts compared, {len(got['differ'])} differ")
    assert got["n"] > 9702 + 3000 and got["differ"] == []
    assert got["weak"] and got["coversAscii"] and got["coversOther"] == [False] * 4 and got["threw"]
    assert got["after"] == [True, True] and got["cased"]


@pytest.fixture(scope="module")
def cran_site(distilled_dir, tmp_path_factory) -> Path:
    """The cranfield corpus as a static site, indexed with the default model (int8)."""
    from exporter.pipeline import export
    from exporter.search.build import build_index
    from search_site import beir_site

    root = tmp_path_factory.mktemp("cran")
    export(distilled_dir, root / "model", quant="int8", demo=False)
    site = root / "site"
    beir_site(DATA / "cranfield", site)
    build_index(site, site / "_edgembed", model=str(root / "model"), progress=False)
    return site


HOSTILE_QUERIES = ["", " ", "the of and", "zzqx unknownword", "<script>alert('x')</script> wing", "naïve café 日本語",
                   "what is the effect of heat on wings?", "a", "\u0000\u200b", "flutter " * 50]


def same(py: list[dict], js: list[dict]) -> tuple[bool, float]:
    keys = ("url", "title", "heading", "anchor_url", "excerpt")
    ok = [[h[k] for k in keys] + [[s["url"] for s in h["sub_results"]]] for h in py] == \
         [[h[k] for k in keys] + [[s["url"] for s in h["sub_results"]]] for h in js]
    diff = max((abs(a["score"] - b["score"]) for a, b in zip(py, js)), default=0.0)
    return ok, diff


def test_ranking_equals_python_in_node(cran_site, tmp_path):
    from exporter.search.query import SiteIndex

    queries = [json.loads(ln)["text"] for ln in (DATA / "cranfield" / "queries.jsonl").read_text().splitlines()] + HOSTILE_QUERIES
    (tmp_path / "q.json").write_text(json.dumps(queries))
    ix = SiteIndex(cran_site / "_edgembed")
    for mode in ("keyword", "hybrid", "semantic"):
        r = subprocess.run(["node", str(WEB / "scripts" / "search_node.mjs"), str(cran_site / "_edgembed"),
                            str(tmp_path / "q.json"), mode, "10"], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        js = [json.loads(ln) for ln in r.stdout.strip().split("\n")]
        assert len(js) == len(queries)
        bad, worst = [], 0.0
        for q, a in zip(queries, js):
            ok, diff = same(ix.search(q, 10, mode), a)
            worst = max(worst, diff)
            if not ok:
                bad.append(q)
        print(f"{mode}: {len(queries)} queries, {len(bad)} differ, max |score diff| {worst:.2e}")
        assert not bad and worst <= 1e-6


def test_vectors_grouped_by_chunk_equal_python_in_node(cran_site, tmp_path, monkeypatch):
    """vecs/<k>.bin holds vec_shard consecutive chunks whatever their pages: with 4 a file (shards that straddle pages,
    a short last one) Python and the browser code read the same vectors and rank alike, and a re-scored candidate
    costs its own shard only."""
    from exporter.search import build as B
    from exporter.search.query import SiteIndex

    monkeypatch.setattr(B, "VEC_SHARD", 4)
    out = tmp_path / "ix"
    meta = B.build_index(cran_site, out, model=str(cran_site.parent / "model"), progress=False)
    assert meta["vec_shard"] == 4 and meta["vec_shards"] == -(-meta["chunks"] // 4) and meta["chunks"] % 4 != 0
    queries = [json.loads(ln)["text"] for ln in (DATA / "cranfield" / "queries.jsonl").read_text().splitlines()][:25]
    (tmp_path / "q.json").write_text(json.dumps(queries))
    ix = SiteIndex(out)
    for mode in ("hybrid", "semantic"):
        r = subprocess.run(["node", str(WEB / "scripts" / "search_node.mjs"), str(out), str(tmp_path / "q.json"), mode,
                            "10"], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        js = [json.loads(ln) for ln in r.stdout.strip().split("\n")]
        fusion = dict(ix.meta["fusion"])
        for q, a in zip(queries, js, strict=True):
            ix.meta["fusion"] = {**fusion, "feedback_docs": 0}  # one pass: the vectors read are its candidates'
            seen = set(ix._vecs)
            n0 = len(ix.files_read)
            ranked, _ = ix.ranked_chunks(q, mode, 10)
            read = {f for f in ix.files_read[n0:] if f.startswith("vecs/")}
            assert read == {f"vecs/{c // 4}.bin" for c, _ in ranked} - {f"vecs/{k}.bin" for k in seen}, q
            ix.meta["fusion"] = fusion
            ok, diff = same(ix.search(q, 10, mode), a)
            assert ok and diff <= 1e-6, (mode, q)


DISK_FETCH_JS = """
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
const job = JSON.parse(readFileSync(0, "utf8"));
const root = pathToFileURL(job.dir + "/");
const log = [];
const diskFetch = async (url, init) => {  // the index's files from disk; each read logged as record() says
  const buf = await readFile(fileURLToPath(url));
  log.push(record(url.slice(root.href.length), init, buf));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { ok: true, status: 200, arrayBuffer: async () => ab, json: async () => JSON.parse(buf.toString("utf8")) };
};
const { loadSearch } = await import(new URL("js/search.mjs", root).href);
"""
# the scripts below append their own `function record(rel, init, buf)` (hoisted) and their steps


FETCH_JS = DISK_FETCH_JS + """
function record(rel, init, buf) { return [rel, init?.priority ?? null, buf.byteLength]; }
const s = await loadSearch(root.href, { fetch: diskFetch, preload: false });
await s.analyzer.ready; // the character table (loadSearch does not wait for it: printable ASCII needs none)
log.length = 0;
s.prefetchTerms(job.typing);
await new Promise((r) => setTimeout(r, 100));
const pre = log.splice(0);
const hits = await s.search(job.query, { mode: "keyword", limit: 10 });
process.stdout.write(JSON.stringify({ pre, after: log.splice(0), hits }));
"""


def test_a_query_fetches_its_terms_and_its_chunks_text(cran_site):
    """While a query is typed, the finished words' term shards are fetched (not the word being typed); the query then
    fetches its last terms' shards and the text shards of the chunks it shows (a hit and its sub-results), no page's
    whole text: 10 results cost at most 10 x 4 text shards of about TEXT_SHARD_BYTES."""
    from exporter.search.analyze import Analyzer
    from exporter.search.store import term_shard

    ix = cran_site / "_edgembed"
    meta = json.loads((ix / "index.json").read_text())
    an = Analyzer()
    got = node_json(FETCH_JS, {"dir": str(ix), "typing": "swept wings dr", "query": "swept wings drag"})
    want_pre = {f"terms/{term_shard(t, meta['term_bounds'])}.bin" for t in an.terms("swept wings")}
    assert {u for u, _, _ in got["pre"]} == want_pre and len(got["pre"]) == len(want_pre), got["pre"]
    after = [u for u, _, _ in got["after"]]
    assert all(u.startswith(("terms/", "text/")) for u in after), after
    assert [u for u in after if u.startswith("terms/")] == sorted(
        {f"terms/{term_shard(t, meta['term_bounds'])}.bin" for t in an.terms("drag")} - want_pre)
    text = [(u, n) for u, _, n in got["after"] if u.startswith("text/")]
    assert len(got["hits"]) == 10 and 1 <= len(text) <= 10 * 4 and len(set(u for u, _ in text)) == len(text)
    assert sum(n for _, n in text) <= 10 * 4 * 4096
    print(f"keyword query, 10 hits: {len(text)} text shards, {sum(n for _, n in text):,} bytes (uncompressed)")


SPECULATE_JS = DISK_FETCH_JS + """
function record(rel, init) { return [rel, init?.priority ?? null]; }
const on = await loadSearch(root.href, { fetch: diskFetch, speculate: 4 });
const off = await loadSearch(root.href, { fetch: diskFetch, speculate: -1 });
const auto = await loadSearch(root.href, { fetch: diskFetch }); // no resource timing of index.json: not multiplexed
for (const q of job.queries.slice(0, 3)) await auto.search(q, { limit: 10 });
const out = { same: 0, differ: [], perQuery: [], autoFresh: auto.stats.speculated };
await auto.search(job.queries[0], { limit: 10 }); // again: its vectors are here (none to fetch, one wave at most)
out.autoAgain = auto.stats.speculated;
for (const q of job.queries) {
  const u0 = on.stats.used, f0 = on.stats.fed;
  const a = JSON.stringify(await on.search(q, { limit: 10 })), b = JSON.stringify(await off.search(q, { limit: 10 }));
  if (a === b) out.same++; else out.differ.push(q);
  out.perQuery.push([on.stats.used - u0, on.stats.fed - f0]);
}
out.stats = [on.stats, off.stats, auto.stats];
out.priority = {}; // kind of index file -> the priorities it was fetched at
for (const [u, p] of log) if (!u.startsWith("model/")) (out.priority[u.split("/")[0]] ??= []).includes(p) || out.priority[u.split("/")[0]].push(p);
const m = await on.loadModel();
out.rowsAtOnce = m.impl.lazy?.maxInFlight ?? null; // a question's row shards go out together (HTTP/2)
log.length = 0;
on.lane.keyword = 1; // a keyword list pending: the model's fetches go at low priority
await m.embed([job.words[0]]);
out.pending = log.splice(0);
on.lane.keyword = 0;
await m.embed([job.words[1]]);
out.idle = log.splice(0);
await on.search(job.queries[0], { mode: "keyword", limit: 10 }); // a keyword search leaves the lane as it found it
out.lane = on.lane.keyword;
process.stdout.write(JSON.stringify(out));
"""


def test_speculative_feedback_inputs_never_change_the_list(cran_site):
    """Hybrid feedback's inputs (the term bags or text of the first pass's likely best chunks, by the sign-code
    estimate, at low priority; and the shards of the terms feedback would choose from them) are fetched with the
    first pass's vectors: the lists equal those without speculation, query for query;
    most queries find all their feedback inputs fetched ahead. By default it speculates where index.json came over
    HTTP/2 or 3 (not here: no resource timing) or where the vectors still to fetch fit in one wave of HTTP/1.1's
    six connections (here: a query asked again, none to fetch; not a fresh one, 10-20). Vectors and term bags go at low priority, and so do
    the model's row shards while a keyword list is pending (its term and text shards first on HTTP/1.1); the model
    fetches up to 32 row shards at once."""
    queries = [json.loads(ln)["text"] for ln in (DATA / "cranfield" / "queries.jsonl").read_text().splitlines()][:40]
    got = node_json(SPECULATE_JS, {"dir": str(cran_site / "_edgembed"), "queries": queries,
                                   "words": ["quokka xylophone zeppelin marmalade", "saxophone kangaroo origami tulips"]})
    assert got["differ"] == [] and got["same"] == len(queries)
    on, off, auto = got["stats"]
    fed = [q for q in got["perQuery"] if q[1]]
    whole = sum(u == f for u, f in fed)
    print(f"{len(fed)} of {len(queries)} queries fed back; all inputs fetched ahead on {whole}; "
          f"{on['used']} of {on['fed']} inputs; {on['speculated']} speculated; requests {on['requests']} vs {off['requests']}")
    assert fed and on["speculated"] > 0 and off["speculated"] == 0 and off["used"] == 0
    assert got["autoFresh"] == 0 and got["autoAgain"] > 0
    assert whole >= 0.6 * len(fed) and on["used"] >= 0.9 * on["fed"]
    pr = got["priority"]
    assert pr["vecs"] == ["low"] and pr["terms"] == [None] and sorted(pr["text"], key=str) == [None, "low"], pr  # low: speculated
    assert pr.get("bags", ["low"]) == ["low"], pr
    assert got["pending"] and all(u.startswith("model/") and p == "low" for u, p in got["pending"]), got["pending"]
    assert got["idle"] and all(p is None for _, p in got["idle"]), got["idle"]
    assert got["lane"] == 0 and got["rowsAtOnce"] == 32


HELD_TABLE_JS = DISK_FETCH_JS.replace("const buf = await readFile", "if (url.endsWith('chartable.bin')) await held;\n  const buf = await readFile") + """
function record(rel) { return rel; }
let release, held;
const out = {};
for (const q of job.queries) {
  held = new Promise((r) => { release = r; }); // this question's table, held until after it asked for its terms
  log.length = 0;
  const s = await loadSearch(root.href, { fetch: diskFetch, preload: false }); // resolves with the table held
  const got = s.search(q, { mode: "keyword", limit: 10 });
  let done = false;
  got.then(() => { done = true; }, () => {});
  await new Promise((r) => setTimeout(r, 200));
  out[q] = { before: log.filter((u) => u.startsWith("terms/")).length, doneBefore: done };
  release();
  out[q].hits = (await got).map((h) => [h.url, h.score, h.excerpt]);
}
process.stdout.write(JSON.stringify(out));
"""


def test_an_ascii_question_fetches_its_terms_before_the_character_table(cran_site):
    """loadSearch() no longer waits for the character table (16 kB on the first question's path) when the analyzer is
    BERT-uncased's: a printable-ASCII question's term shards are asked for while the table is held back, a
    non-ASCII one's only after; either list waits for the table (its excerpts) and equals `edgembed search`'s."""
    from exporter.search.query import SiteIndex

    queries = ["Supersonic flow over a WEDGE: shock waves?", "écoulement supersonique flow wedge"]
    js = node_json(HELD_TABLE_JS, {"dir": str(cran_site / "_edgembed"), "queries": queries})
    ix = SiteIndex(cran_site / "_edgembed")
    for q in queries:
        py = [[h["url"], h["score"], h["excerpt"]] for h in ix.search(q, mode="keyword", limit=10)]
        got = js[q]
        print(q, got["before"], "terms shards asked for before the table")
        assert not got["doneBefore"] and [h[0] for h in got["hits"]] == [h[0] for h in py] and py
        assert [h[2] for h in got["hits"]] == [h[2] for h in py]
        assert np.allclose([h[1] for h in got["hits"]], [h[1] for h in py], rtol=1e-9, atol=1e-12)
    assert js[queries[0]]["before"] > 0 and js[queries[1]]["before"] == 0


NO_TABLE_JS = DISK_FETCH_JS.replace("const buf = await readFile", "if (url.endsWith('chartable.bin')) return { ok: false, status: 404 };\n  const buf = await readFile") + """
function record(rel) { return rel; }
const s = await loadSearch(root.href, { fetch: diskFetch, preload: false });
const out = [];
for (const q of ["supersonic flow", "zzzzqqq", "café"]) {
  try { await s.search(q, { mode: "keyword", limit: 5 }); out.push("no error"); } catch (e) { out.push(e.message); }
}
process.stdout.write(JSON.stringify(out));
"""


def test_a_missing_character_table_fails_every_search_with_one_line(cran_site):
    """loadSearch() no longer waits for the character table, so a table that cannot be fetched is said by each search
    (with hits, without any, a question outside ASCII): one line naming it, never a list built without it."""
    got = node_json(NO_TABLE_JS, {"dir": str(cran_site / "_edgembed")})
    assert got == ["cannot fetch the analyzer table: HTTP 404"] * 3, got


GUESS_JS = DISK_FETCH_JS + """
function record(rel, init) { return [rel, init?.signal ?? null]; }
const s = await loadSearch(root.href, { fetch: diskFetch });
await s.loadModel();
process.stdout.write(JSON.stringify(log.map(([u, sig]) => [u, sig === null ? null : sig.aborted])));
"""


@pytest.mark.parametrize("model", ["model/", "other/"])
def test_the_model_guessed_before_index_json_is_cancelled_when_wrong(cran_site, tmp_path, model):
    """loadSearch starts model/ (where `edgembed index` puts the model) with index.json, one round trip early; an
    index.json naming another model aborts those guessed fetches and loads its own; a right guess is used, once."""
    ix = tmp_path / "ix"
    shutil.copytree(cran_site / "_edgembed", ix)
    if model != "model/":
        meta = json.loads((ix / "index.json").read_text())
        (ix / "index.json").write_text(json.dumps({**meta, "model": model}))
        shutil.copytree(ix / "model", ix / model)
    log = node_json(GUESS_JS, {"dir": str(ix)})
    guessed = [a for u, a in log if u.startswith("model/") and u != "model/chartable.bin"]
    assert guessed and [u for u, _ in log].count("model/manifest.json") == 1, log
    if model == "model/":
        assert not any(a for _, a in log), log  # nothing aborted, nothing fetched twice
        assert len({u for u, _ in log}) == len(log), log
    else:
        assert all(guessed), log  # every fetch of the guessed model was aborted
        own = [a for u, a in log if u.startswith(model)]
        assert own and not any(own), log
    print(f"{model}: {len(log)} fetches, {len(guessed)} of the guessed model/")


TYPING_JS = DISK_FETCH_JS + """
function record(rel) { return rel; }
const s = await loadSearch(root.href, { fetch: diskFetch, preload: false });
await s.analyzer.ready; // the character table (loadSearch does not wait for it: printable ASCII needs none)
const settle = () => new Promise((r) => setTimeout(r, 100));
const out = { steps: [] };
log.length = 0;
for (const text of job.keys) {  // what the box does on each key
  s.prefetchTerms(text);
  await s.prefetchResults(text, 8, false);
  await settle();
  out.steps.push([text, log.splice(0), s.termsReady(text)]);
}
out.ready = s.termsReady(job.query);
const hits = await s.search(job.query, { mode: "keyword", limit: 8 });
out.after = log.splice(0);
out.hits = hits.map((h) => h.url);
process.stdout.write(JSON.stringify(out));
"""


def test_typing_fetches_the_word_being_typed_and_the_likely_results(cran_site):
    """Typed key by key: the word being typed has its term shard fetched from its third character on (the shard of
    the word as typed so far, and every shard of the terms it may become once they fit in 4 shards: the last word's
    shard is here before its last key); once two strong words are finished, the text shards of their keyword ranking's first 8
    pages' best chunks are fetched; a question whose every term shard has arrived is termsReady (the box then shows
    its keyword results without the debounce) and its keyword search fetches no term shard, only the text shards the
    typing did not bring; the hits equal Python's."""
    from exporter.search.analyze import Analyzer
    from exporter.search.query import SiteIndex
    from exporter.search.store import term_shard

    ix = cran_site / "_edgembed"
    meta = json.loads((ix / "index.json").read_text())
    an = Analyzer()
    query = "swept wings drag"
    keys = [query[:n] for n in range(1, len(query) + 1)]
    got = node_json(TYPING_JS, {"dir": str(ix), "keys": keys, "query": query})
    steps = {text: (files, ready) for text, files, ready in got["steps"]}
    bounds = meta["term_bounds"]
    shard = lambda t: f"terms/{term_shard(t, bounds)}.bin"  # noqa: E731

    def starting_with(p: str) -> set[str]:  # the shards of the terms that start with P, when they are at most 4
        lo, hi = term_shard(p, bounds), term_shard(p + chr(0x10FFFF), bounds)
        return {f"terms/{s}.bin" for s in range(lo, hi + 1)} if hi - lo < 4 else set()

    assert steps["sw"][0] == [] and len(steps["swe"][0]) == len(set(steps["swe"][0]))  # from the third character
    assert set(steps["swe"][0]) == {shard(an.terms("swe")[0])} | starting_with("swe"), steps["swe"]
    assert all(f.startswith("terms/") for t in keys if len(t) < len("swept wings ") for f in steps[t][0])
    fetched = [f for t in keys for f in steps[t][0]]
    assert len(fetched) == len(set(fetched))  # no shard twice
    before_last = [f for t in keys[:-1] for f in steps[t][0]]
    assert shard(an.terms("drag")[0]) in before_last, (shard(an.terms("drag")[0]), got["steps"])
    assert not steps["swep"][1] and steps["swept"][1]  # a word being typed that a search would correct: not ready
    sx = SiteIndex(ix)
    for text in keys:  # nor a word being typed that is no term of the index, whatever its length (its shard is here)
        word = text.split(" ")[-1]
        if word and an.terms(word) and not sx.postings(an.terms(word)[0])[0]:
            assert not steps[text][1], text
    assert not steps["swept wings dra"][1] and steps["swept wings drag"][1]
    want_text = set()  # the first 8 pages of "swept wings", their best chunks' shards
    ranked, _ = SiteIndex(ix).ranked_chunks("swept wings", "keyword", 8)
    pages: list = []
    for c, _ in ranked:
        p = int(np.searchsorted(np.cumsum(meta["page_chunks"]), c, side="right"))
        if p not in pages and len(pages) < 8:
            pages.append(p)
            k = int(np.searchsorted(np.cumsum([0] + meta["text_chunks"]), c, side="right")) - 1
            want_text.add(f"text/{k}.json")
    assert {f for f in steps["swept wings "][0] if f.startswith("text/")} == want_text, steps["swept wings "]
    assert got["ready"] and not any(f.startswith("terms/") for f in got["after"]), got["after"]
    assert got["hits"] == [h["url"] for h in SiteIndex(ix).search(query, 8, "keyword")]
    print(f"typed {query!r}: {len(fetched)} files while typing, {len(got['after'])} after the last key")


@pytest.mark.browser
def test_search_box_in_chromium(cran_site):
    from exporter.proof.browser import browser_available
    from exporter.search.query import SiteIndex
    from search_browser import run_pages, write_host_page

    ok, why = browser_available()
    if not ok:
        pytest.skip(why)
    url = write_host_page(cran_site)
    element = write_host_page(cran_site, "_element.html", engine="element")
    queries = [json.loads(ln)["text"] for ln in (DATA / "cranfield" / "queries.jsonl").read_text().splitlines()][:8]
    query = "heat transfer in boundary layers"
    pages = run_pages(cran_site, [
        {"name": "api", "url": url, "engine": "edgembed", "queries": queries + HOSTILE_QUERIES[4:7], "mode": "hybrid"},
        {"name": "desktop", "url": url, "engine": "edgembed", "ui": {"query": query}},
        {"name": "phone", "url": url, "engine": "edgembed", "ui": {"query": query, "mobile": True}},
        {"name": "element", "url": element, "engine": "edgembed", "ui": {"query": query}},
    ])
    ix = SiteIndex(cran_site / "_edgembed")
    for p in pages:
        assert not p.get("error") and not p["pageErrors"] and not p["consoleErrors"] and not p["external"], p
        assert not p["httpErrors"] and not p["failed"], p
    worst = 0.0
    for q in pages[0]["queries"]:
        ok, diff = same(ix.search(q["query"], 10, "hybrid"), q["hits"])
        assert ok, q["query"]
        worst = max(worst, diff)
    print(f"Chromium = Python on {len(pages[0]['queries'])} queries, max |score diff| {worst:.2e}")
    assert worst <= 1e-6
    want = [h["title"] for h in ix.search(query, 8, "hybrid")]
    for p in pages[1:]:
        ui = p["ui"]
        assert [o["title"] for o in ui["options"]] == want  # the box shows the hybrid ranking, in order
        nweak = sum(o["weak"] for o in ui["options"])
        assert ui["expanded"] == "true" and ui["controls"] == ui["listbox"]
        assert ui["status"] == "8 results" + (f", {nweak} weak" if nweak else "")
        assert all(o["marks"] > 0 for o in ui["options"][:3])
        assert ui["nav"]["active"] == ui["options"][1]["id"] and ui["nav"]["selected"] == [ui["options"][1]["id"]]
        assert ui["afterEscape"] == {"options": 0, "expanded": "false"}
        assert not ui["overflowX"]
    assert pages[2]["ui"]["smallTargets"] == 0  # phone: nothing to tap is under 24 px high


GOOD_TS = """
import { loadSearch, type SearchHit, type SiteSearch } from "edgembed";
import { EdgembedSearchUI } from "edgembed/search_ui.mjs";
export async function main(el: HTMLElement): Promise<string[]> {
  const s: SiteSearch = await loadSearch("/_edgembed/", { baseUrl: "/docs", preload: false });
  const hits: SearchHit[] = await s.search("how do I", { limit: 5, mode: "keyword" });
  new EdgembedSearchUI({ element: el, search: s, limit: 8, mode: "hybrid" });
  const n: number = s.meta.chunks + hits[0].sub_results.length;
  return hits.map((h) => `${h.url} ${h.anchor_url} ${h.heading} ${h.excerpt} ${h.score.toFixed(3)} ${n}`);
}
"""
BAD_TS = {"mode": 'await s.search("q", { mode: "fuzzy" });', "query": "await s.search(42);",
          "hit": 'const x: number = (await s.search("q"))[0].title;', "ui": "new EdgembedSearchUI({ index: '/x/' });"}


@pytest.mark.skipif(not (WEB / "node_modules" / "typescript").is_dir(), reason="web/node_modules/typescript missing")
def test_search_types_strict(tmp_path):
    """The site-search declarations compile for correct use under tsc --strict and reject wrong use."""
    proj = tmp_path / "ts"
    (proj / "node_modules").mkdir(parents=True)
    (proj / "node_modules" / "edgembed").symlink_to(WEB / "runtime", target_is_directory=True)
    (proj / "package.json").write_text(json.dumps({"name": "ts", "private": True, "type": "module"}))

    def tsc(name: str, source: str) -> subprocess.CompletedProcess:
        (proj / f"{name}.ts").write_text(source, encoding="utf-8")
        return subprocess.run([str(WEB / "node_modules" / ".bin" / "tsc"), "--strict", "--noEmit", "--target", "es2022",
                               "--module", "nodenext", "--moduleResolution", "nodenext", "--lib", "es2022,dom",
                               f"{name}.ts"], cwd=proj, capture_output=True, text=True, timeout=300)

    good = tsc("good", GOOD_TS)
    assert good.returncode == 0, good.stdout + good.stderr
    head = ('import { loadSearch } from "edgembed";\nimport { EdgembedSearchUI } from "edgembed/search_ui.mjs";\n'
            'export async function main(): Promise<void> {\n  const s = await loadSearch("/_edgembed/");\n')
    lines = list(BAD_TS.values())
    bad = tsc("bad", head + "".join(f"  {ln}\n" for ln in lines) + "  void s; void EdgembedSearchUI;\n}\n")
    first = head.count("\n") + 1
    erred = {int(m) for m in re.findall(r"bad\.ts\((\d+),\d+\): error TS", bad.stdout)}
    assert bad.returncode != 0 and erred == set(range(first, first + len(lines))), bad.stdout  # each wrong use fails


def test_semantic_candidates_add_the_best_keyword_matches(cran_site):
    """Semantic re-scores the best sign-code chunks plus the best keyword matches; its score stays the cosine."""
    from exporter.search.query import SiteIndex

    ix = SiteIndex(cran_site / "_edgembed")
    fusion = ix.meta["fusion"]
    assert fusion["rerank_semantic"] == 100 and fusion["rerank_semantic_keyword"] == 20
    q = "what is the effect of heat on the boundary layer of a wing?"
    lex = ix.keyword_scores(ix.query_terms(q))
    hit = np.flatnonzero(lex > 0)
    best_kw = set(hit[np.lexsort((hit, -lex[hit]))][:20].tolist())
    ranked, _ = ix.ranked_chunks(q, "semantic", 10)
    got = {c for c, _ in ranked}
    assert best_kw <= got and 100 <= len(got) <= 120
    qv = ix.embed(q)
    assert all(abs(s - ix.exact_cosine(qv, c)) < 1e-12 for c, s in ranked)
    ix.meta["fusion"] = {**fusion, "rerank_semantic_keyword": 0}  # an index built before the setting: sign codes only
    assert len(ix.ranked_chunks(q, "semantic", 10)[0]) == 100


ORDER_JS = """
import { readFileSync } from "node:fs";
const job = JSON.parse(readFileSync(0, "utf8"));
const { cmpCodePoints, termShard } = await import(job.module);  // search_store.mjs
const sorted = [...job.strings].sort(cmpCodePoints);
process.stdout.write(JSON.stringify({ sorted, shards: job.strings.map((t) => termShard(t, job.bounds)) }));
"""


def test_terms_shard_order_is_pythons_code_point_order():
    """search.mjs sorts and finds terms shards in Python's str order (code points), also where UTF-16 order differs (a
    character above U+FFFF against one in U+E000..U+FFFF), ASCII, CJK, combining marks and prefixes of each other."""
    from exporter.search.store import separator, term_shard

    seed = random.randrange(2**32)
    print(f"seed {seed}")
    rng = random.Random(seed)
    pools = ["abcxyz019_.-:", "\u00e9\u0301\u4e2d\u6587", "\ue000\uffee\ufffd", "\U0001f600\U00010000\U0010fffd"]
    strings = sorted({"".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(1, 6))) for _ in range(3000)})
    cut = sorted(rng.sample(range(1, len(strings)), 40))
    bounds = [separator(strings[k - 1], strings[k]) for k in cut]
    queries = strings + [s + chr(0x10FFFF) for s in strings[:200]] + [s[:1] for s in strings[:200]]
    rng.shuffle(queries)
    got = node_json(ORDER_JS, {"strings": queries, "bounds": bounds, "module": (WEB / "runtime" / "search_store.mjs").as_uri()})
    assert got["sorted"] == sorted(queries)
    assert got["shards"] == [term_shard(t, bounds) for t in queries]
    assert any(a < b and a.encode("utf-16-be") > b.encode("utf-16-be") for a, b in zip(got["sorted"], got["sorted"][1:]))
