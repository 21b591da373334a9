"""The JS runtime's module graph: which modules of web/runtime/ a module imports statically (the edge worker bundles
them; web/scripts/build_bundle.mjs puts them in one file for pages)."""

from __future__ import annotations

import re
from pathlib import Path

from exporter.errors import EdgembedError

RUNTIME_ENTRY = "edgembed.mjs"
_STATIC = re.compile(r"""^\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']""", re.M)


def runtime_modules(runtime: Path, entry: str = RUNTIME_ENTRY) -> list[str]:
    """The runtime modules ENTRY imports statically, transitively (file names in RUNTIME, entry first).

    Dynamic ``import()``s are not followed (onnx backend, worker pool, the tokenizers library: loaded on demand).
    A static import of anything outside RUNTIME is an error: neither the worker nor a page could load it."""
    order: list[str] = []
    todo = [entry]
    while todo:
        name = todo.pop(0)
        if name in order:
            continue
        path = runtime / name
        if not path.is_file():
            raise EdgembedError(f"the runtime module {path} is missing")
        order.append(name)
        for m in _STATIC.finditer(_code(path.read_text(encoding="utf-8"))):
            spec = m.group(1) or m.group(2)
            if not spec.startswith("./") or "/" in spec[2:]:
                raise EdgembedError(f"runtime module {name} statically imports '{spec}': only modules of web/runtime/ "
                                    "can be bundled and preloaded")
            todo.append(spec[2:])
    return order


def _code(text: str) -> str:
    """JS source with // line comments blanked (a comment may quote an import line)."""
    return re.sub(r"^\s*//.*$", "", text, flags=re.M)
