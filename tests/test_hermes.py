"""React Native's engine. web/scripts/hermes/app.js (the code docs/mobile.md shows) is bundled by Metro the way a
React Native release build bundles an app, both bundles (the "default" and "hermes-stable" transform profiles)
compile with the hermesc a current React Native ships, and the Hermes VM (npm hermes-engine-cli: an older Hermes
with no TextDecoder, fetch, WebAssembly, atob or performance) runs it on an export's files: token ids equal Python
`tokenizers`, vectors the Python flat backend (<= 1e-5), on the hostile set, held-out texts and a seeded slice of
the code-point fuzz. The fuzz seed is printed (set EDGEMBED_FUZZ_SEED to replay one)."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from exporter.pipeline import export
from exporter.texts import hostile_texts
from exporter.runtimes.backends import load
from exporter.sources.tokenizer import encode_ids, load_tokenizer
from tests.conftest import WEB, node_marks
from tests.fuzz_texts import every_code_point, hostile_mixes
from tests.test_edge import HELD_OUT

SCRIPT = WEB / "scripts" / "hermes" / "hermes_embed.mjs"
NODE = shutil.which("node")
SEED = int(os.environ.get("EDGEMBED_FUZZ_SEED") or random.SystemRandom().randrange(1 << 31))
FUZZ_SLICE = 2000  # consecutive texts of every_code_point(SEED) (~171,000 in all), from a seeded offset
HBC_MAGIC = bytes.fromhex("c61fbc03c103191f")  # Hermes bytecode files start with this (little-endian u64)
VM_BIN = {"Linux": "linux64-bin/hermes", "Darwin": "osx-bin/hermes", "Windows": "win64-bin/hermes.exe"}


def _vm_runs() -> bool:
    """True when hermes-engine-cli's VM binary exists for this platform and starts (it is x86-64 only)."""
    import platform

    vm = WEB / "node_modules" / "hermes-engine-cli" / VM_BIN.get(platform.system(), "none")
    try:
        return subprocess.run([str(vm), "-version"], capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False


pytestmark = [*node_marks("metro", "@react-native/metro-config", "hermes-engine-cli", "hermes-compiler", "base64-js"),
              pytest.mark.skipif(not _vm_runs(), reason="the Hermes VM of hermes-engine-cli does not run on this machine")]


def _node(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([NODE, str(SCRIPT), *args], cwd=WEB, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """`hermes_embed.mjs build`: the Metro bundles and their current-hermesc bytecode, once for the module."""
    out = tmp_path_factory.mktemp("hermes") / "build"
    proc = _node("build", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def hermes_embed(built: Path, folder: Path, texts: list[str], tmp: Path) -> dict:
    (tmp / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
    proc = _node("embed", str(built), str(folder), str(tmp / "texts.json"), str(tmp / "out.json"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads((tmp / "out.json").read_text(encoding="utf-8"))


def test_release_bundles_compile_with_current_hermesc(built):
    info = json.loads((built / "build.json").read_text(encoding="utf-8"))
    version = info["engines"]["hermesc"]["bytecode"]
    for profile in ("default", "hermes-stable"):
        hbc = (built / f"index.{profile}.hbc").read_bytes()
        assert hbc[:8] == HBC_MAGIC and int.from_bytes(hbc[8:12], "little") == version, profile
        assert info["bytes"][f"hbc_{profile}"] == len(hbc)
        bundle = (built / f"index.{profile}.bundle.js").read_text(encoding="utf-8")
        # Metro took the runtime's "react-native" field: react_native.mjs stands in for peers.mjs and pool.mjs
        assert "which React Native cannot import by name" in bundle and "in a page: an import map entry" not in bundle, profile
    print(f"hermesc {info['engines']['hermesc']['release']} (bytecode {version}): {info['bytes']}; ms {info['timings']}")


@pytest.mark.parametrize("quant,dims,fuzz", [("int8", 256, True), ("int4", 77, False), ("fp32", 64, False)])
def test_hermes_matches_python(quant, dims, fuzz, built, distilled_dir, tmp_path):
    folder = tmp_path / "export"
    export(distilled_dir, folder, dims=dims, quant=quant, demo=False)
    texts = hostile_texts() + HELD_OUT
    if fuzz:
        every = every_code_point(SEED)
        start = random.Random(SEED).randrange(len(every) - FUZZ_SLICE)
        texts += every[start : start + FUZZ_SLICE] + hostile_mixes(SEED, 300)
        print(f"fuzz seed {SEED}: code-point texts {start}..{start + FUZZ_SLICE} of {len(every)}")
    res = hermes_embed(built, folder, texts, tmp_path)
    assert res["info"]["quant"] == quant and res["info"]["dims"] == dims and res["info"]["tokenizer"] == "exact"
    assert {"TextDecoder", "fetch", "WebAssembly", "atob"} <= set(res["absent"])  # the VM has none: the path needs none

    py_ids = encode_ids(load_tokenizer((folder / "tokenizer.json").read_text(encoding="utf-8")), texts)
    bad = [i for i, (a, b) in enumerate(zip(res["ids"], py_ids)) if a != b]
    shown = "\n".join(f"  {texts[i][:60]!r}: hermes {res['ids'][i][:12]} python {py_ids[i][:12]}" for i in bad[:8])
    assert len(res["ids"]) == len(texts) and not bad, f"seed {SEED}: {len(bad)} of {len(texts)} texts tokenize differently\n{shown}"

    got = np.asarray(res["embeddings"], dtype=np.float32)
    ref = load(folder, backend="flat").encode(texts)
    assert got.shape == ref.shape == (len(texts), dims)
    diff = float(np.abs(got - ref).max())
    assert diff <= 1e-5, f"seed {SEED}: embeddings differ by {diff}"
    assert not got[0].any() and np.abs(got[3]).max() > 0  # empty text -> zero; a sentence -> not
    print(f"{quant}@{dims}: {len(texts)} texts, ids equal, max |diff| {diff:.1e}; Hermes {res['engines']['vm']['release']}, "
          f"ms {res['timings']}")


def test_hermes_reports_a_corrupt_flat_file(built, distilled_dir, tmp_path):
    folder = tmp_path / "export"
    export(distilled_dir, folder, dims=32, quant="int8", demo=False)
    flat = folder / "model.edgembed"
    flat.write_bytes(flat.read_bytes()[:1000])  # truncated
    (tmp_path / "texts.json").write_text(json.dumps(["a"]), encoding="utf-8")
    proc = _node("embed", str(built), str(folder), str(tmp_path / "texts.json"), str(tmp_path / "o.json"))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert "in Hermes: truncated or corrupt flat file" in proc.stderr
    assert not (tmp_path / "o.json").exists()
