"""``edgembed index``: read a built site page by page and write the static search index (docs/search.md).

Memory: pages are read, embedded and written one batch at a time; what stays in memory is per chunk (its term
counts as two int arrays, its sign code, its length) and the term dictionary, not the pages' text."""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import time
from array import array
from collections import Counter
from pathlib import Path
from typing import Iterator

import numpy as np

from exporter.errors import EdgembedError
from exporter.fsutil import atomic_dir, check_out_dir
from exporter.search.analyze import CONNECTORS, Analyzer, analyzer_tokenizer_json
from exporter.search.extract import Page, pages_of_file, records, site_files, site_pass, warn
from exporter.search.model import pre_tokens, prepare, word_ids_meta, word_ids_tokenizer
from exporter.search.store import (FORMAT, TERMS_MAGIC, TYPO_MAGIC, VERSION, encode_term, encode_typo, pack_codes,
                                   quantize_int8, range_shards, shard_of, typo_key, word_id_shards, write_shards)
from exporter.search.vocab import write_vocab

K1, B = 1.2, 0.75
TITLE_WEIGHT = 1.0  # BM25F: a term in the page title counts this many times (docs/search.md)
HEADING_WEIGHT = 1.0  # ... in the chunk's heading (4 helped on no set significantly: docs/search.md)
PAGE_ALPHA = 0.0  # page score = best chunk + alpha x the sum of its other listed chunks (docs/search.md)
TYPO_SHARD_BYTES = 1024  # target size of a typo side-table shard (a misspelt word reads 3 to 5 of them)
IDENTIFIER_WEIGHT = 0.5  # an identifier's whole term counts this much in a query (chosen on cranfield: docs/search.md)
CHANGELOG_WEIGHT = 0.5  # keyword scores of a changelog page's chunks x this (is_changelog; chosen on dev sites)
FUSION_WEIGHT = 1.0  # hybrid = bm25 / max bm25 + weight * cosine (tuned on cranfield and cisi, docs/search.md)
ADAPTED_FUSION_WEIGHT = 2.0  # ... in an --adapt index (leave-one-set-out over cranfield, cisi, 6 sites: docs/search.md)
FEEDBACK_DOCS = 10  # hybrid keyword feedback (RM3-like, query.py): terms from the first pass's best 10 chunks ...
FEEDBACK_TERMS = 3  # ... the 3 of most weight ...
FEEDBACK_WEIGHT = 0.5  # ... added at half the best keyword score (chosen leave-one-set-out: docs/search.md) ...
FEEDBACK_MIN_TERMS = 3  # ... for queries of at least 3 words holding a non-weak term (grid 2..8, leave-one-set-out),
FEEDBACK_GATE = "words"  # ... words, not distinct terms: an identifier counts once (equal ranking, fewer bytes);
# an --adapt index does not feed back (it lowered adapted cisi by 0.023 NDCG@10: docs/search.md)
RERANK = 20  # hybrid: chunks re-scored with their int8 vectors after the sign-code pass
RERANK_SEMANTIC = 100  # semantic: the best sign-code chunks re-scored ...
RERANK_SEMANTIC_KEYWORD = 20  # ... with the best keyword matches added to them (recall; the ranking stays cosine)
TERM_SHARD_BYTES = 512  # target size of a terms shard: a query reads one a term (chosen by bytes a query: docs/search.md)
OUTLINE_CHUNKS = 64  # a page split across text shards carries its outline in each when it has at most this many chunks
COMMON_WORDS = 256  # the site's most frequent words, with their ids, in index.json's word_ids.common (~2 kB gzipped)
IDS_SHARD_BYTES = 1024  # target size of a word ids shard (ids/<k>.bin): a pasted question reads one a word or fewer
TEXT_SHARD_BYTES = 2048  # target size (UTF-8 JSON) of a text shard: the excerpt of a shown hit costs about this much
VEC_SHARD = 1  # chunks a vecs shard: a re-scored candidate reads only its own vector (docs/search.md)
CODE_SHARD = 4096  # chunks a codes shard
CODE_DIMS_A = 128  # sign bits of the first 128 dims rank hybrid candidates; semantic mode adds the other dims
BATCH = 256  # chunks embedded at a time
ADAPTED = "adapted"  # OUT/adapted/: the model --adapt fitted (search/adapt.py)
JS_FILES = ("search.mjs", "search_ids.mjs", "search_store.mjs", "search_text.mjs", "search_stem.mjs", "search_ui.mjs")


CHANGELOG_TITLE = re.compile(r"^\W*(change ?logs?|changes|release notes|release history|history|news|what'?s new|"
                             r"upgrad(e|ing))\b", re.IGNORECASE)  # the title starts with one
AMBIGUOUS_TITLE = re.compile(r"^\W*(history|news)\b", re.IGNORECASE)  # a project's story, or its releases
VERSION_IN = re.compile(r"(^|[^\w.])v?\d+\.\d+")  # "pytest 2.0.0 (2010-11-20)", "v0.35"
VERSION_HEAD = re.compile(r"^\W*(v(ersion)?\s*)?\d+\.\d+")  # "2.28.1 (2022-06-29)", "v0.35.0", "Version 3.1"


def chunk_text(title: str, heading: str, text: str) -> str:
    """A chunk's text after its page's title and its heading: what --adapt's teacher reads."""
    return " ".join(x for x in (title, heading, text) if x)


def embed_text(title: str, heading: str, text: str) -> str:
    """What a chunk's vector embeds: the title and heading count twice in the mean of its token rows (a field weight
    for the dense half, as BM25F's for the keyword half; chosen on the development sites: docs/search.md)."""
    return " ".join(x for x in (title, heading, title, heading, text) if x)


def is_changelog(title: str, headings: list[str]) -> bool:
    """A changelog, release-notes or upgrade-guide page: by its title (a title of "History" or "News" alone only with
    a version number in a heading: pytest's "History" is about the project), or by its sections (at least 3 headed
    ones, half of them or more headed by a version number)."""
    headed = [h for h in headings if h]
    if CHANGELOG_TITLE.search(title):
        return not AMBIGUOUS_TITLE.search(title) or any(VERSION_IN.search(h) for h in headed)
    return len(headed) >= 3 and 2 * sum(bool(VERSION_HEAD.match(h)) for h in headed) >= len(headed)


def _js_into(dest: Path) -> None:
    from exporter.targets.assets import WEB
    from exporter.targets.web import runtime_files

    dest.mkdir()
    for f in runtime_files(WEB):
        shutil.copyfile(WEB / "runtime" / f, dest / f)
    for f in JS_FILES:
        if not (dest / f).is_file():
            raise EdgembedError(f"the JS runtime has no {f}: reinstall edgembed")


class _Where:
    """What the build is working on, for the one-line error of an unexpected failure."""

    def __init__(self) -> None:
        self.item = "the index's model"


def _pages(site: Path | None, out: Path, selector: str | None, recs: Path | None,
           where: _Where, include_generated: bool = False) -> tuple[int, Iterator[Page], str]:
    """The pages to index; a file whose reading fails unexpectedly is a warning and is skipped (no bad page stops
    the site's index). Reading errors that name the problem (EdgembedError: a bad --selector, --records) stop it.
    Returns the number of files, the pages (streamed) and the site name (site.py: a first pass reads every page)."""
    files = site_files(site, exclude=out) if site is not None else []
    where.item = f"the first pass over {site}"  # titles, generated and listing pages (site.py)
    info = site_pass(files, site, selector, include_generated) if site is not None else None

    def gen() -> Iterator[Page]:
        for f in files:
            where.item = f.relative_to(site).as_posix() if site is not None else str(f)
            try:
                got = list(pages_of_file(f, site, selector, info))
            except EdgembedError:
                raise
            except Exception as e:  # a parser bug on a hostile page: skip the page, not the site
                warn(f"skipped {f}: {_one_line(e)}")
                continue
            yield from got
        if recs is not None:
            where.item = str(recs)
            yield from records(recs)

    return len(files), gen(), info.site_name if info is not None else ""


def _one_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return f"{type(e).__name__}: {lines[0][:300]}" if lines else type(e).__name__


class _Postings:
    """Per-chunk weighted term counts (BM25F: title and heading terms count more), appended as the pages stream by."""

    def __init__(self, title_weight: float | None = None, heading_weight: float | None = None) -> None:
        self.vocab: dict[str, int] = {}
        self.weights = (TITLE_WEIGHT if title_weight is None else title_weight,
                        HEADING_WEIGHT if heading_weight is None else heading_weight, 1.0)
        self.term = array("i")
        self.chunk = array("i")
        self.tf = array("d")
        self.length = array("i")
        self.boost = array("d")

    def add(self, title: list[str], heading: list[str], body: list[str], weight: float = 1.0) -> None:
        """One chunk: the terms of its page title, its heading and its text; WEIGHT multiplies its scores."""
        c = len(self.length)
        counts: dict[int, float] = {}
        for terms, w in zip((title, heading, body), self.weights):
            for t in terms:
                i = self.vocab.setdefault(t, len(self.vocab))
                counts[i] = counts.get(i, 0.0) + w
        for i, n in counts.items():
            self.term.append(i)
            self.chunk.append(c)
            self.tf.append(n)
        self.length.append(sum(1 for terms in (title, heading, body) for t in terms if not _joined(t)))
        self.boost.append(weight)


@functools.lru_cache(maxsize=1 << 16)
def _joined(term: str) -> bool:
    """An identifier's whole term (analyze.py): an extra term, not counted in the chunk's length."""
    return any(ch in CONNECTORS for ch in term)


def _bm25(p: _Postings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Float BM25F scores of every posting, sorted by (term, chunk): term, chunk, score, df."""
    term = np.frombuffer(p.term, dtype=np.int32)
    chunk = np.frombuffer(p.chunk, dtype=np.int32)
    tf = np.frombuffer(p.tf, dtype=np.float64)
    dl = np.frombuffer(p.length, dtype=np.int32).astype(np.float64)
    boost = np.frombuffer(p.boost, dtype=np.float64)
    n = len(dl)
    df = np.bincount(term, minlength=len(p.vocab)).astype(np.float64)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    avg = max(dl.mean(), 1e-9)
    s = boost[chunk] * idf[term] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl[chunk] / avg))
    order = np.lexsort((chunk, term))
    return term[order], chunk[order], s[order], df.astype(np.int64)


def _impacts(p: _Postings) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Postings sorted by (term, chunk) with BM25F impacts quantized per term: impact = rint(score / term's max x 255)
    in 1..255, the term's max kept as float32; returns term, chunk, impact, df, each term's max (float32)."""
    term, chunk, s, df = _bm25(p)
    tmax = np.zeros(len(df), dtype=np.float64)
    np.maximum.at(tmax, term, s)
    tmax32 = tmax.astype(np.float32)
    top = tmax32.astype(np.float64)[term]
    top[top <= 0] = 1.0
    imp = np.clip(np.rint(s / top * 255.0), 1, 255).astype(np.uint8)
    return term, chunk, imp, df, tmax32


def _write_terms(root: Path, p: _Postings) -> tuple[list[str], int, int]:
    """terms/ and the typo side table typo/; returns the terms shards' bounds, the typo shard count and the number of
    terms."""
    term, chunk, imp, df, tmax = _impacts(p)
    names = [""] * len(p.vocab)
    for t, i in p.vocab.items():
        names[i] = t
    # terms in code-point order, cut into consecutive shards of at most TERM_SHARD_BYTES (a term longer alone):
    # the shard of every term with a given prefix is known from term_bounds, before the word is finished
    at = np.concatenate([[0], np.cumsum(df)])

    def encoded():
        for i in sorted(range(len(names)), key=names.__getitem__):
            piece = bytearray()
            encode_term(names[i], chunk[at[i]:at[i + 1]], imp[at[i]:at[i + 1]], float(tmax[i]), piece)
            yield names[i], piece
    bufs, term_bounds = range_shards(encoded(), TERMS_MAGIC, TERM_SHARD_BYTES)
    write_shards(root / "terms", bufs)
    # typo side table: the single-word terms of 3+ code points, by (first code point, length), for the fuzzy lookup
    typo = [i for i, t in enumerate(names) if len(t) >= 3 and not _joined(t)]
    est = sum(len(names[i].encode("utf-8")) + 3 for i in typo)
    tshards = 1
    while tshards * TYPO_SHARD_BYTES < est:
        tshards *= 2
    tbufs = [bytearray(TYPO_MAGIC) for _ in range(tshards)]
    for i in sorted(typo, key=lambda i: names[i]):
        encode_typo(names[i], int(df[i]), tbufs[shard_of(typo_key(names[i], len(names[i])), tshards)])
    write_shards(root / "typo", [bytes(b) for b in tbufs])
    return term_bounds, tshards, len(names)


PRINTABLE = re.compile(r"[\x21-\x7e]+")  # a pre-token holds no whitespace


def _write_ids(root: Path, tok, words: Counter[str]) -> dict:
    """ids/: the printable-ASCII WORDS (pre-tokens) and the vocabulary's whole words with their ids by TOK, in
    code-point order, cut into shards of about IDS_SHARD_BYTES; returns index.json's word_ids ({shards, bounds, words,
    max_ids, added})."""
    from exporter.sources.tokenizer import encode_ids

    # and the vocabulary's whole words (a question's word the site lacks is most often one of them): each alone one
    # pre-token; their ids are the tokenizer's like the others' (a whole word in a WordPiece vocabulary is one id)
    vocab = (t for t in tok.get_vocab() if not t.startswith("##") and PRINTABLE.fullmatch(t))
    names = sorted({w for w in words if PRINTABLE.fullmatch(w)} | {t for t in vocab if pre_tokens(tok, t) == [t]})
    bufs, bounds = word_id_shards(zip(names, encode_ids(tok, names), strict=True), IDS_SHARD_BYTES)
    write_shards(root / "ids", bufs)
    # the site's most frequent words ("the", "what", "of", punctuation ...) go in index.json as well: a question is
    # mostly made of them, and each would cost a request of its own (a round trip on HTTP/1.1's six connections)
    top = sorted((w for w in words if PRINTABLE.fullmatch(w)), key=lambda w: (-words[w], w))[:COMMON_WORDS]
    common = dict(zip(top, encode_ids(tok, top), strict=True))
    vocab_meta = write_vocab(root, tok)  # a question's word in neither: tokenized from vocab/ (vocab.py)
    return {"shards": len(bufs), "bounds": bounds, "words": len(names), "common": common, **word_ids_meta(tok),
            **({"vocab": vocab_meta} if vocab_meta else {})}


def _under(site: Path | None, out: Path) -> Path:
    """OUT (a real path) spelled from SITE as given, when it lies inside the site: the walk leaves it out."""
    if site is None:
        return out
    try:
        return site / out.relative_to(os.path.realpath(site))
    except ValueError:
        return out


def build_index(site: str | Path | None, out: str | Path, model: str | None = None, selector: str | None = None,
                records_file: str | Path | None = None, progress: bool = True, force: bool = False,
                include_generated: bool = False, adapt: dict | None = None) -> dict:
    """Index SITE (a folder of built pages) and/or RECORDS_FILE (JSONL {url, title, text}) into OUT; returns index.json.

    OUT must be new, empty or an earlier index (FORCE: or another folder), never the site or a folder holding it.
    INCLUDE_GENERATED keeps the pages extract.py leaves out as not content (404, search, listing pages ...).
    ADAPT ({"teacher", "device"}: ``--adapt``): MODEL fitted to the pages' text first (search/adapt.py), the pages
    read once for both; the fitted model kept in OUT/adapted/ (the source ``edgembed parity`` reads, the next fit's
    start)."""
    from exporter.pipeline import model_path

    if adapt is not None:
        from exporter.search.teacher import need_torch

        need_torch()

    t0 = time.perf_counter()
    site_p = Path(site) if site is not None else None
    if site_p is not None and not site_p.is_dir():
        raise EdgembedError(f"{site_p} is not a folder (expected the built site, e.g. public/ or _site/)")
    recs = Path(records_file) if records_file is not None else None
    if recs is not None and not recs.is_file():
        raise EdgembedError(f"--records {recs} is not a file")
    out_p = check_out_dir(out, "index", force=force, holders={"the site folder": site_p},
                          inputs={"the --model": model_path(model), "the --records file": recs})
    if selector is not None:
        from exporter.search.extract import check_selector

        check_selector(selector)
    where = _Where()
    try:
        with atomic_dir(out_p) as tmp:
            index = _build(tmp, site_p, out_p, model, selector, recs, progress, where, include_generated, adapt)
    except EdgembedError:
        raise
    except Exception as e:  # never a traceback: one line naming what was being processed; OUT is untouched
        raise EdgembedError(f"failed on {where.item}: {_one_line(e)}") from e
    index["seconds"] = time.perf_counter() - t0
    return index


def _build(tmp: Path, site_p: Path | None, out_p: Path, model: str | None, selector: str | None, recs: Path | None,
           progress: bool, where: _Where, include_generated: bool = False, adapt: dict | None = None) -> dict:
    """Write the index into TMP (build_index's atomic folder); returns index.json."""
    analyzer = Analyzer()
    n_files, pages, site_name = _pages(site_p, _under(site_p, out_p), selector, recs, where, include_generated)
    if adapt is not None:
        pages = _adapted(pages, tmp, out_p, model, adapt, progress, where)
        model = str(tmp / ADAPTED)
    where.item = "the index's model"  # the first pass over the site has set it (the pages stream from here)
    embedder = prepare(model, tmp / "model")
    if adapt is not None:
        _record_source(tmp / "model" / "manifest.json", out_p / ADAPTED)
    _js_into(tmp / "js")
    ids_tok = word_ids_tokenizer(embedder.tokenizer)  # None: the model's tokenizer is not BERT-like, no ids/ table
    words: Counter[str] = Counter()  # the site's pre-tokens, with how often each occurs
    add_words = (lambda text: words.update(pre_tokens(ids_tok, text))) if ids_tok is not None else (lambda text: None)
    from exporter.formats.chartable import chartable_for

    table = chartable_for(analyzer_tokenizer_json())
    model_table = tmp / "model" / "chartable.bin"
    if model_table.is_file() and model_table.read_bytes() == table:
        analyzer_file = "model/chartable.bin"  # BERT-uncased models: the page fetches the table once
    else:
        analyzer_file = "analyzer.bin"
        (tmp / analyzer_file).write_bytes(table)
    text_out = _TextShards(tmp / "text", tmp / "bags" if adapt is None else None)  # bags: for feedback only
    vec_out = _VecShards(tmp / "vecs")
    post, codes, page_chunks = _Postings(), [], []
    title_terms: tuple[str, list[str]] = ("", [])
    batch: list[tuple[Page, list[str]]] = []

    dims = int(json.loads((tmp / "model" / "manifest.json").read_text())["dims"])

    def flush() -> None:
        if not batch:  # the last page filled the previous batch exactly: nothing left to write
            return
        texts = [t for _, ts, _ in batch for t in ts]
        vecs = embedder.encode(texts) if texts else np.zeros((0, dims), np.float32)
        codes.append(pack_codes(vecs))
        q8 = quantize_int8(vecs)
        at = 0
        for page, ts, bags in batch:
            p = len(page_chunks)
            text_out.add_page(p, page.url, page.title, [
                {"h": c.heading, "a": c.anchor, "t": c.text, **({"w": c.weight} if c.weight != 1 else {})} for c in page.chunks],
                bags)
            at += len(page.chunks)
            page_chunks.append(len(page.chunks))
        vec_out.add(q8)
        batch.clear()

    bar = _bar(progress, n_files)
    pending = 0
    try:
        for page in pages:
            texts = []
            if title_terms[0] != page.title:
                title_terms = (page.title, analyzer.terms(page.title))
                add_words(page.title)
            kind = CHANGELOG_WEIGHT if is_changelog(page.title, [c.heading for c in page.chunks]) else 1.0
            bags = []
            for c in page.chunks:
                text = embed_text(page.title, c.heading, c.text)
                texts.append(text)
                add_words(c.heading)
                add_words(c.text)
                weight = float(c.weight) * kind  # data-edgembed-weight (0: out of keyword results) x page kind
                h_terms, t_terms = analyzer.terms(c.heading), analyzer.terms(c.text)
                post.add(title_terms[1], h_terms, t_terms, weight)
                # = terms(heading + " " + text); only a page of 2..OUTLINE_CHUNKS chunks has its bags read
                bags.append(term_bag(h_terms + t_terms, analyzer.weak) if 1 < len(page.chunks) <= OUTLINE_CHUNKS else None)
            batch.append((page, texts, bags))
            pending += len(texts)
            bar.update(1)
            if pending >= BATCH:
                flush()
                pending = 0
        flush()
        text_out.flush()
        vec_out.flush()
    finally:
        bar.close()
    where.item = "the index's pieces"  # the pages are written: what follows writes terms and codes
    if not page_chunks:
        place = f"under {site_p}" if site_p is not None else f"in {recs}"
        raise EdgembedError(f"no pages to index {place} (looked for .html, .htm, .md files with text)")
    term_bounds, typo_shards, n_terms = _write_terms(tmp, post)
    word_ids = _write_ids(tmp, ids_tok, words) if ids_tok is not None else None
    allcodes = np.concatenate(codes)
    (tmp / "codes").mkdir()
    n_code = math.ceil(len(allcodes) / CODE_SHARD)
    split = min(dims, CODE_DIMS_A) // 8  # plane a: the first 128 dims (hybrid); plane b: the rest (semantic)
    for k in range(n_code):
        rows = allcodes[k * CODE_SHARD:(k + 1) * CODE_SHARD]
        (tmp / "codes" / f"{k}.bin").write_bytes(np.ascontiguousarray(rows[:, :split]).tobytes())
        if split < allcodes.shape[1]:
            (tmp / "codes" / f"{k}.b.bin").write_bytes(np.ascontiguousarray(rows[:, split:]).tobytes())
    index = {
        "format": FORMAT, "version": VERSION, "model": "model/", "site_name": site_name, "analyzer": {**analyzer.spec(), "chartable": analyzer_file},
        "pages": len(page_chunks), "chunks": int(len(allcodes)), "terms": n_terms, "dims": dims,
        "code_dims_a": min(dims, 8 * split), "code_bytes": split, "code_bytes_b": int(allcodes.shape[1]) - split,
        "code_shard": CODE_SHARD, "code_shards": n_code, "vec_shard": VEC_SHARD, "vec_shards": vec_out.count,
        "term_shards": len(term_bounds) + 1, "term_bounds": term_bounds, "typo_shards": typo_shards,
        "bm25": {"k1": K1, "b": B, "title_weight": post.weights[0], "heading_weight": post.weights[1]},
        "fusion": {"weight": ADAPTED_FUSION_WEIGHT if adapt is not None else FUSION_WEIGHT, "rerank": RERANK,
                   "rerank_semantic": RERANK_SEMANTIC, "rerank_semantic_keyword": RERANK_SEMANTIC_KEYWORD,
                   "page_alpha": PAGE_ALPHA, "identifier_weight": IDENTIFIER_WEIGHT,
                   "feedback_docs": FEEDBACK_DOCS if adapt is None else 0,  # adapted: one pass (cisi worse with it)
                   "feedback_terms": FEEDBACK_TERMS, "feedback_weight": FEEDBACK_WEIGHT,
                   "feedback_min_terms": FEEDBACK_MIN_TERMS, "feedback_gate": FEEDBACK_GATE},
        "page_chunks": page_chunks, "text_chunks": text_out.counts, "outline_chunks": OUTLINE_CHUNKS,
        **({"term_bags": True} if adapt is None else {}),
        **({"word_ids": word_ids} if word_ids is not None else {}),
    }
    (tmp / "index.json").write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
    return index


class _VecShards:
    """vecs/<k>.bin: the int8 vectors of chunks k x VEC_SHARD onward, VEC_SHARD of them (the last shard may hold fewer),
    written as the batches stream by."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()
        self.count = 0
        self.rest = np.zeros((0, 0), np.int8)

    def add(self, q8: np.ndarray) -> None:
        rows = np.concatenate([self.rest, q8]) if len(self.rest) else q8
        full = len(rows) // VEC_SHARD * VEC_SHARD
        for at in range(0, full, VEC_SHARD):
            self._write(rows[at:at + VEC_SHARD])
        self.rest = rows[full:]

    def flush(self) -> None:
        if len(self.rest):
            self._write(self.rest)
            self.rest = np.zeros((0, 0), np.int8)

    def _write(self, rows: np.ndarray) -> None:
        (self.folder / f"{self.count}.bin").write_bytes(np.ascontiguousarray(rows).tobytes())
        self.count += 1


def term_bag(terms: list[str], weak: frozenset[str]) -> list:
    """A chunk's term bag (bags/<k>.json): [number of its non-weak terms, {term: count}], first appearance first.
    Written for the chunks of pages of 2 to OUTLINE_CHUNKS chunks (null for the others): the browser reads a bag
    only for a feedback chunk that is not its page's best, and never for a page too long for an outline."""
    counts: dict[str, int] = {}
    n = 0
    for t in terms:
        if t not in weak:
            counts[t] = counts.get(t, 0) + 1
            n += 1
    return [n, counts]


class _TextShards:
    """text/<k>.json: consecutive chunks' heading, anchor, text (and weight), about TEXT_SHARD_BYTES a shard, with the
    url and title of each page they belong to; written as the pages stream by. A page that fits in one shard is never
    split across two (a hit's sub-results come with it); a longer page is cut between chunks (a longer chunk is alone)
    and, when it has at most OUTLINE_CHUNKS chunks, each of its shards also carries its outline, every chunk's
    [heading, anchor], for the sub-results (a longer page's sub-results read their own chunks' shards: on a site of
    long pages, outlines repeated in every shard were most of a query's text bytes)."""

    def __init__(self, folder: Path, bags: Path | None = None) -> None:
        self.folder, self.bag_folder = folder, bags
        folder.mkdir()
        if bags is not None:
            bags.mkdir()
        self.counts: list[int] = []
        self.pages: dict[str, list[str]] = {}
        self.chunks: list[str] = []
        self.bags: list[str] = []
        self.size = 0

    def add_page(self, p: int, url: str, title: str, chunks: list[dict], bags: list[list | None] | None = None) -> None:
        """Page P's CHUNKS (and their term BAGS, written to bags/<k>.json beside text/<k>.json when kept)."""
        items = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in chunks]
        bag_items = [json.dumps(b, ensure_ascii=False, separators=(",", ":")) for b in bags] if bags else [""] * len(items)
        entry: list = [url, title]
        head = len(json.dumps(entry, ensure_ascii=False).encode("utf-8")) + len(str(p)) + 4
        sizes = [len(x.encode("utf-8")) + 1 for x in items]
        if head + sum(sizes) > TEXT_SHARD_BYTES and len(chunks) <= OUTLINE_CHUNKS:  # split, and short enough
            entry.append([[c["h"], c["a"]] for c in chunks])
            head = len(json.dumps(entry, ensure_ascii=False).encode("utf-8")) + len(str(p)) + 4
        elif head + sum(sizes) <= TEXT_SHARD_BYTES and self.chunks and self.size + head + sum(sizes) > TEXT_SHARD_BYTES:
            self.flush()  # the page fits in a shard of its own: start one rather than split it
        for item, bag, n in zip(items, bag_items, sizes, strict=True):
            if self.chunks and self.size + n + (0 if str(p) in self.pages else head) > TEXT_SHARD_BYTES:
                self.flush()
            if str(p) not in self.pages:
                self.pages[str(p)] = entry
                self.size += head
            self.chunks.append(item)
            self.bags.append(bag)
            self.size += n

    def flush(self) -> None:
        if not self.chunks:
            return
        pages = json.dumps(self.pages, ensure_ascii=False, separators=(",", ":"))
        data = '{"pages":' + pages + ',"chunks":[' + ",".join(self.chunks) + "]}"
        (self.folder / f"{len(self.counts)}.json").write_text(data, encoding="utf-8")
        if self.bag_folder is not None and any(b != "null" for b in self.bags):  # else no chunk's bag is ever read
            (self.bag_folder / f"{len(self.counts)}.json").write_text("[" + ",".join(self.bags) + "]", encoding="utf-8")
        self.counts.append(len(self.chunks))
        self.pages, self.chunks, self.bags, self.size = {}, [], [], 0


def _adapted(pages: Iterator[Page], tmp: Path, out_p: Path, model: str | None, adapt: dict, progress: bool,
             where: _Where) -> list[Page]:
    """Read the pages (kept: they are indexed next), fit MODEL to their chunks' text into TMP/adapted/."""
    from exporter.search.adapt import adapt as fit

    pages = list(pages)
    where.item = "the adaptation of the model (--adapt)"
    texts = [chunk_text(p.title, c.heading, c.text) for p in pages for c in p.chunks]
    fit(texts, model, adapt.get("teacher"), tmp / ADAPTED, device=adapt.get("device", "cpu"), progress=progress,
        previous=out_p / ADAPTED if (out_p / ADAPTED).is_dir() else None)
    return pages


def _record_source(manifest: Path, source: Path) -> None:
    """The shipped model's source: the adapted model where the index will be (OUT/adapted/), not the build's folder;
    ``relative`` finds it from a moved index (proof/parity.py)."""
    man = json.loads(manifest.read_text(encoding="utf-8"))
    man["source"] = {**man.get("source", {}), "path": str(source), "relative": f"../{ADAPTED}"}
    manifest.write_text(json.dumps(man, indent=1), encoding="utf-8")


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(progress: bool, total: int):
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total or None, unit="page", desc="edgembed index", leave=False, disable=None)  # a terminal only
