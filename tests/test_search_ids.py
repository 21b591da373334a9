"""The index's word ids table (ids/, search_ids.mjs): a pasted question's ids without the tokenizer pack. Every
stored word's ids are the tokenizer's; whenever the browser takes a question's ids from the table they are exactly
the tokenizer's (random printable-ASCII questions, seeded), and its vector is embed()'s bit for bit; a tokenizer that
is not BERT-like gets no table."""

from __future__ import annotations

import json
import os
import random
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA, MODELS, WEB, node_marks

pytest.importorskip("selectolax")
pytest.importorskip("Stemmer")
pytestmark = node_marks()

HOSTILE = ("[SEP] [MASK] [CLS] [UNK] [PAD] [sep] x[SEP]y café naïve 日本語 e=mc^2 (a+b)*c 3.14159 2-d "
           "x_y__z a.b.c foo/bar?baz=1&q=2 #hash @user ~tilde `tick` 'quote' \"dq\" {brace} |pipe| \\back "
           + "a" * 120 + " " + "ab" * 60 + " supercalifragilisticexpialidocious")


def small_site(root: Path) -> Path:
    """300 Cranfield documents as 30 pages (headings, text) and a page of hostile words."""
    docs = [json.loads(ln) for ln in (DATA / "cranfield" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:300]]
    root.mkdir(parents=True, exist_ok=True)
    import html

    for p in range(30):
        body = "".join(f"<h2 id=d{d['_id']}>{html.escape(d.get('title') or 'untitled')}</h2><p>{html.escape(d['text'])}</p>"
                       for d in docs[10 * p:10 * p + 10])
        (root / f"p{p}.html").write_text(f"<html><head><title>Page {p}</title></head><body><main>{body}</main></body></html>",
                                         encoding="utf-8")
    (root / "hostile.html").write_text(f"<html><head><title>Odd words</title></head><body><main><p>{html.escape(HOSTILE)}"
                                       "</p></main></body></html>", encoding="utf-8")
    return root


# a Node script's start: its job (JSON on stdin, job.dir an index folder) and a fetch of that folder's files
DISK_JS = """
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
const job = JSON.parse(readFileSync(0, "utf8"));
const root = pathToFileURL(job.dir + "/");
const diskFetch = async (url) => {
  const buf = await readFile(fileURLToPath(url));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { ok: true, status: 200, arrayBuffer: async () => ab, json: async () => JSON.parse(buf.toString("utf8")) };
};
"""


def source_tokenizer(model_dir: Path):
    """The model's own tokenizer.json (not the index's copy), padding off as the runtimes load it."""
    from tokenizers import Tokenizer

    path = next(p for p in (model_dir / "tokenizer.json", model_dir / "0_StaticEmbedding" / "tokenizer.json") if p.is_file())
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    return tok


@pytest.fixture(scope="module", params=MODELS)
def ids_index(request, tmp_path_factory) -> tuple[Path, Path]:
    """(the index of small_site built with the fixture model, the model folder)."""
    from exporter.pipeline import export
    from exporter.search.build import build_index

    model_dir = request.getfixturevalue(f"{request.param}_dir")
    root = tmp_path_factory.mktemp(f"ids-{request.param}")
    export(model_dir, root / "model", quant="int8", demo=False)
    site = small_site(root / "site")
    build_index(site, site / "_edgembed", model=str(root / "model"), progress=False)
    return site / "_edgembed", model_dir


def test_every_stored_word_has_the_tokenizers_ids(ids_index):
    from exporter.search.store import decode_word_ids, term_shard

    ix, model_dir = ids_index
    meta = json.loads((ix / "index.json").read_text())
    spec = meta["word_ids"]
    tok = source_tokenizer(model_dir)
    table: dict[str, list[int]] = {}
    for k in range(spec["shards"]):
        shard = decode_word_ids((ix / "ids" / f"{k}.bin").read_bytes())
        assert all(term_shard(w, spec["bounds"]) == k for w in shard)  # each word where the bounds say
        table.update(shard)
    assert len(table) == spec["words"] > 2000
    common = spec["common"]  # the site's most frequent words, in index.json: the same ids
    assert 100 < len(common) <= 256 and all(table.get(w) == ids for w, ids in common.items())
    words = sorted(table)
    want = [e.ids for e in tok.encode_batch(words, add_special_tokens=False)]
    bad = [(w, table[w], i) for w, i in zip(words, want) if table[w] != i]
    assert not bad[:10]
    assert all(w.isascii() and w.isprintable() and " " not in w for w in words)
    assert "a" * 120 in table and table["a" * 120] == [tok.token_to_id("[UNK]")]  # over 100 characters: [UNK]
    added = {t.content for t in tok.get_added_tokens_decoder().values()}
    assert added and added <= set(spec["added"])
    print(f"{len(words)} words in {spec['shards']} shards, {sum(len(v) for v in table.values())} ids; added {spec['added']}")


# a Node script's start: the index's WordIds (search_ids.mjs), each made by wordIds(LOG) reading files from disk and
# pushing each path it reads to LOG
WORD_IDS_JS = """
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
const job = JSON.parse(readFileSync(0, "utf8"));
const root = pathToFileURL(job.dir + "/");
const { WordIds } = await import(new URL("js/search_ids.mjs", root).href);
const meta = JSON.parse(readFileSync(new URL("index.json", root), "utf8"));
const wordIds = (log) => new WordIds(meta.word_ids, async (rel) => {
  log.push(rel);
  const b = await readFile(fileURLToPath(new URL(rel, root)));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
});
"""

VOCAB_JS = WORD_IDS_JS + """
const log = [];
const w = wordIds(log);
const out = [];
for (const word of job.words) out.push(await w.wordPieceIds(word));
process.stdout.write(JSON.stringify({ out, read: [...new Set(log)] }));
"""


def test_vocab_shards_tokenize_every_short_word_as_the_tokenizer(ids_index):
    """WordPiece over vocab/ (a word the table lacks) gives the tokenizer's ids for every word of [a-z0-9] of 1 to 3
    characters (47,988), 4,000 seeded random ones of 4 to 30 and words around the 100-character limit, every
    vocabulary token's letters alone and glued to another's (a continuation's own group), and refuses what it cannot
    answer (punctuation, upper case: the table's or the tokenizer's)."""
    import itertools
    import re

    from exporter.search.vocab import VOCAB_SHARD_BYTES
    from exporter.search.store import decode_word_ids, term_shard

    ix, model_dir = ids_index
    tok = source_tokenizer(model_dir)
    spec = json.loads((ix / "index.json").read_text())["word_ids"]
    assert "vocab" in spec, "a BERT-like tokenizer gets vocab/"
    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"vocab seed {seed}")
    rng = random.Random(seed)
    abc = "abcdefghijklmnopqrstuvwxyz0123456789"
    words = ["".join(t) for n in (1, 2, 3) for t in itertools.product(abc, repeat=n)]
    words += ["".join(rng.choice(abc[:26] if rng.random() < 0.8 else abc) for _ in range(rng.randint(4, 30))) for _ in range(4000)]
    words += [rng.choice(abc[:26]) * n for n in (99, 100, 101, 150)] + ["ab" * 50, "ab" * 50 + "c"]
    bodies = sorted({t.removeprefix("##") for t in tok.get_vocab() if t.removeprefix("##").isalnum() and t.isascii()
                     and t.removeprefix("##") == t.removeprefix("##").lower()})
    words += bodies + [a + b for a, b in zip(bodies, reversed(bodies))]
    r = subprocess.run(["node", "--input-type=module", "-e", VOCAB_JS], input=json.dumps({"dir": str(ix), "words": words + ["a-b", "Ab", "!"]}),
                       capture_output=True, text=True, cwd=WEB, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    want = [e.ids for e in tok.encode_batch(words, add_special_tokens=False)]
    bad = [(w, g, i) for w, g, i in zip(words, got["out"], want) if g != i]
    assert not bad[:10], bad[:10]
    assert got["out"][-3:] == [None, None, None]
    shards, bounds = spec["vocab"]["shards"], spec["vocab"]["bounds"]
    assert sorted(got["read"]) == sorted(f"vocab/{k}.bin" for k in range(shards))  # every shard was walked
    stored = {}
    for k in range(shards):  # each token where the bounds say, with its vocabulary id; all the [a-z0-9] ones
        shard = decode_word_ids((ix / "vocab" / f"{k}.bin").read_bytes())
        assert shard and all(term_shard(t, bounds) == k for t in shard), k
        stored.update(shard)
    vocab = tok.get_vocab()
    assert stored == {t: [i] for t, i in vocab.items() if re.fullmatch(r"(##)?[a-z0-9]+", t)}
    sizes = sorted((ix / "vocab" / f"{k}.bin").stat().st_size for k in range(shards))
    assert sizes[len(sizes) // 2] <= 2 * VOCAB_SHARD_BYTES
    print(f"{len(words)} words, all the tokenizer's ids; {shards} vocab shards, {sum(sizes)} bytes, median {sizes[len(sizes) // 2]}, largest {sizes[-1]}")


PARTIAL_JS = WORD_IDS_JS + """
const out = [];
for (const typed of job.typed) {
  const read = [];
  wordIds(read).prefetchPartial(typed);
  out.push(read);
}
process.stdout.write(JSON.stringify(out));
"""


def test_a_word_being_typed_fetches_the_ids_shards_it_may_end_in(ids_index):
    """prefetchPartial: from 3 characters on, the ids shards every word starting with the typed part lies in, once
    they are one (the finished word's, wherever it ends); nothing for a shorter part, punctuation at the
    end, a part whose words span more shards, or a part one of the site's most frequent words starts with (their
    ids are in index.json)."""
    from exporter.search.store import decode_word_ids, term_shard

    ix, _ = ids_index
    spec = json.loads((ix / "index.json").read_text())["word_ids"]
    words = sorted(w for k in range(spec["shards"]) for w in decode_word_ids((ix / "ids" / f"{k}.bin").read_bytes()))
    frequent = max((w for w in spec["common"] if w.isalnum()), key=len)  # e.g. "boundary": typed but for its last letter
    rare = [w for w in words if w.isalpha() and len(w) >= 7 and not any(c.startswith(w[:-1]) for c in spec["common"])]
    typed = ["bou", "bounda", "Bounda", "transi", "xy", "flow.", "pr", "a", "subsoni", frequent[:-1]] + [w[:-1] for w in rare[::len(rare) // 5][:5]]
    r = subprocess.run(["node", "--input-type=module", "-e", PARTIAL_JS], input=json.dumps({"dir": str(ix), "typed": typed}),
                       capture_output=True, text=True, cwd=WEB, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    got = dict(zip(typed, r.stdout and json.loads(r.stdout), strict=True))
    for t, read in got.items():
        w = t.lower()
        span = sorted({term_shard(x, spec["bounds"]) for x in words if x.startswith(w)} | {term_shard(w, spec["bounds"])})
        common = any(c.startswith(w) for c in spec["common"])
        fits = len(w) >= 3 and w.isalnum() and span[-1] - span[0] < 1 and not common
        assert read == ([f"ids/{k}.bin" for k in range(span[0], span[-1] + 1)] if fits else []), (t, read, span)
    assert got["bounda"] == got["Bounda"] and not got["xy"] and not got["flow."]
    assert sum(bool(got[w[:-1]]) for w in rare[::len(rare) // 5][:5]) >= 3  # most rare words' shards: one
    assert len(frequent) >= 6 and not got[frequent[:-1]]


BAD_VOCAB_JS = DISK_JS + """
const { loadSearch } = await import(new URL("js/search.mjs", root).href);
const { WordIds } = await import(new URL("js/search_ids.mjs", root).href);
const s = await loadSearch(root.href, { fetch: diskFetch, preload: false });
let refused = null;
try { new WordIds({ ...s.meta.word_ids, vocab: { ...s.meta.word_ids.vocab, bounds: [] } }, async () => null); } catch (e) { refused = String(e.message); }
const fresh = () => new s.constructor(s.root, s.meta, s.analyzer, { fetch: diskFetch });
const t = fresh();
const table = await t.wordIds.ids(job.query).then(() => "answered", (e) => String(e.message));
const [a] = await t.embedQuery(job.query), [b] = await (await fresh().loadModel()).embed([job.query]);
process.stdout.write(JSON.stringify({ refused, table, same: a.every((x, i) => Object.is(x, b[i])), modelReady: t.modelReady }));
"""


def test_a_corrupt_vocab_shard_falls_back_to_the_tokenizer(ids_index, tmp_path):
    """index.json's word_ids.vocab that does not bound its shards is refused in one line; a vocab shard that is
    corrupt fails the table's answer, and the question is embedded with the tokenizer pack instead (the same vector)."""
    import shutil

    ix, _ = ids_index
    bad = tmp_path / "ix"
    shutil.copytree(ix, bad)
    for f in (bad / "vocab").iterdir():
        f.write_bytes(b"XXXX" + f.read_bytes()[4:])
    r = subprocess.run(["node", "--input-type=module", "-e", BAD_VOCAB_JS], capture_output=True, text=True, cwd=WEB,
                       input=json.dumps({"dir": str(bad), "query": "unsweptness of flutterable wings"}), timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    assert got["refused"] == "corrupt search index: word_ids.vocab does not bound its shards"
    assert "bad magic" in got["table"] or "corrupt" in got["table"], got["table"]
    assert got["same"] is True and got["modelReady"] is True


IDS_JS = DISK_JS + """
const { loadSearch } = await import(new URL("js/search.mjs", root).href);
const s = await loadSearch(root.href, { fetch: diskFetch, preload: false });
const fresh = () => new s.constructor(s.root, s.meta, s.analyzer, { fetch: diskFetch });
const t = fresh(); // answers from the table while its model is not loaded (loadRows + word ids)
const m = await fresh().loadModel(); // the full embedder: tokenizer pack and rows
const out = [];
for (const q of job.queries) {
  const table = await t.wordIds.ids(q);
  const row = { table, js: m.tokenize(q) };
  if (table) {
    const [a] = await t.embedQuery(q), [b] = await m.embed([q]);
    row.same = a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  }
  out.push(row);
}
process.stdout.write(JSON.stringify({ out, modelReady: t.modelReady }));
"""

PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def random_queries(words: list[str], rng: random.Random, n: int) -> list[str]:
    """Printable-ASCII questions: site words in any case, punctuation, digits, long words, added tokens' contents,
    repeated spaces, tabs and newlines."""
    out = []
    seps = [" ", " ", " ", "  ", "\t", "\n", "\r\n", " \t "]
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 14)):
            r = rng.random()
            if r < 0.6:
                w = rng.choice(words)
                w = w.upper() if rng.random() < 0.1 else w.capitalize() if rng.random() < 0.2 else w
            elif r < 0.72:
                w = rng.choice(PUNCT) * rng.randint(1, 2)
            elif r < 0.8:
                w = str(rng.randint(0, 10 ** rng.randint(1, 6)))
            elif r < 0.85:
                w = rng.choice(words) + rng.choice(PUNCT) + rng.choice(words)
            elif r < 0.88:
                w = rng.choice(["[SEP]", "[MASK]", "[CLS]", "[UNK]", "[PAD]", "[unk]", "x[sep]"])
            elif r < 0.9:
                w = "".join(rng.choice("abcdefghij") for _ in range(rng.randint(95, 130)))
            else:
                w = "".join(chr(rng.randint(0x21, 0x7e)) for _ in range(rng.randint(1, 6)))
            parts.append(w)
            parts.append(rng.choice(seps))
        out.append("".join(parts).strip() if rng.random() < 0.8 else " " + "".join(parts))
    return out


def test_table_ids_are_the_tokenizers_and_the_vector_embeds(ids_index):
    """Random questions: where the table claims a question's ids they equal the Python tokenizer's (and the JS
    tokenizer's), and the vector from the table's ids and the row shards equals embed(question) bit for bit."""
    from exporter.search.model import load_model
    from exporter.sources.tokenizer import encode_ids

    ix, _ = ids_index
    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"word ids seed {seed}")
    rng = random.Random(seed)
    docs = (DATA / "cranfield" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    words = sorted({w for ln in docs for w in json.loads(ln)["text"].split() if w.isascii()})
    queries = random_queries(words, rng, 300) + ["", "   ", "naïve wing", "wing [UNK] flow", "flow" + " x" * 600,
                                                 "what is the drag of a swept wing at mach 2?"]
    r = subprocess.run(["node", "--input-type=module", "-e", IDS_JS], input=json.dumps({"dir": str(ix), "queries": queries}),
                       capture_output=True, text=True, cwd=WEB, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    assert not got["modelReady"]  # the table's questions were embedded without the tokenizer pack
    tok = load_model(ix / "model").tokenizer  # the shipped tokenizer (its truncation included)
    want = encode_ids(tok, queries)
    claimed = 0
    for q, row, w in zip(queries, got["out"], want, strict=True):
        assert row["js"] == w, q  # the JS tokenizer is the reference's (proven elsewhere; here the baseline)
        if row["table"] is not None:
            claimed += 1
            assert row["table"] == w, q
            assert row["same"], q
    assert got["out"][-1]["table"] == want[-1]  # a plain question is answered by the table
    assert got["out"][-3]["table"] is None and got["out"][-4]["table"] is None  # an added token; non-ASCII
    max_ids = json.loads((ix / "index.json").read_text())["word_ids"]["max_ids"]
    long = got["out"][-2]["table"]  # more ids than a truncation (512) keeps: the tokenizer's to cut
    assert long is None if max_ids is not None and len(want[-2]) >= max_ids else long == want[-2]
    print(f"{claimed} of {len(queries)} questions from the table, all equal to the tokenizer's ids and vectors")
    assert claimed >= len(queries) // 5


def test_a_tokenizer_that_is_not_bert_like_gets_no_table(distilled_dir, unigram_dir, tmp_path):
    from tokenizers import Tokenizer

    from exporter.search.build import build_index
    from exporter.search.model import word_ids_tokenizer

    spec = json.loads((distilled_dir / "tokenizer.json").read_text())
    assert word_ids_tokenizer(Tokenizer.from_str(json.dumps(spec))) is not None
    variants = {
        "cased": {**spec, "normalizer": {**spec["normalizer"], "lowercase": False}},
        "accents kept": {**spec, "normalizer": {**spec["normalizer"], "strip_accents": False}},
        "no clean_text": {**spec, "normalizer": {**spec["normalizer"], "clean_text": False}},
        "whitespace pre-tokenizer": {**spec, "pre_tokenizer": {"type": "Whitespace"}},
        "no normalizer": {**spec, "normalizer": None},
    }
    for name, v in variants.items():
        assert word_ids_tokenizer(Tokenizer.from_str(json.dumps(v))) is None, name
    assert word_ids_tokenizer(Tokenizer.from_file(str(unigram_dir / "tokenizer.json"))) is None
    from exporter.pipeline import export

    export(unigram_dir, tmp_path / "model", quant="int8", demo=False)
    site = small_site(tmp_path / "site")
    meta = build_index(site, tmp_path / "ix", model=str(tmp_path / "model"), progress=False)
    assert "word_ids" not in meta and not (tmp_path / "ix" / "ids").exists()
    assert "word_ids" not in json.loads((tmp_path / "ix" / "index.json").read_text())


IDS_PAGE = """<!doctype html><meta charset=utf-8><title>ids</title><script type=module>
try {
  const { loadSearch } = await import("/_edgembed/js/search.mjs");
  const queries = await (await fetch("/_ids_queries.json")).json();
  const s = await loadSearch("/_edgembed/", { preload: false });
  const fresh = () => new s.constructor(s.root, s.meta, s.analyzer, {});
  const t = fresh(), m = await fresh().loadModel();
  const out = [];
  for (const q of queries) {
    const table = await t.wordIds.ids(q);
    let same = null;
    if (table) {
      const [a] = await t.embedQuery(q), [b] = await m.embed([q]);
      same = a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
    }
    out.push({ table, same });
  }
  window.result = { out, modelReady: t.modelReady };
} catch (e) { window.result = { error: String(e?.stack ?? e) }; }
</script>"""

CHROMIUM_JS = """
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";
const job = JSON.parse(readFileSync(0, "utf8"));
const browser = await chromium.launch({ executablePath: job.chromium, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage();
  await page.goto(job.url);
  await page.waitForFunction(() => window.result, null, { timeout: 120000 });
  process.stdout.write(JSON.stringify(await page.evaluate(() => window.result)));
} finally {
  await browser.close();
}
"""


def test_table_vectors_equal_embed_in_chromium(ids_index):
    """In Chromium, the vector of a question from the table's ids and the row shards is embed(question)'s bit for bit,
    and the ids are the Python tokenizer's."""
    import sys

    from exporter.proof.browser import browser_available, chromium_path
    from exporter.search.model import load_model
    from exporter.sources.tokenizer import encode_ids
    from tests.conftest import ROOT

    ok, why = browser_available()
    if not ok:
        pytest.skip(why)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from search_browser import keepalive_server

    ix, _ = ids_index
    site = ix.parent
    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"word ids (Chromium) seed {seed}")
    docs = (DATA / "cranfield" / "corpus.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    words = sorted({w for ln in docs for w in json.loads(ln)["text"].split() if w.isascii()})
    queries = random_queries(words, random.Random(seed), 60) + ["what is the drag of a swept wing at mach 2?"]
    (site / "_ids_queries.json").write_text(json.dumps(queries))
    (site / "_ids.html").write_text(IDS_PAGE)
    srv, base = keepalive_server(site)
    try:
        r = subprocess.run(["node", "--input-type=module", "-e", CHROMIUM_JS], capture_output=True, text=True, cwd=WEB,
                           input=json.dumps({"chromium": chromium_path(), "url": base + "_ids.html"}), timeout=300)
    finally:
        srv.shutdown()
        srv.server_close()
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    assert "error" not in got, got.get("error")
    assert not got["modelReady"]
    want = encode_ids(load_model(ix / "model").tokenizer, queries)
    claimed = [(q, row, w) for q, row, w in zip(queries, got["out"], want, strict=True) if row["table"] is not None]
    assert all(row["table"] == w and row["same"] is True for _, row, w in claimed), [q for q, row, w in claimed if row["table"] != w or not row["same"]]
    assert got["out"][-1]["table"] == want[-1] and len(claimed) >= len(queries) // 5
    print(f"Chromium: {len(claimed)} of {len(queries)} questions from the table, ids and vectors equal")


HOLD_JS = """
import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { pathToFileURL, fileURLToPath } from "node:url";
const job = JSON.parse(readFileSync(0, "utf8"));
const root = pathToFileURL(job.dir + "/");
const log = [];
const diskFetch = async (url) => {
  const buf = await readFile(fileURLToPath(url));
  log.push(url.slice(root.href.length));
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  return { ok: true, status: 200, arrayBuffer: async () => ab, json: async () => JSON.parse(buf.toString("utf8")) };
};
const { loadSearch } = await import(new URL("js/search.mjs", root).href);
const s = await loadSearch(root.href, { fetch: diskFetch });
const out = [];
for (const q of job.queries) {
  const hits = await s.search(q, { limit: 5 });
  out.push({ urls: hits.map((h) => h.url), fetched: [...log] });
}
process.stdout.write(JSON.stringify(out));
"""


def test_the_tokenizer_pack_waits_for_a_question_that_needs_it(ids_index):
    """With the table and vocab/, plain questions fetch no tokenizer pack (the model's manifest and rows index
    start with the page, the question's ids come from ids/, a word the table lacks from vocab/); a question they
    cannot answer (non-ASCII) fetches it, once, and embeds with it; the lists are `edgembed search`'s."""
    from exporter.search.query import SiteIndex

    ix, _ = ids_index
    queries = ["what is the drag of a swept wing at mach 2?", "heat transfer in laminar boundary layers",
               "unsweptness of flutterable wings", "naïve flutter"]
    r = subprocess.run(["node", "--input-type=module", "-e", HOLD_JS], input=json.dumps({"dir": str(ix), "queries": queries}),
                       capture_output=True, text=True, cwd=WEB, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout)
    pack = "model/tokenizer.bin"
    assert "model/manifest.json" in got[0]["fetched"] and "model/rows/index.bin" in got[0]["fetched"]
    assert pack not in got[0]["fetched"] and any(u.startswith("ids/") for u in got[0]["fetched"])
    assert pack not in got[2]["fetched"] and any(u.startswith("vocab/") for u in got[2]["fetched"])
    assert got[3]["fetched"].count(pack) == 1
    assert sum(u == "model/rows/index.bin" for u in got[3]["fetched"]) == 1  # shared by loadRows and load()
    py = SiteIndex(ix)
    for q, row in zip(queries, got, strict=True):
        assert row["urls"] == [h["url"] for h in py.search(q, 5, "hybrid")], q
