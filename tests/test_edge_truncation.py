"""The runtime's batch tokenizer stops at the truncation window (web/runtime/wordpiece.mjs, `encodePieces`): a
text far longer than `max_length` tokens is tokenized only up to the piece that fills it. The ids are the
concatenation of the space-separated pieces' ids (the tokenizer's `piecewise` property), so stopping there is
exact; this proves it against Python `tokenizers` on seeded long texts (hostile mixes and real text) for
several right-truncation windows, and that left truncation (which needs the whole text) is unchanged.
The random seed is printed (set EDGEMBED_FUZZ_SEED to replay one)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess

import pytest

from exporter.pipeline import export
from tests.conftest import DATA, WEB, node_marks
from tests.fuzz_texts import REAL, SEPARATORS, hostile_mixes

pytestmark = node_marks()
SEED = int(os.environ.get("EDGEMBED_FUZZ_SEED") or random.SystemRandom().randrange(1 << 31))
WINDOWS = [("Right", 1), ("Right", 2), ("Right", 7), ("Right", 64), ("Right", 512), ("Left", 7), (None, None)]


def long_texts(seed: int) -> list[str]:
    """Texts of a few to a few thousand tokens: hostile mixes and Cranfield documents joined by random
    separators (U+0020 and the other spaces, which are not piece boundaries)."""
    from exporter.proof.retrieval import load_beir

    rng = random.Random(seed)
    parts = hostile_mixes(seed, n=1500) + REAL + load_beir(DATA / "cranfield").doc_texts[:200]
    texts = []
    for _ in range(200):
        k = rng.choice([1, 2, 5, 20, 60, 120])
        texts.append("".join(rng.choice(parts) + rng.choice(SEPARATORS + [" "] * 10 + ["", "  "]) for _ in range(k)))
    return texts + ["", " " * 600, "a " * 600, " a" * 600, "x" * 5000 + " y" * 600]


@pytest.fixture(scope="module")
def default_export(distilled_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("trunc") / "export"
    export(distilled_dir, out, quant="int4", dims=8, demo=False)
    return out


@pytest.mark.parametrize("direction,max_length", WINDOWS, ids=[f"{d}-{n}" for d, n in WINDOWS])
def test_batch_ids_stop_at_the_window_exactly(default_export, direction, max_length, tmp_path):
    from tokenizers import Tokenizer

    spec = json.loads((default_export / "tokenizer.json").read_text(encoding="utf-8"))
    spec["truncation"] = None if direction is None else {"direction": direction, "max_length": max_length,
                                                          "strategy": "LongestFirst", "stride": 0}
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec), encoding="utf-8")
    texts = long_texts(SEED)
    (tmp_path / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    proc = subprocess.run([shutil.which("node"), str(WEB / "scripts" / "token_ids.mjs"), str(tmp_path / "tokenizer.json"),
                           str(tmp_path / "texts.json"), str(tmp_path / "out.json"), str(default_export / "chartable.bin")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert got["piecewise"] is True and got["maxLength"] == max_length
    tok = Tokenizer.from_str(json.dumps(spec))
    py_texts = [t.encode("utf-16", "surrogatepass").decode("utf-16", "replace") for t in texts]
    want = [e.ids for e in tok.encode_batch(py_texts, add_special_tokens=False)]
    if max_length is not None and max_length >= 64:  # the texts do overflow the window
        assert sum(len(w) == max_length for w in want) >= 50
    for name in ("batchIds", "ids"):
        bad = [i for i, (a, b) in enumerate(zip(got[name], want)) if a != b]
        assert not bad, f"{name} (seed {SEED}): {len(bad)} of {len(texts)} differ, e.g. {texts[bad[0]][:80]!r}"
    print(f"{direction}-{max_length}: {len(texts)} texts, 0 mismatches, seed {SEED}")
