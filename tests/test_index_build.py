"""edgembed index at every size boundary of the build (embedding batches, codes shards, terms shards, one file per
page), a property test over random chunk counts, the cached default model, and no traceback on any input: an
unexpected failure is one line naming the page, the index folder stays as it was, hostile pages are warnings."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from exporter.cli import main
from tests.conftest import WEB

pytest.importorskip("selectolax")
pytest.importorskip("Stemmer")

CONSONANTS = "bcdfghjklmnpqrtvwxz"


def word(i: int) -> str:
    """A made-up word per number (consonants only: no stemmer suffix, no stop word), unique per i."""
    s = ""
    while True:
        s += CONSONANTS[i % len(CONSONANTS)]
        i //= len(CONSONANTS)
        if not i:
            return "zq" + s


@pytest.fixture(scope="session")
def small_model(distilled_dir, tmp_path_factory) -> Path:
    """The default model cut to 16 dims, int8: 231 row shards instead of 3,694, so that a build costs little."""
    from exporter.pipeline import export

    out = tmp_path_factory.mktemp("small-model") / "m"
    export(distilled_dir, out, dims=16, quant="int8", demo=False)
    return out


@pytest.fixture(scope="session")
def full_model(distilled_dir, tmp_path_factory) -> Path:
    """The default model exported as `edgembed index` exports it (int8, 256 dims: both sign-code planes)."""
    from exporter.pipeline import export
    from exporter.search.model import EXPORT

    out = tmp_path_factory.mktemp("full-model") / "m"
    export(distilled_dir, out, **EXPORT)
    return out


def md_site(root: Path, sizes: list[int]) -> list[tuple[str, str]]:
    """Markdown pages of SIZES[p] sections each; returns (word, anchor url) per chunk, in chunk order."""
    root.mkdir(parents=True)
    chunks, c = [], 0
    for p, k in enumerate(sizes):
        parts = [f"# Page {p}\n"]
        for j in range(k):
            parts.append(f"## Part {j}\n\nThe {word(c)} section talks about wings and engines number {c}.\n")
            chunks.append((word(c), f"/p{p:05d}.md#part-{j}"))
            c += 1
        (root / f"p{p:05d}.md").write_text("\n".join(parts), encoding="utf-8")
    return chunks


def records_file(path: Path, n: int) -> list[tuple[str, str]]:
    """N JSONL records (one chunk each); returns (word, url) per chunk."""
    lines = [json.dumps({"url": f"/r/{i}", "title": f"Record {i}", "text": f"The {word(i)} record about wings {i}."})
             for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [(word(i), f"/r/{i}") for i in range(n)]


def check_index(out: Path, chunks: list[tuple[str, str]], sample: int = 12, seed: int = 0) -> dict:
    """Every piece of the index agrees with CHUNKS, and Python's search reads it in all modes."""
    from exporter.search import build as B
    from exporter.search.query import SiteIndex
    from exporter.search.store import decode_terms

    meta = json.loads((out / "index.json").read_text())
    n = len(chunks)
    assert meta["chunks"] == n == sum(meta["page_chunks"]) and min(meta["page_chunks"]) >= 1
    assert meta["code_shards"] == math.ceil(n / meta["code_shard"])
    for k in range(meta["code_shards"]):
        rows = min(meta["code_shard"], n - k * meta["code_shard"])
        assert (out / "codes" / f"{k}.bin").stat().st_size == rows * meta["code_bytes"]
        b = out / "codes" / f"{k}.b.bin"
        assert (b.stat().st_size == rows * meta["code_bytes_b"]) if meta["code_bytes_b"] else not b.exists()
    assert not (out / "codes" / f"{meta['code_shards']}.bin").exists()
    assert sorted(os.listdir(out / "text")) == sorted(f"{k}.json" for k in range(len(meta["text_chunks"])))
    # bags/<k>.json: each chunk's term bag, exactly what feedback counts from its text (weak terms out, repeats counted)
    from exporter.search.analyze import Analyzer
    from exporter.search.build import term_bag

    an = Analyzer()
    assert meta["term_bags"] is True
    sizes = [n for n in meta["page_chunks"] for _ in range(n)]  # each chunk's page's size, by chunk id
    c = 0
    for k in range(len(meta["text_chunks"])):
        text = json.loads((out / "text" / f"{k}.json").read_text())["chunks"]
        read = [1 < sizes[c + j] <= meta["outline_chunks"] for j in range(len(text))]  # the bags a page can read
        c += len(text)
        assert (out / "bags" / f"{k}.json").exists() == any(read), k
        if not any(read):
            continue
        bags = json.loads((out / "bags" / f"{k}.json").read_text())
        assert len(bags) == len(text) == meta["text_chunks"][k]
        for ch, bag, r in zip(text, bags, read):
            want = [t for t in an.terms(ch["h"] + " " + ch["t"]) if t not in an.weak]
            assert bag is None if not r else (bag == term_bag(want, an.weak) and bag[0] == len(want)), (k, ch["h"])
    g = meta["vec_shard"]  # vecs/<k>.bin: chunks k x g onward, by chunk id whatever the pages
    assert meta["vec_shards"] == math.ceil(n / g) and sorted(os.listdir(out / "vecs")) == sorted(
        f"{k}.bin" for k in range(meta["vec_shards"]))
    for k in range(meta["vec_shards"]):
        assert (out / "vecs" / f"{k}.bin").stat().st_size == min(g, n - k * g) * meta["dims"]
    terms: dict[str, tuple] = {}
    bounds, last = meta["term_bounds"], None  # shards are consecutive ranges in code-point order, split at the bounds
    assert len(bounds) == meta["term_shards"] - 1 and sorted(os.listdir(out / "terms")) == sorted(
        f"{s}.bin" for s in range(meta["term_shards"]))
    for s in range(meta["term_shards"]):
        raw = (out / "terms" / f"{s}.bin").read_bytes()
        here = list(decode_terms(raw))
        assert (here or meta["terms"] == 0) and here == sorted(here) and (last is None or last < here[0]), s
        assert s == 0 or (last < bounds[s - 1] <= here[0] and here[0].startswith(bounds[s - 1])
                          and not any(last < here[0][:k] for k in range(1, len(bounds[s - 1])))), (s, bounds[s - 1])
        assert s == meta["term_shards"] - 1 or here[-1] < bounds[s]
        assert len(raw) <= B.TERM_SHARD_BYTES or len(here) == 1, (s, len(raw))  # at most the target, a longer term alone
        terms.update(decode_terms(raw))
        last = here[-1]
    assert len(terms) == meta["terms"]
    ix = SiteIndex(out)
    for w, _ in chunks:  # each made-up word is in its one chunk, in the shard the reader looks in
        assert len(ix.postings(w)[0]) == 1, w
    rng = random.Random(seed)
    for c in sorted(rng.sample(range(n), min(sample, n))):
        w, url = chunks[c]
        assert ix.postings(w)[0] == [c]
        assert ix.search(w, mode="keyword")[0]["anchor_url"] == url
        assert ix.search(f"{w} wings", mode="hybrid", limit=3)[0]["anchor_url"] == url
    assert len(ix.search("wings and engines", mode="semantic", limit=5)) == min(5, meta["pages"])
    return meta


def build(site: Path | None, out: Path, model: Path, recs: Path | None = None) -> dict:
    from exporter.search.build import build_index

    return build_index(site, out, model=str(model), records_file=recs, progress=False)


@pytest.mark.parametrize("n", [1, 255, 256, 257, 512, 513])
def test_embedding_batch_boundaries_records(n, small_model, tmp_path):
    """BATCH (256) as shipped: one chunk a page; the last batch full, one short, one over."""
    from exporter.search import build as B

    assert B.BATCH == 256
    chunks = records_file(tmp_path / "r.jsonl", n)
    build(None, tmp_path / "ix", small_model, tmp_path / "r.jsonl")
    check_index(tmp_path / "ix", chunks)


@pytest.mark.parametrize("sizes", [[4] * 64, [4] * 63 + [3], [4] * 64 + [1], [255, 1], [300], [128, 128, 256]])
def test_embedding_batch_boundaries_pages(sizes, small_model, tmp_path):
    """Pages of several chunks whose sum falls on, before and after BATCH; a page bigger than a batch."""
    chunks = md_site(tmp_path / "site", sizes)
    build(tmp_path / "site", tmp_path / "site" / "_edgembed", small_model)
    check_index(tmp_path / "site" / "_edgembed", chunks)


@pytest.mark.parametrize("n", [4096, 4097])
def test_codes_shard_boundaries(n, small_model, tmp_path):
    """CODE_SHARD (4096) as shipped; also crosses TERM_SHARD_BYTES (one terms shard at 1 chunk, several here)."""
    from exporter.search import build as B

    assert B.CODE_SHARD == 4096 and B.TERM_SHARD_BYTES == 512
    chunks = records_file(tmp_path / "r.jsonl", n)
    build(None, tmp_path / "ix", small_model, tmp_path / "r.jsonl")
    meta = check_index(tmp_path / "ix", chunks)
    assert meta["code_shards"] == (1 if n <= 4096 else 2) and meta["term_shards"] > 1


def test_terms_shard_boundary(small_model, tmp_path):
    """TERM_SHARD_BYTES as shipped, either side of one shard: the size the build cuts a shard at."""
    from exporter.search import build as B

    seen = set()
    for n in (1, 8, 12, 16, 25):
        chunks = records_file(tmp_path / f"r{n}.jsonl", n)
        build(None, tmp_path / f"ix{n}", small_model, tmp_path / f"r{n}.jsonl")
        meta = check_index(tmp_path / f"ix{n}", chunks)
        seen.add(meta["term_shards"])
    assert seen >= {1, 2}, f"term shard counts {seen}: the sizes no longer straddle TERM_SHARD_BYTES={B.TERM_SHARD_BYTES}"


def test_property_random_chunk_counts(small_model, tmp_path, monkeypatch):
    """Random chunk counts in 1..2000, random page sizes, random batch / shard sizes (small, so that boundaries come
    often): every index is whole and searchable. EDGEMBED_FUZZ_SEED replays a run; EDGEMBED_INDEX_TRIALS sets how
    many counts in 1..2000 it tries (default 3, plus 12 in 1..60)."""
    from exporter.search import build as B

    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"index property seed {seed}")
    rng = random.Random(seed)
    big = int(os.environ.get("EDGEMBED_INDEX_TRIALS", 3))  # each big one writes up to 4,000 files: slow disks
    trials = [rng.randint(1, 2000) for _ in range(big)] + [rng.randint(1, 60) for _ in range(12)]
    for t, n in enumerate(trials):
        batch = rng.choice([1, 2, 3, 7, 16, 64, 256])
        monkeypatch.setattr(B, "BATCH", batch)
        monkeypatch.setattr(B, "CODE_SHARD", rng.choice([1, 2, 5, 64, 4096]))
        monkeypatch.setattr(B, "TERM_SHARD_BYTES", rng.choice([16, 100, 4096]))
        monkeypatch.setattr(B, "VEC_SHARD", rng.choice([1, 1, 2, 3, 64]))
        if n <= 60 or rng.random() < 0.5:
            sizes, left = [], n
            while left:
                sizes.append(min(left, rng.choice([1, 1, 2, 3, batch, batch + 1, max(1, batch - 1)])))
                left -= sizes[-1]
            chunks = md_site(tmp_path / f"s{t}", sizes)
            build(tmp_path / f"s{t}", tmp_path / f"ix{t}", small_model)
        else:
            chunks = records_file(tmp_path / f"r{t}.jsonl", n)
            build(None, tmp_path / f"ix{t}", small_model, tmp_path / f"r{t}.jsonl")
        check_index(tmp_path / f"ix{t}", chunks, sample=4, seed=t)
        shutil.rmtree(tmp_path / f"ix{t}")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_boundary_index_in_node_equals_python(full_model, tmp_path, monkeypatch):
    """A 256-dims index whose chunks fill the last batch, codes shard and a terms shard boundary, read by the JS
    runtime (search.mjs over the shipped model files) as by Python."""
    from exporter.search import build as B
    from exporter.search.query import SiteIndex

    monkeypatch.setattr(B, "BATCH", 16)
    monkeypatch.setattr(B, "CODE_SHARD", 32)
    chunks = md_site(tmp_path / "site", [4] * 16)  # 64 chunks: the last batch and the last codes shard full
    build(tmp_path / "site", tmp_path / "site" / "_edgembed", full_model)
    out = tmp_path / "site" / "_edgembed"
    meta = check_index(out, chunks)
    assert meta["code_shards"] == 2 and meta["code_bytes_b"] > 0
    queries = [chunks[0][0], chunks[-1][0], "wings engines", "what do the sections say about engines", "nothing"]
    (tmp_path / "q.json").write_text(json.dumps(queries))
    ix = SiteIndex(out)
    for mode in ("keyword", "hybrid", "semantic"):
        r = subprocess.run(["node", str(WEB / "scripts" / "search_node.mjs"), str(out), str(tmp_path / "q.json"), mode,
                            "10"], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
        js = [json.loads(ln) for ln in r.stdout.strip().split("\n")]
        for q, got in zip(queries, js, strict=True):
            py = ix.search(q, 10, mode)
            assert [h["anchor_url"] for h in got] == [h["anchor_url"] for h in py], (mode, q)
            assert np.allclose([h["score"] for h in got], [h["score"] for h in py], atol=1e-6), (mode, q)


def listing(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def one_error(capsys, argv: list) -> str:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("edgembed: error: ")]
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_unexpected_failure_is_one_line_and_the_index_stays(small_model, tmp_path, capsys, monkeypatch):
    """A failure in the middle (the 3rd batch's codes) or in the model stage: one line naming what was being
    processed, exit 2, the previous index byte for byte as it was, no temporary folder left."""
    from exporter.search import build as B
    from exporter.search import model as M

    site = tmp_path / "site"
    md_site(site, [1] * 40)
    assert main(["index", str(site), "--model", str(small_model), "--quiet"]) == 0
    before = listing(site / "_edgembed")
    capsys.readouterr()
    monkeypatch.setattr(B, "BATCH", 4)
    calls = []
    real = B.pack_codes

    def failing(vecs):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("boom in the middle")
        return real(vecs)

    monkeypatch.setattr(B, "pack_codes", failing)
    line = one_error(capsys, ["index", site, "--model", small_model, "--quiet"])
    assert line == "edgembed: error: failed on p00011.md: ValueError: boom in the middle"  # the page that filled batch 3
    assert listing(site / "_edgembed") == before
    assert not [p.name for p in site.iterdir() if p.name.startswith(".")]
    monkeypatch.setattr(B, "pack_codes", real)

    def no_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(M, "ship", no_disk)
    line = one_error(capsys, ["index", site, "--model", small_model, "--quiet"])
    assert line == "edgembed: error: failed on the index's model: OSError: [Errno 28] No space left on device"
    assert listing(site / "_edgembed") == before and not [p for p in site.iterdir() if p.name.startswith(".")]


def test_a_page_that_breaks_the_reader_is_skipped(small_model, tmp_path, capfd, monkeypatch):
    """An unexpected error while reading one page (a parser bug) skips that page with a warning, not the site."""
    from exporter.search import build as B

    site = tmp_path / "site"
    chunks = md_site(site, [2, 1, 3])
    real = B.pages_of_file

    def flaky(path, *a):
        if path.name == "p00001.md":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, *a)

    monkeypatch.setattr(B, "pages_of_file", flaky)
    build(site, site / "_edgembed", small_model)
    err = capfd.readouterr().err
    assert "edgembed: warning: skipped" in err and "p00001.md: RecursionError: maximum recursion depth exceeded" in err
    check_index(site / "_edgembed", chunks[:2] + chunks[3:])


def hostile_pages(rng: random.Random) -> dict[str, bytes]:
    """Pages no generator should write, and random tag soup."""
    pages = {
        "broken.html": b"<html><body><p>unclosed <div><h2 id=x>tags <i>everywhere<p>heat transfer <table><td>layers",
        "notitle.html": b"<p>a page with no title and no main, only words about gliders</p>",
        # 10 MB less a little on one line (markup: 2 M words would cost a minute of analysis), and 1 MB of words
        "oneline.html": b"<main><p>lift on one line</p>" + b'<i class="x"></i>' * 580_000 + b"</main>",
        "longtext.html": b"<main><p>" + b"lift " * 200_000 + b"</p></main>",
        "over.html": b"<p>" + b"x" * (10 * 1024 * 1024) + b"</p>",  # just over the size limit
        "binary.html": bytes(rng.randrange(256) for _ in range(4096)),
        "nul_late.html": b"<main><p>" + b"drag " * 2000 + b"\x00\x00 after the nul</p></main>",
        "nul_title.html": b"<title>a\x00b</title><main><p>nul in the title" + b" pad" * 3000 + b"</p></main>",
        "latin1.html": "<p>caf\xe9 na\xefve</p>".encode("latin-1"),
        "utf16.html": "\ufeff<p>utf sixteen page</p>".encode("utf-16-le"),
        "shiftjis.html": "<p>日本語のページ</p>".encode("shift_jis"),
        "overlong.html": b"<p>bad \xc0\xaf bytes</p>",
        "bom.html": "\ufeff<title>Bom</title><p>a page that starts with a byte order mark</p>".encode("utf-8"),
        "deep.html": b"<main>" + b"<div>" * 10_000 + b"deeply nested words" + b"</div>" * 10_000 + b"</main>",
        "deep_unclosed.html": b"<body>" + b"<span><b><i>" * 50_000 + b"unclosed nesting words",
        "hugeattr.html": b'<main><p title="' + b"a" * 5_000_000 + b'">text beside a huge attribute</p></main>',
        "entities.html": b"<p>&#0; &#xD800; &#1114112; &nbsp;&amp;&lt;script&gt; &bogus; text with entities</p>",
        "controls.html": b"<p>\x01\x02\x1b[31m control \x7f characters \xe2\x80\xae rtl override</p>",
        "empty.html": b"",
        "spaces.html": b"   \n\t  ",
        "script_only.html": b"<script>var words = 'not text';</script><style>p{}</style>",
        "lt.html": b"<" * 20_000,
        "ids.html": b'<main><h2 id="">empty id</h2><p>one</p><h2 id="a b\'c&quot;">odd id</h2><p>two</p>'
                    b"<h2 id=x>" + b"h" * 100_000 + b"</h2><p>three</p></main>",
        "weird.md": b"#\n##\n###### ####\n# \n\x00text",
        "only_headings.md": b"# T\n## a\n## b\n### c\n",
        "svg.html": b"<svg><text>svg words</text><foreignObject><p>inside svg</p></foreignObject></svg>",
        "frames.html": b"<frameset><frame src=x.html></frameset><noframes><p>no frames words</p></noframes>",
        "template.html": b"<main><template><p>template words</p></template><p>outside template</p></main>",
    }
    frags = ["<p>", "</p>", "<h2 id=s>", "</h2>", "<main>", "</main>", "<div", ">", "<!--", "-->", "<![CDATA[", "]]>",
             "<script>", "</script>", "&amp;", "&#x1F600;", "wing", "é", "\u200b", "日本", "\"", "'", "=", "<title>",
             "</title>", "<h1>", "<article>", " ", "\n", "<br/>", "<table><tr><td>", "\ufffd", "<math>", "<p id=\"",
             "data-edgembed-ignore", "<nav>", "<body>", "</html>", "<?xml?>", "<!DOCTYPE html>"]
    for i in range(20):
        soup = "".join(rng.choice(frags) for _ in range(rng.randint(0, 400)))
        pages[f"fuzz/{i}.html"] = soup.encode("utf-8")
    return pages


def test_hostile_pages_are_warnings_or_pages(small_model, tmp_path, capfd):
    """Each hostile page is a warning naming it or a page of a valid index: never a traceback, never a half index."""
    from exporter.search.query import SiteIndex

    seed = int(os.environ.get("EDGEMBED_FUZZ_SEED", random.randrange(1 << 30)))
    print(f"hostile pages seed {seed}")
    site = tmp_path / "site"
    pages = hostile_pages(random.Random(seed))
    pages["good.html"] = b"<title>Good</title><main><h2 id=w>Wings</h2><p>swept wings delay drag</p></main>"
    for rel, data in pages.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(data)
    code = main(["index", str(site), "--model", str(small_model), "--quiet"])
    err = capfd.readouterr().err
    assert code == 0 and "Traceback" not in err, err[-3000:]
    out = site / "_edgembed"
    meta = json.loads((out / "index.json").read_text())
    urls = {SiteIndex(out).page(p)["url"] for p in range(meta["pages"])}
    from exporter.search.extract import url_of

    for rel in pages:
        assert url_of(rel) in urls or f"skipped {site / rel}:" in err, rel
    for rel in ("binary.html", "latin1.html", "utf16.html", "shiftjis.html", "overlong.html", "over.html", "empty.html"):
        assert f"skipped {site / rel}:" in err, rel
    for rel in ("good.html", "oneline.html", "longtext.html", "deep.html", "hugeattr.html", "nul_late.html", "broken.html", "bom.html"):
        assert url_of(rel) in urls, rel
    assert meta["chunks"] == sum(meta["page_chunks"]) and len(os.listdir(out / "vecs")) == meta["vec_shards"]
    ix = SiteIndex(out)
    assert ix.search("swept wings drag", mode="keyword")[0]["url"] == "/good.html"
    for mode in ("hybrid", "semantic"):
        assert ix.search("words about lift and drag", mode=mode)


def test_default_model_export_is_cached(full_model, tmp_path, monkeypatch, capfd):
    """The default model is exported once into the cache; later builds reuse it (no export); a damaged cache (a
    listed file, or a row shard's bytes) is exported again; the shipped files embed exactly as the full export."""
    import exporter.pipeline
    from exporter.runtimes.backends import load
    from exporter.search import model as M

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    exports = []

    def counted(model, out, **kw):  # the export itself is tested elsewhere: hand over a copy of one made here
        assert model is None and kw == M.EXPORT
        exports.append(out)
        shutil.copytree(full_model, out, copy_function=os.link)  # links: the cache's files are never written to

    monkeypatch.setattr(exporter.pipeline, "export", counted)
    site = tmp_path / "site"
    chunks = md_site(site, [2, 3, 1, 1, 2, 1, 1, 1, 2, 1])
    cached = tmp_path / "cache" / "edgembed" / M.CACHE / M.cache_key()

    def index() -> dict[str, bytes]:
        assert main(["index", str(site), "--quiet"]) == 0, capfd.readouterr().err
        check_index(site / "_edgembed", chunks, sample=3)
        return listing(site / "_edgembed" / "model")

    first = index()
    assert len(exports) == 1 and M.intact(cached) and listing(cached) == first
    assert index() == first and len(exports) == 1  # reused: no export
    (cached / "tokenizer.bin").unlink()  # a new file: its old bytes are linked from the fixture's export
    (cached / "tokenizer.bin").write_bytes(b"damaged")
    assert index() == first and len(exports) == 2 and M.intact(cached)
    shard = cached / "rows" / "0100.bin"
    size = shard.stat().st_size
    shard.unlink()
    shard.write_bytes(bytes(size))  # same size, wrong bytes: found when the rows are read
    assert M.intact(cached)
    assert index() == first and len(exports) == 3
    assert not [p for p in cached.parent.iterdir() if p.name.startswith(".")]  # no half-written cache left
    texts = [t for t, _ in chunks] + ["naïve café 日本語 wings", "x" * 3000, ""]
    shipped, whole = M.load_model(site / "_edgembed" / "model"), load(full_model, backend="flat")
    assert np.array_equal(shipped.encode(texts), whole.encode(texts))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # no cache to write: export for this run only
    assert index() == first and len(exports) == 4


def test_parity_passes_on_an_index_model(tmp_path, capsys):
    """An index's model/ ships no tokenizer.json, no model.edgembed, no ONNX: parity reads the pack and the row
    shards, passes flat and torch, and skips (with the reason) what is not there."""
    from exporter.cli import main

    recs = tmp_path / "r.jsonl"
    recs.write_text('{"url": "/a", "title": "A", "text": "wind tunnel flow over a wing"}\n'
                    '{"url": "/b", "title": "B", "text": "library catalog indexing"}\n', encoding="utf-8")
    assert main(["index", "--records", str(recs), "--out", str(tmp_path / "idx"), "--quiet"]) == 0
    capsys.readouterr()
    from exporter.formats.rows import read_index

    rows = read_index((tmp_path / "idx" / "model" / "rows" / "index.bin").read_bytes())
    assert rows["shard_rows"] == 4, "an index's model has ~1 kB row shards (exporter/search/model.py EXPORT)"
    assert main(["parity", str(tmp_path / "idx" / "model"), "--backends", "flat,torch-cpu,onnx-cpu"]) == 0
    out = capsys.readouterr().out
    assert "| flat | edgembed's flat runtime in Python" in out and "| torch-cpu | PyTorch" in out
    assert "| onnx-cpu |  | skipped |" in out and "no ONNX model" in out


def test_teacher_benchmark_embeds_what_the_index_embeds(small_model, tmp_path):
    """benchmarks/bench_teacher.py gives the teacher each chunk's text as the build embeds it: the index's own model
    re-encoding chunk_texts() gives back the stored int8 vectors, chunk for chunk (Sphinx output: titles, sections),
    and those are build.embed_text's (title and heading twice), not the plain chunk_text --adapt's teacher reads."""
    import importlib.util

    from exporter.search.build import chunk_text
    from exporter.search.model import load_model
    from exporter.search.query import SiteIndex
    from exporter.search.store import quantize_int8

    spec = importlib.util.spec_from_file_location("bench_teacher", WEB.parent / "benchmarks" / "bench_teacher.py")
    bench_teacher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_teacher)
    site = tmp_path / "site"
    shutil.copytree(WEB.parent / "tests" / "data" / "gen" / "sphinx", site)
    meta = build(site, tmp_path / "ix", small_model)
    ix = SiteIndex(tmp_path / "ix")
    texts = bench_teacher.chunk_texts(ix)
    assert len(texts) == meta["chunks"] > meta["pages"] > 1  # sections: more chunks than pages
    d = meta["dims"]
    stored = np.concatenate([ix.vectors(k).reshape(-1, d) for k in range(meta["vec_shards"])])
    model = load_model(tmp_path / "ix" / "model")
    assert np.array_equal(quantize_int8(model.encode(texts)), stored)
    assert not np.array_equal(quantize_int8(model.encode(texts[1:] + texts[:1])), stored)
    # the field weight is in the vectors: title and heading twice, not the plain text --adapt's teacher reads
    plain = bench_teacher.chunk_texts(ix, chunk_text)
    assert texts != plain and not np.array_equal(quantize_int8(model.encode(plain)), stored)
