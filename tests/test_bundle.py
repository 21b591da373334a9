"""web/runtime/edgembed.bundle.mjs: the runtime's static module graph in one file (one request instead of a chain of
import levels). It must be what its sources give, export what edgembed.mjs exports, give the same vectors bit for
bit, and be what the demo loads."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from exporter.pipeline import export
from tests.conftest import WEB, node_marks

pytestmark = node_marks("esbuild")
RUNTIME = WEB / "runtime"


def _node(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["node", *args], capture_output=True, text=True, timeout=300, cwd=WEB)


def test_bundle_is_what_the_sources_give():
    proc = _node("scripts/build_bundle.mjs", "--check")
    assert proc.returncode == 0, proc.stderr


def test_bundle_keeps_on_demand_modules_out():
    code = (RUNTIME / "edgembed.bundle.mjs").read_text(encoding="utf-8")
    assert sorted(re.findall(r'import\("(\./[\w.]+)"\)', code)) == ["./onnx.mjs", "./pool.mjs", "./selftest.mjs", "./tokenize_core.mjs"]
    assert not re.search(r"^\s*import\s", code, re.M), "no static import left: one request"
    assert "InferenceSession" not in code and "InferenceSession" in (RUNTIME / "onnx.mjs").read_text(encoding="utf-8")


@pytest.mark.parametrize("quant,dims", [("int8", 256), ("fp32", 64), ("int4", 77), ("pq16", 64)])
def test_bundle_gives_the_modules_vectors(distilled_dir, texts, tmp_path, quant, dims):
    out = tmp_path / "export"
    export(distilled_dir, out, dims=dims, quant=quant, demo=False)
    (tmp_path / "texts.json").write_text(json.dumps(texts + ["a cat sits on the mat"]), encoding="utf-8")
    proc = _node("scripts/bundle_check.mjs", str(out), str(tmp_path / "texts.json"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    res = json.loads(proc.stdout)
    assert res["identical"], res["paths"]
    source = (RUNTIME / "edgembed.mjs").read_text(encoding="utf-8")
    reexported = [n.strip() for names in re.findall(r"^export \{([^}]+)\} from ", source, re.M) for n in names.split(",")]
    assert res["exports"] == sorted(re.findall(r"^export (?:async )?(?:const|function|class) (\w+)", source, re.M) + reexported)


def test_demo_loads_the_bundle(distilled_dir, tmp_path):
    out = tmp_path / "export"
    export(distilled_dir, out, dims=32, quant="int8", demo=True)
    html = (out / "index.html").read_text(encoding="utf-8")
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)"', html)
    assert "demo/runtime/edgembed.bundle.mjs" in preloads and "demo/runtime/wordpiece.mjs" not in preloads, preloads
    assert 'from "./runtime/edgembed.bundle.mjs"' in (out / "demo" / "app.mjs").read_text(encoding="utf-8")
    assert (out / "demo" / "runtime" / "edgembed.bundle.mjs").read_bytes() == (RUNTIME / "edgembed.bundle.mjs").read_bytes()
    for f in ("onnx.mjs", "pool.mjs", "selftest.mjs", "flat_worker.mjs"):  # what the bundle and the pool load on demand
        assert (out / "demo" / "runtime" / f).is_file(), f
    assert "demo/runtime/edgembed.bundle.mjs" in json.loads((out / "manifest.json").read_text())["sha256"]
