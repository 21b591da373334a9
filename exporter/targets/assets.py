"""Where the web files live: the installed wheel's ``exporter/_web/``, else the source checkout's ``web/``.

Both trees have one layout (``runtime/``, ``templates/``, ``package.json`` with the npm pins, and
``node_modules/<package>/`` holding the vendored browser files), so ``WEB / "runtime"`` means the same in both.
The wheel's copy is staged at build time by ``stage_web`` (called from setup.py's build_py), which refuses to
build a wheel without the browser files. Standard library only: setup.py loads this file by path.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

PACKAGED = Path(__file__).resolve().parents[1] / "_web"
CHECKOUT = Path(__file__).resolve().parents[2] / "web"
# an installed wheel carries _web/; a source checkout (editable install included) has web/ beside exporter/
INSTALLED = (PACKAGED / "runtime").is_dir()
WEB = PACKAGED if INSTALLED else CHECKOUT
# what a wheel carries from the checkout's web/: whole folders (every file in them, not a hand list) and files
WEB_DIRS = ("runtime", "templates", "edge")
WEB_FILES = ("package.json",)
# npm package -> files copied into demo/vendor/ (the wasm build of onnxruntime-web, no bundler needed);
# @huggingface/tokenizers stays the runtime's fallback for tokenizers that are not plain WordPiece
VENDOR = {
    "@huggingface/tokenizers": ("dist/tokenizers.min.mjs",),
    "onnxruntime-web": ("dist/ort.wasm.min.mjs", "dist/ort-wasm-simd-threaded.mjs", "dist/ort-wasm-simd-threaded.wasm"),
}
_SKIP = ("__pycache__", "node_modules", ".DS_Store")


def vendor_files(web: Path, name: str) -> list[Path]:
    """The files of npm package NAME that must exist under WEB/node_modules: its package.json, then VENDOR's."""
    pkg = web / "node_modules" / name
    return [pkg / f for f in ("package.json", *VENDOR[name])]


def stage_web(dest: Path, src: Path = CHECKOUT) -> list[Path]:
    """Copy the web files a wheel ships from the checkout SRC into DEST (emptied first); returns the files.

    Raises RuntimeError naming every missing vendored file: a wheel without the browser files must not build."""
    missing = [p for name in VENDOR for p in vendor_files(src, name) if not p.is_file()]
    missing += [src / d for d in ("runtime", "templates") if not (src / d).is_dir()]
    if missing:
        raise RuntimeError("edgembed: cannot build the wheel, the web demo's files are missing: "
                           + ", ".join(map(str, missing))
                           + f". Run `cd {src} && ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci` (scripts/setup.sh does) first.")
    if dest.exists():
        shutil.rmtree(dest)
    copied: list[Path] = []

    def copy(a: Path, b: Path) -> None:
        b.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(a, b)
        copied.append(b)

    for d in WEB_DIRS:
        for f in sorted((src / d).rglob("*")) if (src / d).is_dir() else []:
            rel = f.relative_to(src)
            if f.is_file() and not any(part in _SKIP for part in rel.parts):
                copy(f, dest / rel)
    for f in WEB_FILES:
        copy(src / f, dest / f)
    for name in VENDOR:
        pkg = src / "node_modules" / name
        licences = [p for p in pkg.iterdir() if p.is_file() and p.name.upper().startswith(("LICENSE", "LICENCE", "NOTICE"))]
        for f in [*vendor_files(src, name), *licences]:
            copy(f, dest / f.relative_to(src))
    versions = {n: json.loads((src / "node_modules" / n / "package.json").read_text(encoding="utf-8"))["version"] for n in VENDOR}
    (dest / "STAGED.json").write_text(json.dumps({"from": "web/", "vendor": versions}, indent=2) + "\n", encoding="utf-8")
    return copied
