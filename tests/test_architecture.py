"""The package is laid out by pipeline stage (docs/architecture.md), and data flows one way:
source -> table + tokenizer -> artifacts -> runtimes -> reports. Read from the source with ast: every import of an
exporter module, lazy (inside a function) or not, counts."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PKG = ROOT / "exporter"
# stage -> rank; a module may import its own stage's modules and those of lower ranks only
RANKS = {"common": 0, "sources": 1, "formats": 2, "targets": 3, "runtimes": 4, "proof": 5, "search": 5, "entry": 9}
COMMON = {"exporter.errors", "exporter.fsutil", "exporter.inputs", "exporter.texts"}
ENTRY = {"exporter", "exporter.__main__", "exporter.cli"}
TOP = {"exporter.pipeline": "targets"}  # the export pipeline assembles artifacts: it ranks with the targets


def modules() -> dict[str, Path]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        if "_web" in p.parts:
            continue
        rel = p.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = p
    return out


def stage(mod: str) -> str:
    if mod in COMMON:
        return "common"
    if mod in ENTRY:
        return "entry"
    if mod in TOP:
        return TOP[mod]
    parts = mod.split(".")
    assert len(parts) >= 2 and parts[1] in RANKS, f"{mod} belongs to no stage: put it in a stage's sub-package"
    return parts[1]


def imports(mod: str, path: Path, known: set[str]) -> set[str]:
    """The exporter modules MOD imports (a `from exporter.x import name` of a submodule counts as that submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    pkg = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("exporter")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(pkg.split(".")[: len(pkg.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("exporter"):
                continue
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
    return {m for m in out if m in known and m != mod}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(m, p, set(mods)) for m, p in mods.items()}


def test_every_module_belongs_to_a_stage():
    for mod in modules():
        stage(mod)


def test_imports_flow_downstream_only():
    bad = []
    for mod, deps in graph().items():
        s = stage(mod)
        for d in deps:
            t = stage(d)
            if d == "exporter" or (RANKS[t] > RANKS[s]) or (RANKS[t] == RANKS[s] and t != s):
                bad.append(f"{mod} ({s}) imports {d} ({t})")
    assert not bad, "imports against the pipeline's direction:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(g[m]):
            if state.get(d) == 1:
                cycles.append(" -> ".join(path[path.index(d):] + [d]) if d in path else f"{m} -> {d}")
            elif d not in state:
                visit(d, path + [d])
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_assets_module_is_standalone():
    """setup.py loads exporter/targets/assets.py by path at build time: it may import the standard library only."""
    assert imports("exporter.targets.assets", PKG / "targets" / "assets.py", set(modules())) == set()


def test_stage_packages_stay_small():
    """A dozen modules per folder at most (then split it by concern)."""
    for d in [PKG, *[p for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").is_file()]]:
        mods = [p for p in d.glob("*.py") if p.name != "__init__.py"]
        assert len(mods) <= 12, f"{d.relative_to(ROOT)} holds {len(mods)} modules"


def test_edgembed_package_is_the_public_api_only():
    """``import edgembed`` (the product's name) is one module re-exporting exporter/__init__.py's public API:
    it imports the ``exporter`` package root and nothing deeper, no exporter module imports it, and the two
    packages expose the same names."""
    import edgembed
    import exporter

    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "edgembed").rglob("*.py"))
    assert files == ["edgembed/__init__.py"], files
    tree = ast.parse((ROOT / "edgembed" / "__init__.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported == {"exporter"}, imported
    users = [m for m, p in modules().items() if "edgembed" in {a.name.split(".")[0] for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                                                           if isinstance(n, ast.Import) for a in n.names}
             | {(n.module or "").split(".")[0] for n in ast.walk(ast.parse(p.read_text(encoding="utf-8"))) if isinstance(n, ast.ImportFrom)}]
    assert not users, f"exporter modules import edgembed: {users}"
    assert set(edgembed.__all__) - {"__version__"} == set(exporter.__all__)
    for name in exporter.__all__:
        assert getattr(edgembed, name) is getattr(exporter, name), name
    assert edgembed.__version__ == exporter.__version__


def test_no_merge_conflict_markers():
    """No tracked text file carries a leftover merge-conflict marker."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    files = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True, check=True).stdout.split("\n")
    bad = []
    for rel in files:
        if not rel.endswith((".py", ".md", ".mjs", ".js", ".ts", ".json", ".css", ".j2", ".sh", ".toml", ".txt", ".html")):
            continue
        try:
            text = (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        bad += [f"{rel}:{n}" for n, line in enumerate(text.splitlines(), 1)
                if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "======="]
    assert not bad, f"merge-conflict markers: {bad[:10]}"
