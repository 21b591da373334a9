"""The JS runtime's own tokenizer (web/runtime/wordpiece.mjs + the export's chartable.bin) against Python
`tokenizers`, over every Unicode scalar value and hostile mixes, for the BERT-uncased tokenizer and its variants.

Each variant is a small model (the variant's tokenizer.json, a random 8-dim table) exported with edgembed; Node
runs the runtime's `fromArtifacts(...).tokenize()` and `.embed()`; ids must equal
`Tokenizer.encode(text, add_special_tokens=False).ids` exactly and vectors the Python flat backend to 1e-5.
The random seed is printed (set EDGEMBED_FUZZ_SEED to replay one)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from exporter.runtimes.backends import load
from exporter.pipeline import export
from tests.conftest import WEB, bert_tokenizer_path, node_marks
from tests.fuzz_texts import REAL, every_code_point, hostile_mixes

pytestmark = node_marks()
SCRIPT = WEB / "scripts" / "exact_check.mjs"
SEED = int(os.environ.get("EDGEMBED_FUZZ_SEED") or random.SystemRandom().randrange(1 << 31))
EXTRA_ADDED = [  # added tokens of every kind, beside BERT's five (normalized: false)
    {"content": "<sep>", "single_word": False, "lstrip": True, "rstrip": True, "normalized": False, "special": True},
    {"content": "ÉCOLE", "single_word": False, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"content": "foo", "single_word": True, "lstrip": False, "rstrip": False, "normalized": True, "special": False},
    {"content": "[mask]", "single_word": False, "lstrip": True, "rstrip": False, "normalized": False, "special": False},
]


def _variant(name: str) -> dict:
    spec = json.loads(bert_tokenizer_path().read_text(encoding="utf-8"))
    spec["padding"] = None
    norm = spec["normalizer"]
    if name == "cased":
        norm.update(lowercase=False, strip_accents=None)
    elif name == "lower_keep_accents":
        norm.update(lowercase=True, strip_accents=False)
    elif name == "strip_cased":
        norm.update(lowercase=False, strip_accents=True)
    elif name == "no_chinese_chars":
        norm.update(handle_chinese_chars=False)
    elif name == "whitespace":
        spec["pre_tokenizer"] = {"type": "Whitespace"}
    elif name == "whitespace_split":
        spec["pre_tokenizer"] = {"type": "WhitespaceSplit"}
    elif name == "no_normalizer":
        spec["normalizer"] = None
    elif name == "added_tokens":  # normalized and raw added tokens, clean_text off, truncation on the left
        norm.update(clean_text=False)
        next_id = max(t["id"] for t in spec["added_tokens"]) + 1
        next_id = max(next_id, len(spec["model"]["vocab"]))
        for i, tok in enumerate(EXTRA_ADDED):
            spec["added_tokens"].append({"id": next_id + i, **tok})
        spec["truncation"] = {"direction": "Left", "max_length": 7, "strategy": "LongestFirst", "stride": 0}
    return spec


VARIANTS = ["uncased", "cased", "lower_keep_accents", "strip_cased", "no_chinese_chars", "whitespace",
            "whitespace_split", "no_normalizer", "added_tokens"]


def _model(folder: Path, spec: dict) -> Path:
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer

    folder.mkdir(parents=True)
    text = json.dumps(spec, ensure_ascii=False)
    (folder / "tokenizer.json").write_text(text, encoding="utf-8")
    vocab = Tokenizer.from_str(text).get_vocab_size(with_added_tokens=True)
    table = np.random.default_rng(7).standard_normal((vocab, 8)).astype(np.float32)
    save_file({"embeddings": table}, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps({"normalize": False}), encoding="utf-8")
    return folder


def _run_node(folder: Path, texts: list[str], tmp: Path) -> tuple[list[list[int]], np.ndarray, dict]:
    (tmp / "texts.json").write_text(json.dumps(texts), encoding="utf-8")  # lone surrogates travel as \\udXXX escapes
    proc = subprocess.run(["node", str(SCRIPT), str(folder), str(tmp / "texts.json"), str(tmp / "out")],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    flat = np.fromfile(tmp / "out.ids", dtype="<i4")
    ids, i = [], 0
    while i < len(flat):
        n = int(flat[i])
        ids.append(flat[i + 1 : i + 1 + n].tolist())
        i += 1 + n
    vecs = np.fromfile(tmp / "out.f32", dtype="<f4").reshape(len(texts), -1)
    return ids, vecs, json.loads((tmp / "out.json").read_text())


def _python_ids(folder: Path, texts: list[str]) -> list[list[int]]:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    return [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]


def _check(folder: Path, texts: list[str], tmp: Path, label: str) -> None:
    js_ids, js_vecs, info = _run_node(folder, texts, tmp)
    assert info["info"]["tokenizer"] == "exact"
    py_texts = [t.encode("utf-16", "surrogatepass").decode("utf-16", "replace") for t in texts]  # lone surrogate -> U+FFFD
    py_ids = _python_ids(folder, py_texts)
    bad = [i for i, (a, b) in enumerate(zip(js_ids, py_ids)) if a != b]
    shown = "\n".join(f"  {texts[i]!r}: js {js_ids[i][:12]} python {py_ids[i][:12]}" for i in bad[:8])
    assert not bad, f"{label} (seed {SEED}): {len(bad)} of {len(texts)} texts tokenize differently, e.g.\n{shown}"
    ref = load(folder, backend="flat").encode(py_texts)
    diff = float(np.abs(js_vecs - ref).max()) if len(texts) else 0.0
    assert diff <= 1e-5, f"{label} (seed {SEED}): embeddings differ by {diff}"
    print(f"{label}: {len(texts)} texts, 0 id mismatches, max |diff| {diff:.1e}, seed {SEED}")


@pytest.fixture(scope="module")
def fuzz() -> list[str]:
    print(f"fuzz seed {SEED}")
    return every_code_point(SEED) + hostile_mixes(SEED)


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_code_point_and_hostile_mix(variant, fuzz, tmp_path):
    folder = tmp_path / "export"
    export(_model(tmp_path / "model", _variant(variant)), folder, quant="fp32", demo=False)
    man = json.loads((folder / "manifest.json").read_text())
    assert man["tokenizer"]["runtime"] == "exact" and man["files"]["chartable"] == "chartable.bin"
    _check(folder, fuzz, tmp_path, variant)


def test_lone_surrogates_read_as_replacement_character(tmp_path):
    folder = tmp_path / "export"
    export(_model(tmp_path / "model", _variant("cased")), folder, quant="fp32", demo=False)
    texts = ["a\ud800b", "\udc00", "x\udbff", "\ud83d\ude00\ude00", "\ud83d", "ok \udfff ok"]
    js_ids, _, _ = _run_node(folder, texts, tmp_path)
    # clean_text drops U+FFFD; with clean_text off it would be [UNK]: compare with Python on the replaced text
    assert js_ids == _python_ids(folder, [t.encode("utf-16", "surrogatepass").decode("utf-16", "replace") for t in texts])
    assert js_ids[1] == []  # a lone low surrogate is U+FFFD, which BERT's clean_text removes


def test_real_text_in_the_default_export(distilled_dir, tmp_path):
    """The exported default model (its own tokenizer.json) on real multilingual text."""
    folder = tmp_path / "export"
    export(distilled_dir, folder, dims=32, quant="int8", demo=False)
    _check(folder, REAL + ["Telugu ఫ఼ nukta", "𠀀𠀁𠀂 Extension B", "ٱلْحَمْدُ ࣓ ࣔ"], tmp_path, "default model")


def test_corrupt_tokenizer_files_are_one_line_errors(distilled_dir, tmp_path):
    """A truncated tokenizer pack, and (for a reader of tokenizer.json + chartable.bin, as exports without a pack
    have) a truncated chartable.bin: one line each."""
    folder = tmp_path / "export"
    export(distilled_dir, folder, dims=16, quant="fp32", demo=False)
    (tmp_path / "texts.json").write_text('["a"]', encoding="utf-8")

    def run() -> str:
        proc = subprocess.run(["node", str(SCRIPT), str(folder), str(tmp_path / "texts.json"), str(tmp_path / "o")],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        return proc.stderr

    pack = folder / "tokenizer.bin"
    pack.write_bytes(pack.read_bytes()[:-40])
    assert "tokenizer pack is not valid gzip data" in run()
    man = json.loads((folder / "manifest.json").read_text())
    del man["files"]["tokenizer_pack"]
    (folder / "manifest.json").write_text(json.dumps(man))
    table = folder / "chartable.bin"
    table.write_bytes(table.read_bytes()[:-4])
    assert "truncated or corrupt character table" in run()


def test_non_wordpiece_tokenizers_take_the_library_path():
    from exporter.formats.chartable import exact_path

    assert exact_path({"model": {"type": "Unigram"}}) == "model Unigram is not WordPiece"
    assert exact_path({"model": {"type": "WordPiece"}, "normalizer": {"type": "NFKC"}}).startswith("normalizer NFKC")
    assert exact_path({"model": {"type": "WordPiece"}, "normalizer": {"type": "BertNormalizer"},
                       "pre_tokenizer": {"type": "BertPreTokenizer"}}) is None


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_chartable_probe_is_deterministic():
    from exporter.formats.chartable import build_chartable

    spec = _variant("no_normalizer")  # the cheapest probe: classes only
    assert build_chartable(json.dumps(spec)) == build_chartable(json.dumps(spec))


@pytest.fixture(scope="module")
def chromium_runs(fuzz, tmp_path_factory):
    """Every variant exported with its demo; one Chromium launch embeds the whole fuzz set through window.edgembed."""
    from exporter.proof.browser import PageSpec, browser_available, browser_run

    ok, why = browser_available()
    if not ok:
        pytest.skip(why)
    root = tmp_path_factory.mktemp("chromium")
    folders = {}
    for v in VARIANTS:
        folders[v] = root / v / "export"
        export(_model(root / v / "model", _variant(v)), folders[v], quant="fp32", demo=True)
    pages = [PageSpec(folders[v], "flat", texts=fuzz, workers=1, name=v) for v in VARIANTS]
    pages.append(PageSpec(folders["uncased"], "onnx", texts=hostile_mixes(SEED, 1500), name="uncased-onnx"))
    return folders, {r.name: r for r in browser_run(pages, timeout=1500)}


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("variant", [*VARIANTS, "uncased-onnx"])
def test_chromium_demo_matches_python_on_every_code_point(variant, chromium_runs, fuzz):
    folders, reports = chromium_runs
    rep = reports[variant]
    assert rep.problems == [], rep.problems
    folder = folders[variant.removesuffix("-onnx")]
    texts = fuzz if variant in VARIANTS else hostile_mixes(SEED, 1500)
    ref = load(folder, backend="flat").encode(texts)
    assert rep.embeddings is not None and rep.embeddings.shape == ref.shape
    diff = np.abs(rep.embeddings - ref).max(axis=1)
    bad = np.flatnonzero(diff > 1e-5)
    shown = "\n".join(f"  {texts[i]!r}: {diff[i]:.2g}" for i in bad[:8])
    assert not len(bad), f"{variant} in Chromium (seed {SEED}): {len(bad)} of {len(texts)} texts embed differently:\n{shown}"
    print(f"chromium {variant}: {len(texts)} texts, max |diff| {diff.max():.1e}, seed {SEED}")


def test_unigram_model_takes_the_library_path_and_says_so(unigram_dir, tmp_path):
    """A non-WordPiece tokenizer (model2vec's multilingual models use Unigram/BPE) is exported, not refused: the
    manifest, the runtime and the parity report say its ids come from @huggingface/tokenizers, not proven."""
    from exporter.proof.datasets import DATA
    from exporter.proof.report import js_tokenizer_note
    from exporter.proof.retrieval import load_beir

    model = unigram_dir
    folder = tmp_path / "export"
    export(model, folder, quant="int8", demo=False)
    man = json.loads((folder / "manifest.json").read_text())
    assert man["tokenizer"] == {"runtime": "library", "reason": "model Unigram is not WordPiece"}
    assert "chartable" not in man["files"] and not (folder / "chartable.bin").exists()
    assert "NOT proven" in js_tokenizer_note(man["tokenizer"])
    proc_texts = load_beir(DATA / "cranfield").doc_texts[300:340]  # held out from the tokenizer's training
    (tmp_path / "texts.json").write_text(json.dumps(proc_texts), encoding="utf-8")
    proc = subprocess.run(["node", str(SCRIPT), str(folder), str(tmp_path / "texts.json"), str(tmp_path / "out")],
                          cwd=WEB, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads((tmp_path / "out.json").read_text())["info"]["tokenizer"] == "library"
    vecs = np.fromfile(tmp_path / "out.f32", dtype="<f4").reshape(len(proc_texts), -1)
    assert np.abs(vecs - load(folder, backend="flat").encode(proc_texts)).max() <= 1e-5  # plain English text agrees


def test_long_runs_of_combining_marks(tmp_path):
    """Runs of thousands of marks that survive accent stripping, in random order: NFD's canonical ordering of the
    whole run (the runtime sorts a run once, stably, instead of inserting mark by mark)."""
    from tests.fuzz_texts import KEPT_NONSTARTERS

    rng = random.Random(SEED)
    print(f"seed {SEED}")
    marks = [chr(c) for c in KEPT_NONSTARTERS] + ["\u0301", "\u0334", "\u0e31"]  # + removed ones, and a removed starter
    texts = ["a" + "".join(rng.choice(marks) for _ in range(n)) + " b" for n in (2, 50, 400, 900, 20000)]
    spec = _variant("strip_cased")
    spec["model"]["max_input_chars_per_word"] = 1000  # words of hundreds of marks still tokenize (20,000: [UNK])
    spec["truncation"] = None
    vocab = spec["model"]["vocab"]
    for c in KEPT_NONSTARTERS:  # "##" + mark: each kept mark becomes its own token, so the ids spell out the order
        vocab.setdefault("##" + chr(c), len(vocab))
    folder = tmp_path / "export"
    export(_model(tmp_path / "model", spec), folder, quant="fp32", demo=False)
    _check(folder, texts, tmp_path, "long mark runs")
    from tokenizers import Tokenizer

    ids = Tokenizer.from_file(str(folder / "tokenizer.json")).encode(texts[3], add_special_tokens=False).ids
    assert len(ids) > 600  # the marks did become tokens: the comparison above saw their order
