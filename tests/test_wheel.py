"""The wheel is the product: `pip wheel .` builds one wheel carrying the JS runtime, the demo templates, the
vendored browser files, the bundled data and the default model; installed alone in a fresh venv (no extras: no
torch, no model2vec, no sentence-transformers), offline, with no source tree and no node/npm on PATH, `edgembed
export` of the default model (demo on), `embed`, `serve`, `parity` (torch rows skipped with their reason) and `eval`
work, and the exported demo embeds in Chromium (flat and onnx) equal to the installed Python flat backend. A
checkout without the browser files cannot build a wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest

from exporter.targets.assets import VENDOR
from tests.conftest import ROOT, WEB

MAX_WHEEL = 60 * 1024 * 1024

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not all((WEB / "node_modules" / n / "package.json").is_file() for n in VENDOR),
                                 reason="web/node_modules is not installed (cd web && npm ci)")]


def _run(cmd: list, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out, ROOT], ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (whl,) = out.glob("edgembed-*.whl")
    assert not (ROOT / "exporter" / "_web").exists(), "the build stages web files in build/, never in the source tree"
    return whl


def test_wheel_carries_the_web_files_and_data(wheel):
    size = wheel.stat().st_size
    assert size <= MAX_WHEEL, size
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        read = z.read
        runtime = sorted(p.name for p in (WEB / "runtime").glob("*.mjs"))
        assert runtime and {f"exporter/_web/runtime/{f}" for f in [*runtime, "index.d.ts", "package.json"]} <= names
        for f in runtime:
            assert read(f"exporter/_web/runtime/{f}") == (WEB / "runtime" / f).read_bytes(), f
        for f in (WEB / "templates").iterdir():
            if f.is_file():
                assert read(f"exporter/_web/templates/{f.name}") == f.read_bytes(), f.name
        for name, files in VENDOR.items():
            for f in ("package.json", *files):
                assert read(f"exporter/_web/node_modules/{name}/{f}") == (WEB / "node_modules" / name / f).read_bytes()
        assert json.loads(read("exporter/_web/package.json"))["dependencies"] == json.loads((WEB / "package.json").read_text())["dependencies"]
        for ds in ("cranfield", "cisi"):
            for f in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
                assert read(f"exporter/data/{ds}/{f}") == (ROOT / "exporter" / "data" / ds / f).read_bytes()
        assert "exporter/data/README.md" in names and "exporter/targets/assets.py" in names
        assert read("edgembed/__init__.py") == (ROOT / "edgembed" / "__init__.py").read_bytes()  # `import edgembed`
        for f in (ROOT / "exporter" / "data" / "default_model").iterdir():
            assert read(f"exporter/data/default_model/{f.name}") == f.read_bytes(), f.name
        assert not [n for n in names if n.startswith(("tests/", "web/", "benchmarks/")) or "__pycache__" in n]
    print(f"wheel {wheel.name}: {size:,} bytes")


def test_wheel_without_browser_files_fails_loudly(tmp_path):
    """A checkout whose web/node_modules is missing does not build a wheel (never a wheel with a broken demo)."""
    src = tmp_path / "src"
    for package in ("edgembed", "exporter"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "_web"))
    for f in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / f, src / f)
    for d in ("runtime", "templates"):
        shutil.copytree(WEB / d, src / "web" / d)
    shutil.copy(WEB / "package.json", src / "web" / "package.json")
    proc = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", tmp_path / "out", src], src)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "cannot build the wheel, the web demo's files are missing" in out and "npm ci" in out, out[-3000:]
    assert not list(tmp_path.rglob("*.whl"))


def _path_without_node(first: Path) -> str:
    """FIRST, then every PATH folder that holds no node, npm or npx."""
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not any(os.access(os.path.join(d, x), os.X_OK) for x in ("node", "npm", "npx"))]
    return os.pathsep.join([str(first), *keep])


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> dict:
    """A fresh venv holding the wheel alone (its core dependencies from the package index / pip cache, no extras);
    commands run outside the checkout, offline (HF_HUB_OFFLINE), with an empty cache, without PYTHONPATH and with
    node/npm off PATH."""
    root = tmp_path_factory.mktemp("venv")
    venv = root / "venv"
    proc = _run([sys.executable, "-m", "venv", venv], root)
    assert proc.returncode == 0, proc.stderr
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    # without PYTHONPATH: a checkout on it (with the edgembed.egg-info a build leaves there) reads as "already installed"
    proc = _run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel], root, env=dict(env), timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    env.update(PATH=_path_without_node(venv / "bin"), VIRTUAL_ENV=str(venv), XDG_CACHE_HOME=str(root / "cache"),
               HF_HUB_OFFLINE="1")
    work = root / "work"
    work.mkdir()
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
    print(f"light install: {size / 1e6:.0f} MB in the venv (wheel {wheel.stat().st_size:,} B)")
    return {"py": py, "edgembed": venv / "bin" / "edgembed", "env": env, "work": work}


def _edgembed(venv: dict, *args, timeout: int = 600) -> subprocess.CompletedProcess:
    return _run([venv["edgembed"], *args], venv["work"], venv["env"], timeout)


@pytest.fixture(scope="module")
def installed_export(venv, texts) -> dict:
    """`edgembed export --dims 256 --quant int8` (the default model, demo on by default; the first export on this
    machine, so the character table is probed too) and `edgembed embed` by the installed package."""
    import resource
    import time

    cpu = lambda: (lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(resource.RUSAGE_CHILDREN))  # noqa: E731
    t0, c0 = time.perf_counter(), cpu()
    proc = _edgembed(venv, "export", "--dims", "256", "--quant", "int8", "--out", "site")
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"light install: first export of the default model in {time.perf_counter() - t0:.1f} s "
          f"(CPU {cpu() - c0:.1f} s, user + sys; load average {os.getloadavg()[0]:.1f})")
    # the ~10 s probe says what it is doing (no terminal here: one line, not a bar), and only the first time
    assert "probing tokenizers" in proc.stderr and "cached in" in proc.stderr, proc.stderr[-2000:]
    t0, c0 = time.perf_counter(), cpu()
    proc = _edgembed(venv, "export", "--dims", "256", "--quant", "int8", "--out", "site")
    assert proc.returncode == 0 and "probing" not in proc.stderr, proc.stderr[-3000:]
    print(f"light install: the next export in {time.perf_counter() - t0:.1f} s (CPU {cpu() - c0:.1f} s)")
    (venv["work"] / "texts.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    proc = _edgembed(venv, "embed", "site", "--backend", "flat", "--input", "texts.jsonl", "--output", "flat.npy")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {"folder": venv["work"] / "site", "flat": np.load(venv["work"] / "flat.npy")}


def test_installed_package_runs_without_source_or_node(venv, installed_export, texts):
    env = venv["env"]
    for heavy in ("torch", "model2vec", "sentence_transformers"):
        proc = _run([venv["py"], "-c", f"import {heavy}"], venv["work"], env)
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, f"{heavy} is installed by the wheel alone"
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("npm", path=env["PATH"]) is None
    probe = "import exporter, exporter.targets.assets as a, exporter.targets.web as w; print(exporter.__file__); print(a.INSTALLED, w.WEB)"
    proc = _run([venv["py"], "-c", probe], venv["work"], env)
    assert proc.returncode == 0, proc.stderr
    where, flags = proc.stdout.splitlines()
    assert "site-packages" in where and not where.startswith(str(ROOT))
    assert flags.startswith("True ") and flags.endswith("exporter/_web")

    folder = installed_export["folder"]
    man = json.loads((folder / "manifest.json").read_text())
    assert man["files"]["demo"] == "index.html" and man["quant"] == "int8", "the demo is on by default"
    for name, files in VENDOR.items():
        for f in files:
            assert (folder / "demo" / "vendor" / Path(f).name).read_bytes() == (WEB / "node_modules" / name / f).read_bytes()
    assert sorted(p.name for p in (folder / "demo" / "runtime").glob("*.mjs")) == sorted(p.name for p in (WEB / "runtime").glob("*.mjs"))
    import exporter

    assert np.abs(installed_export["flat"] - exporter.load(folder, backend="flat").encode(texts)).max() <= 1e-6

    proc = _edgembed(venv, "embed", "/no/such/dir", "--input", "texts.jsonl", "--output", "x.npy")
    assert proc.returncode == 2 and proc.stderr.strip() == ("edgembed: error: /no/such/dir does not exist "
                                                            "(expected an export folder from 'edgembed export')")


def test_installed_import_edgembed(venv, installed_export, texts):
    """`import edgembed` (the product's name) in the fresh venv: `edgembed.export(out=...)` exports the default
    model with the CLI's defaults, the web demo included: the same files, byte for byte, as `edgembed export`
    (given the same --dims; the manifest differs only where it names the folder), and the same vectors."""
    code = ("import edgembed, exporter, json, sys; assert edgembed.export is exporter.export; "
            "m = edgembed.export(out='api-site', dims=256); "
            "print(json.dumps({'file': edgembed.__file__, 'files': m['files'], 'source': m['source']}))")
    proc = _run([venv["py"], "-c", code], venv["work"], venv["env"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    assert "site-packages" in got["file"] and not got["file"].startswith(str(ROOT))
    assert got["source"]["kind"] == "default" and got["files"]["demo"] == "index.html", got
    api, cli = venv["work"] / "api-site", installed_export["folder"]
    files = lambda root: sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())  # noqa: E731
    assert files(api) == files(cli)
    assert json.loads((api / "manifest.json").read_text())["sha256"] == json.loads((cli / "manifest.json").read_text())["sha256"]
    import exporter

    assert np.abs(exporter.load(api, backend="flat").encode(texts) - installed_export["flat"]).max() <= 1e-6
    proc = _run([venv["py"], "-c", "import edgembed; edgembed.export()"], venv["work"], venv["env"])
    assert proc.returncode != 0 and "EdgembedError: export() needs the output folder" in proc.stderr


def test_installed_serve(venv, installed_export):
    proc = subprocess.Popen([str(venv["edgembed"]), "serve", str(installed_export["folder"]), "--port", "0"],
                            cwd=venv["work"], env=venv["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = line.split(" at ", 1)[1].split(";", 1)[0]
        assert url.startswith("http://127.0.0.1:"), line
        with urllib.request.urlopen(url + "index.html", timeout=30) as r:
            assert r.headers["Content-Type"].startswith("text/html") and b"importmap" in r.read()
        with urllib.request.urlopen(url + "demo/vendor/ort-wasm-simd-threaded.wasm", timeout=30) as r:
            assert r.headers["Content-Type"] == "application/wasm" and r.read(4) == b"\0asm"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_installed_parity_and_eval(venv, installed_export):
    folder = installed_export["folder"]
    proc = _edgembed(venv, "parity", folder, "--report", "parity.md")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads((venv["work"] / "parity.json").read_text())
    status = {r["backend"]: r["status"] for r in report["backends"]}
    assert all(status[b] == "pass" for b in ("onnx-cpu", "flat")) and "fail" not in status.values(), status
    reasons = {r["backend"]: r.get("reason", "") for r in report["backends"]}
    assert status["torch-cpu"] == status["torch-cuda"] == "skipped" and "PyTorch is not installed" in reasons["torch-cpu"]
    proc = _edgembed(venv, "eval", "--data", "cranfield", "--dims", "64", "--quant", "int8", "--output", "eval.json", "--no-progress")
    assert proc.returncode == 0, proc.stderr[-2000:]
    (cell,) = json.loads((venv["work"] / "eval.json").read_text())["cells"]
    assert cell["dims"] == 64 and 0.1 < cell["ndcg@10"] < 1
    assert "no plot: matplotlib is not installed" in proc.stdout


def test_installed_demo_in_chromium(installed_export, texts):
    """The installed package's demo, served on 127.0.0.1: both browser backends equal the installed Python flat
    backend to 1e-5, and no request leaves the origin."""
    from exporter.proof.browser import PageSpec, browser_available, browser_run

    ok, why = browser_available()
    if not ok:
        pytest.skip(f"no browser: {why}")
    folder = installed_export["folder"]
    reports = browser_run([PageSpec(folder, b, texts=texts, name=b) for b in ("flat", "onnx")])
    for rep in reports:
        assert rep.problems == [], (rep.name, rep.problems)
        assert rep.requests and all(u.startswith("http://127.0.0.1:") or u.startswith("data:") for u in rep.requests)
        diff = float(np.abs(rep.embeddings - installed_export["flat"]).max())
        assert diff <= 1e-5, (rep.name, diff)
        print(f"installed demo, {rep.name} in Chromium vs installed Python flat: {diff:.3g}")
