"""Query a search index from Python: the ranking of the browser's search.mjs, step for step (tested equal).

1. Terms of the query (analyze.py) with their counts; each term's postings from its terms shard. A term of 4 or more
   code points that is in no chunk (and is not weak nor an identifier) is replaced by the term of the typo side table
   within edit distance 1 (2 from 8 code points; optimal string alignment, same first code point) with the least
   distance, then the longest common prefix, then the most chunks.
2. Keyword score of a chunk: sum over the query's terms of (count in query) x (the term's score in the chunk), an
   identifier's whole term (``handle_error``, ``two-dimensional``: it holds a connector) counted ``identifier_weight``
   times (index.json's ``fusion``; its parts already score). When the query has a term that is not weak, a chunk that
   matches only weak terms scores 0 (it is not a result).
3. keyword: chunks by keyword score. semantic / hybrid: every chunk's sign code gives an approximate cosine
   (q . sign(v) / (|q| sqrt(d))); hybrid adds keyword / max keyword. The best `rerank` chunks (at least `limit`)
   are scored again with their int8 vectors (exact cosine), from their pages' fragments, and sorted. semantic
   re-scores the best `rerank_semantic` sign-code chunks plus the best `rerank_semantic_keyword` keyword matches
   (more recall for the same bytes; the score is the cosine alone).
   hybrid then feeds back (``feedback``, RM3-like): the ``feedback_terms`` terms of most weight in the best
   ``feedback_docs`` chunks' heading and text (feedback_weights) are added to the keyword scores (their weighted sum
   scaled to ``feedback_weight`` x the best keyword score), and the sign-code pass and the re-scoring run again with
   them (the first pass's vectors are kept; new candidates fetch theirs).
4. Chunks are grouped by page: a page scores its best chunk plus ``page_alpha`` x the sum of its other chunks' scores
   (those above 0); its other chunks become sub-results, best first.
5. Excerpts, down the list: a hit shows its best chunk's window of most query terms whose text is not within an
   excerpt shown above it (the best window of what is left around a repeated one); a page with nothing else to show
   (the same text under another URL) is folded into the hit it repeats, as a sub-result named by its title, and the
   next page fills the list.
Sums run in float64 in a fixed order (the browser's order), so both give the same scores."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from exporter.errors import EdgembedError
from exporter.search.analyze import CONNECTORS, Analyzer
from exporter.search.store import FORMAT, VERSION, decode_terms, decode_typo, shard_of, term_shard, typo_key

MODES = ("hybrid", "keyword", "semantic")
EXCERPT_WORDS = 30
SUB_RESULTS = 3
TYPO_MIN = 4  # shorter query terms are never corrected
TYPO_TWO = 8  # from this length on, edit distance 2


def osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of A and B (code points), or limit + 1 when it is above LIMIT."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
        prev2, prev = prev, cur
    return prev[len(b)] if prev[len(b)] <= limit else limit + 1


class SiteIndex:
    """An index folder written by ``edgembed index``; pieces are read on first use and kept."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        path = self.folder / "index.json"
        if not path.is_file():
            raise EdgembedError(f"{self.folder} is not a search index (no index.json; build one with 'edgembed index')")
        try:
            self.meta = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise EdgembedError(f"{path} is not valid JSON: {e}") from None
        if self.meta.get("format") != FORMAT or self.meta.get("version") != VERSION:
            raise EdgembedError(f"{path} is not an edgembed search index of version {VERSION} (rebuild it with 'edgembed index')")
        b = self.meta.get("term_bounds")
        if not isinstance(b, list) or len(b) != self.meta.get("term_shards", 0) - 1 or not all(isinstance(x, str) for x in b):
            raise EdgembedError(f"corrupt search index {self.folder}: term_bounds does not bound its terms shards")
        self.analyzer = Analyzer()
        counts = np.asarray(self.meta["page_chunks"], dtype=np.int64)
        self.first = np.concatenate([[0], np.cumsum(counts)])
        self.page_of = np.repeat(np.arange(len(counts)), counts)
        self._terms: dict[int, dict] = {}
        self._typo: dict[int, list] = {}
        self.corrections: dict[str, str] = {}  # the last query's typo corrections, term -> term
        self._codes: dict[str, np.ndarray] = {}
        self._text: dict[int, dict] = {}
        tc = np.asarray(self.meta.get("text_chunks", []), dtype=np.int64)
        self.text_first = np.concatenate([[0], np.cumsum(tc)])
        if int(self.text_first[-1]) != int(self.meta["chunks"]):
            raise EdgembedError(f"corrupt search index {self.folder}: its text shards hold {int(self.text_first[-1])} "
                                f"chunks of {self.meta['chunks']}")
        self._vecs: dict[int, np.ndarray] = {}
        self._model = None
        self.files_read: list[str] = []

    def _read(self, rel: str) -> bytes:
        self.files_read.append(rel)
        try:
            return (self.folder / rel).read_bytes()
        except OSError as e:
            raise EdgembedError(f"search index {self.folder} is missing {rel}: {e.strerror or e}") from None

    def postings(self, term: str) -> tuple[list[int], list[float]]:
        s = term_shard(term, self.meta["term_bounds"])
        if s not in self._terms:
            self._terms[s] = decode_terms(self._read(f"terms/{s}.bin"))
        return self._terms[s].get(term, ([], []))

    def typo_entries(self, key: str) -> list[tuple[str, int]]:
        s = shard_of(key, self.meta["typo_shards"])
        if s not in self._typo:
            self._typo[s] = decode_typo(self._read(f"typo/{s}.bin"))
        return self._typo[s]

    def correct(self, term: str) -> str | None:
        """The index term a misspelt TERM most likely means (see the module's docstring), or None."""
        n = len(term)
        limit = 2 if n >= TYPO_TWO else 1
        best, key = None, (limit + 1, 0, 0)
        for length in range(max(3, n - limit), n + limit + 1):
            for t, df in self.typo_entries(typo_key(term, length)):
                if len(t) != length or t[0] != term[0]:
                    continue
                d = osa(term, t, limit)
                if d <= limit:
                    same = 1
                    while same < min(n, length) and t[same] == term[same]:
                        same += 1
                    if (d, -same, -df) < key:
                        best, key = t, (d, -same, -df)
        return best

    def codes(self, plane: str) -> np.ndarray:
        """Sign codes of every chunk, plane "a" (the first code_dims_a dims) or "b" (the others)."""
        if plane not in self._codes:
            nb = self.meta["code_bytes"] if plane == "a" else self.meta["code_bytes_b"]
            suffix = ".bin" if plane == "a" else ".b.bin"
            parts = [np.frombuffer(self._read(f"codes/{k}{suffix}"), dtype=np.uint8).reshape(-1, nb)
                     for k in range(self.meta["code_shards"])] if nb else [np.zeros((self.meta["chunks"], 0), np.uint8)]
            codes = np.concatenate(parts)
            if len(codes) != self.meta["chunks"]:
                raise EdgembedError(f"corrupt search index {self.folder}: {len(codes)} codes for {self.meta['chunks']} chunks")
            self._codes[plane] = codes
        return self._codes[plane]

    def text_shard(self, k: int) -> dict:
        if k not in self._text:
            try:
                self._text[k] = json.loads(self._read(f"text/{k}.json").decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise EdgembedError(f"corrupt search index {self.folder}: text/{k}.json is not valid JSON: {e}") from None
        return self._text[k]

    def text_shard_of(self, c: int) -> int:
        """The text shard holding chunk c."""
        return int(np.searchsorted(self.text_first, c, side="right")) - 1

    def chunk(self, c: int) -> tuple[str, str, dict]:
        """Chunk c's page url and title, and the chunk ({h, a, t, w?}), from its text shard."""
        k = self.text_shard_of(c)
        shard = self.text_shard(k)
        try:
            url, title = shard["pages"][str(int(self.page_of[c]))][:2]
            return url, title, shard["chunks"][c - int(self.text_first[k])]
        except (KeyError, IndexError, TypeError, ValueError):
            raise EdgembedError(f"corrupt search index {self.folder}: text/{k}.json lacks chunk {c}") from None

    def heading_anchor(self, c: int, near: int) -> tuple[str, str]:
        """Chunk c's heading and anchor from the text shard of chunk NEAR (a chunk of the same page): the outline every
        shard of a split page of at most ``outline_chunks`` chunks carries, else the chunk itself, from that shard when
        it is there (a page whole in one shard), else from its own."""
        k = self.text_shard_of(near)
        entry = self.text_shard(k)["pages"].get(str(int(self.page_of[c])))
        try:
            if entry is not None and len(entry) > 2:
                h, a = entry[2][c - int(self.first[self.page_of[c]])]
                return h, a
            k = self.text_shard_of(c)
            ch = self.text_shard(k)["chunks"][c - int(self.text_first[k])]
            return ch["h"], ch["a"]
        except (KeyError, IndexError, TypeError, ValueError):
            raise EdgembedError(f"corrupt search index {self.folder}: text/{k}.json lacks chunk {c}") from None

    def page(self, p: int) -> dict:
        """Page p as {url, title, chunks} (its chunks gathered from their text shards)."""
        a, b = int(self.first[p]), int(self.first[p + 1])
        got = [self.chunk(c) for c in range(a, b)]
        return {"url": got[0][0], "title": got[0][1], "chunks": [ch for _, _, ch in got]}

    def vectors(self, k: int) -> np.ndarray:
        """The int8 vectors of vecs shard k's chunks (k x vec_shard onward), one after the other."""
        if k not in self._vecs:
            self._vecs[k] = np.frombuffer(self._read(f"vecs/{k}.bin"), dtype=np.int8)
        return self._vecs[k]

    def embed(self, text: str) -> np.ndarray:
        if self._model is None:
            from exporter.search.model import load_model

            self._model = load_model(self.folder / self.meta["model"])
        return self._model.encode([text])[0]

    # -- ranking --------------------------------------------------------------------------------------------------
    def query_terms(self, query: str) -> dict[str, int]:
        """The query's terms and their counts, misspelt ones replaced by their corrections (self.corrections)."""
        counts: dict[str, int] = {}
        for t in self.analyzer.terms(query):
            counts[t] = counts.get(t, 0) + 1
        self.corrections = {}
        out: dict[str, int] = {}
        for t, m in counts.items():
            if (len(t) >= TYPO_MIN and t not in self.analyzer.weak and not any(ch in CONNECTORS for ch in t)
                    and not self.postings(t)[0]):
                fix = self.correct(t)
                if fix is not None:
                    self.corrections[t] = fix
                    t = fix
            out[t] = out.get(t, 0) + m
        return out

    def keyword_scores(self, qterms: dict[str, int]) -> np.ndarray:
        lex = np.zeros(self.meta["chunks"], dtype=np.float64)
        strong = np.zeros(self.meta["chunks"], dtype=bool)
        weak = self.analyzer.weak
        iw = float(self.meta["fusion"].get("identifier_weight", 1.0))
        for t, m in qterms.items():  # query order, as the browser
            ids, sc = self.postings(t)
            if ids:
                at = np.asarray(ids)
                mw = m * iw if any(ch in CONNECTORS for ch in t) else float(m)  # an identifier's whole term
                lex[at] += mw * np.asarray(sc, dtype=np.float64)
                if t not in weak:
                    strong[at] = True
        if any(t not in weak for t in qterms):
            lex[~strong] = 0.0  # weak words never make a result on their own
        return lex

    def code_scores(self, q: np.ndarray, planes: str) -> np.ndarray:
        """q . sign(v) / (|q| sqrt(d)) over the dims of PLANES ("a", or "ab": all), for every chunk, summed byte by
        byte in order (the browser's table walk)."""
        da = self.meta["code_dims_a"]
        d = da if planes == "a" else self.meta["dims"]
        q = q.astype(np.float64)
        qq = 0.0
        for a in q[:d].tolist():  # in order, as the browser
            qq += a * a
        norm = float(np.sqrt(qq))
        bits = ((np.arange(256)[:, None] >> np.arange(8)[None, :]) & 1).astype(np.float64) * 2 - 1  # [256, 8]
        acc = np.zeros(self.meta["chunks"])
        for plane, first in (("a", 0), ("b", da)):
            if plane not in planes:
                continue
            codes = self.codes(plane)
            for k in range(codes.shape[1]):
                table = np.zeros(256)
                for i in range(8):  # sequential sum over the byte's bits, as the browser builds its table
                    j = first + 8 * k + i
                    if j < d:
                        table = table + bits[:, i] * q[j]
                acc += table[codes[:, k]]
        if norm == 0:
            return np.zeros(len(acc))
        return acc / (norm * np.sqrt(d))

    def exact_cosine(self, q: np.ndarray, chunk: int) -> float:
        d, g = self.meta["dims"], int(self.meta["vec_shard"])
        at = (chunk % g) * d
        v = self.vectors(chunk // g)[at:at + d]
        if len(v) != d:
            raise EdgembedError(f"corrupt search index {self.folder}: vecs/{chunk // g}.bin lacks chunk {chunk}")
        v = v.astype(np.float64)
        q = q.astype(np.float64)
        dot = qq = vv = 0.0
        for a, b in zip(q.tolist(), v.tolist()):  # one order, float64, like the browser
            dot += a * b
            qq += a * a
            vv += b * b
        return dot / np.sqrt(qq * vv) if qq > 0 and vv > 0 else 0.0

    def ranked_chunks(self, query: str, mode: str, limit: int) -> tuple[list[tuple[int, float]], dict[str, int]]:
        if mode not in MODES:
            raise EdgembedError(f"unknown --mode '{mode}': choose one of {', '.join(MODES)}")
        qterms = self.query_terms(query)
        if not query.strip():
            return [], qterms
        if mode == "keyword":
            lex = self.keyword_scores(qterms)
            hit = np.flatnonzero(lex > 0)
            order = hit[np.lexsort((hit, -lex[hit]))]
            return [(int(c), float(lex[c])) for c in order], qterms
        q = self.embed(query)
        approx = codes = self.code_scores(q, "a" if mode == "hybrid" else "ab")
        fusion = self.meta["fusion"]
        w = float(fusion["weight"])
        base = np.zeros_like(approx)
        top = 0.0
        if mode == "hybrid":
            lex = self.keyword_scores(qterms)
            top = float(lex.max()) if len(lex) else 0.0
            if top > 0:
                base = lex / top
            approx = base + w * approx
            depth = max(int(fusion["rerank"]), limit)
        else:
            depth = max(int(fusion["rerank_semantic"]), limit)
        idx = np.arange(len(approx))
        cand = idx[np.lexsort((idx, -approx))][:depth]
        extra = int(fusion.get("rerank_semantic_keyword", 0)) if mode == "semantic" else 0
        if extra > 0:
            lex = self.keyword_scores(qterms)
            hit = np.flatnonzero(lex > 0)
            best = hit[np.lexsort((hit, -lex[hit]))][:extra]
            cand = np.concatenate([cand, best[~np.isin(best, cand)]])
        exact = [(int(c), float(base[c] + (w if mode == "hybrid" else 1.0) * self.exact_cosine(q, int(c)))) for c in cand]
        exact.sort(key=lambda x: (-x[1], x[0]))
        if mode == "hybrid" and top > 0:
            again = self.feedback(lex, top, exact, qterms, query)
            if again is not None:  # the hybrid pass again with the expanded keyword scores
                base = again
                fused = base + w * codes
                cand = idx[np.lexsort((idx, -fused))][:depth]
                exact = [(int(c), float(base[c] + w * self.exact_cosine(q, int(c)))) for c in cand]
                exact.sort(key=lambda x: (-x[1], x[0]))
        return exact, qterms

    def feedback(self, lex: np.ndarray, top: float, first: list[tuple[int, float]],
                 qterms: dict[str, int], query: str) -> np.ndarray | None:
        """Keyword pseudo-relevance feedback (RM3-like): the ``feedback_terms`` terms of most weight in the first
        pass's best ``feedback_docs`` chunks (feedback_weights), their keyword scores summed by weight and scaled
        so that the best chunk's sum is ``feedback_weight`` x the best keyword score, added to the query's; the new
        scores / their maximum, or None (no feedback: settings 0, a QUERY of fewer than ``feedback_min_terms``
        whitespace-separated words that hold a non-weak term (``feedback_gate`` "words", Analyzer.strong_words; an
        index without it counts QTERMS' distinct non-weak terms, after typo correction), or no chunk holds a chosen
        term)."""
        fusion = self.meta["fusion"]
        k, m = int(fusion.get("feedback_docs", 0)), int(fusion.get("feedback_terms", 0))
        lam = float(fusion.get("feedback_weight", 0))
        if k <= 0 or m <= 0 or lam <= 0 or not self.feedback_gate(query, qterms):
            return None
        lists = []
        for c, _ in first[:k]:
            ch = self.chunk(c)[2]
            lists.append([t for t in self.analyzer.terms(ch["h"] + " " + ch["t"]) if t not in self.analyzer.weak])
        chosen = feedback_weights(lists)[:m]
        tot = 0.0
        for _, x in chosen:
            tot += x
        add = np.zeros_like(lex)
        for t, x in chosen:
            ids, sc = self.postings(t)
            if ids:
                add[np.asarray(ids)] += (x / tot) * np.asarray(sc, dtype=np.float64)
        amax = float(add.max()) if len(add) else 0.0
        if amax <= 0:
            return None
        lex2 = lex + (lam * top / amax) * add
        return lex2 / float(lex2.max())

    def feedback_gate(self, query: str, qterms: dict[str, int], gate: str | None = None) -> bool:
        """Whether QUERY (terms QTERMS) is long enough to feed back: at least ``feedback_min_terms`` words holding a
        non-weak term (GATE or index.json's ``feedback_gate`` "words"), else distinct non-weak terms (an index built
        before the setting). Short queries are precise: feedback only drifts them (and costs bytes)."""
        fusion = self.meta["fusion"]
        if (gate or fusion.get("feedback_gate")) == "words":  # an identifier counts once
            strong = self.analyzer.strong_words(query)
        else:
            strong = sum(1 for t in qterms if t not in self.analyzer.weak)
        return strong >= int(fusion.get("feedback_min_terms", 0))

    def search(self, query: str, limit: int = 10, mode: str = "hybrid", excerpts: bool = True) -> list[dict]:
        """Pages best first: url, title, heading, excerpt (HTML, matched words in <mark>), score, sub_results.

        EXCERPTS False: no excerpt fields (the CLI's --json, benchmarks), which is faster."""
        if limit < 1:
            raise EdgembedError(f"--limit must be at least 1, got {limit}")
        chunks, qterms = self.ranked_chunks(query, mode, limit)
        pages: dict[int, list[tuple[int, float]]] = {}
        for c, s in chunks:
            pages.setdefault(int(self.page_of[c]), []).append((c, s))
        alpha = float(self.meta["fusion"].get("page_alpha", 0.0))
        scored = []
        for rank, (p, hits) in enumerate(pages.items()):
            rest = 0.0
            for _, s in hits[1:]:
                rest += max(s, 0.0)
            scored.append((hits[0][1] + alpha * rest, rank, p))
        scored.sort(key=lambda x: (-x[0], x[1]))
        if not excerpts:
            bare = [self._hit(p, pages[p], s) for s, _, p in scored[:limit]]
            for hit in bare:
                del hit["text"]
            return bare
        out: list[dict] = []
        shown: list[str] = []  # plain text of the excerpts above, and the hit of each
        owner: list[int] = []
        for s, _, p in scored:
            if len(out) == limit:
                break
            hit = self._hit(p, pages[p], s)
            hit["excerpt"], key = fresh_excerpt(hit.pop("text"), qterms, self.analyzer, shown)
            if hit["excerpt"] is None:  # the same text as a hit above: one line under it, not a hit of its own
                out[owner[key]]["sub_results"].append({"url": hit["anchor_url"], "heading": hit["title"], "score": s})
                continue
            if key:
                shown.append(key)
                owner.append(len(out))
            out.append(hit)
        return out

    def _hit(self, p: int, hits: list[tuple[int, float]], score: float) -> dict:
        """Page P's hit without its excerpt (its best chunk's text in "text")."""
        c0 = hits[0][0]
        page_url, title, ch = self.chunk(c0)
        best_url = page_url + ("#" + ch["a"] if ch["a"] else "")

        def sub(c: int, s: float) -> dict:  # from the best chunk's shard: no other fetch
            h, a = self.heading_anchor(c, c0)
            return {"url": page_url + ("#" + a if a else ""), "heading": h, "score": s}

        return {"url": page_url, "title": title, "heading": ch["h"], "anchor_url": best_url, "excerpt": None,
                "text": ch["t"], "score": score, "sub_results": [sub(c, s) for c, s in hits[1:1 + SUB_RESULTS]]}


def feedback_weights(lists: list[list[str]]) -> list[tuple[str, float]]:
    """Terms of the feedback chunks (each a list of terms) by weight, most first (then by term): the mean over the
    chunks of the term's share of the chunk's terms (relevance model 1 with the chunks equally likely), summed chunk
    by chunk in first-appearance order (the browser's order)."""
    wt: dict[str, float] = {}
    n = len(lists)
    for terms in lists:
        if not terms:
            continue
        counts: dict[str, int] = {}
        for t in terms:
            counts[t] = counts.get(t, 0) + 1
        for t, f in counts.items():
            wt[t] = wt.get(t, 0.0) + f / len(terms) / n
    return sorted(wt.items(), key=lambda x: (-x[1], x[0]))


def _best_window(marks: list[bool], lo: int, hi: int, size: int) -> tuple[int, int]:
    """(query terms, start) of the first window of SIZE words (or all of them) in [LO, HI) with the most terms."""
    k = min(size, hi - lo)
    best, start, run = -1, lo, 0
    for i in range(lo, hi):
        run += marks[i]
        if i - lo >= size:
            run -= marks[i - size]
        if i - lo >= k - 1 and run > best:
            best, start = run, i - k + 1
    return best, start


def _render(words: list[str], marks: list[bool], start: int, end: int) -> str:
    out = [f"<mark>{html.escape(w)}</mark>" if m else html.escape(w) for w, m in zip(words[start:end], marks[start:end])]
    return ("… " if start > 0 else "") + " ".join(out) + (" …" if end < len(words) else "")


def excerpt(text: str, qterms: dict[str, int], analyzer: Analyzer, size: int = EXCERPT_WORDS) -> str:
    """The window of SIZE words with the most query terms (the first such), HTML-escaped, matches in <mark>."""
    return fresh_excerpt(text, qterms, analyzer, [], size)[0] or ""


def fresh_excerpt(text: str, qterms: dict[str, int], analyzer: Analyzer, shown: list[str],
                  size: int = EXCERPT_WORDS) -> tuple[str | None, str | int]:
    """(excerpt, its plain text) of the best window of TEXT whose words are not within an excerpt of SHOWN (plain
    texts): the best of TEXT, else the best of what is left around the windows that repeat one (most query terms,
    then most words: shorter where little is left). (None, index in SHOWN of what the best window repeats) when
    every part of TEXT repeats one."""
    words = text.split(" ") if text else []
    marks = [any(t in qterms for t in analyzer.terms(w)) for w in words]
    spans, first = [(0, len(words))], None
    while spans:
        best, start, span = (-1, 0), 0, 0
        for j, (lo, hi) in enumerate(spans):
            run, s = _best_window(marks, lo, hi, size)
            if (run, min(size, hi - lo)) > best:  # the most query terms, then the longest (the first such)
                best, start, span = (run, min(size, hi - lo)), s, j
        lo, hi = spans[span]
        end = start + min(size, hi - lo)
        key = " ".join(words[start:end])
        dup = next((j for j, s in enumerate(shown) if key and f" {key} " in f" {s} "), None)
        if dup is None:
            return _render(words, marks, start, end), key
        first = dup if first is None else first
        spans[span:span + 1] = [sp for sp in ((lo, start), (end, hi)) if sp[1] > sp[0]]
    return None, first
