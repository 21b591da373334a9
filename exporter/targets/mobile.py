"""``--target mobile``: the ONNX model in ORT format plus the operator list for a reduced onnxruntime build."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from exporter.errors import EdgembedError

ORT_FILE = "mobile/model.ort"
CONFIG_FILE = "mobile/required_operators.config"
CONVERTER = "onnxruntime.tools.convert_onnx_models_to_ort"


def write_mobile(out_dir: Path, onnx_rel: str) -> dict[str, str]:
    """Convert OUT_DIR/ONNX_REL to ``mobile/model.ort`` + ``mobile/required_operators.config``.

    Runs onnxruntime's converter (``--optimization_style Fixed``: optimizations baked in, no runtime
    replay needed) on a copy in a temp folder, quietly; returns the manifest ``files`` entries.
    """
    out_dir = Path(out_dir)
    src = out_dir / onnx_rel
    with tempfile.TemporaryDirectory(prefix="edgembed-ort-") as work:
        work_dir = Path(work)
        shutil.copyfile(src, work_dir / "model.onnx")
        conv_dir = work_dir / "out"
        cmd = [sys.executable, "-m", CONVERTER, "--optimization_style", "Fixed",
               "--output_dir", str(conv_dir), str(work_dir / "model.onnx")]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
        except OSError as e:
            raise EdgembedError(f"cannot run the ORT converter: {e}") from None
        ort_path, cfg_path = conv_dir / "model.ort", conv_dir / "model.required_operators.config"
        if proc.returncode != 0 or not ort_path.is_file() or not cfg_path.is_file():
            raise EdgembedError(f"ORT-format conversion failed: {_last_line(proc.stderr or proc.stdout)}")
        (out_dir / ORT_FILE).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(ort_path), out_dir / ORT_FILE)
        (out_dir / CONFIG_FILE).write_text(_clean_config(cfg_path.read_text(encoding="utf-8"), _ort_version()), encoding="utf-8")
    return {"ort": ORT_FILE, "ort_config": CONFIG_FILE}


def _clean_config(text: str, ort_version: str) -> str:
    """The converter's config with its temp-folder paths replaced by the shipped file name (plus the
    converter's onnxruntime version: run the .ort with that version or newer)."""
    lines = []
    for line in text.splitlines():
        if line.startswith("# - "):
            lines.append("# - model.ort")
            lines.append(f"# converted by onnxruntime {ort_version} (--optimization_style Fixed)")
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def _ort_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for dist in ("onnxruntime", "onnxruntime-gpu"):
        try:
            return version(dist)
        except PackageNotFoundError:
            continue
    return "unknown"


def read_config(path: Path) -> dict[str, dict[int, set[str]]]:
    """Parse a required_operators.config: {domain: {since_version: {op types}}}."""
    ops: dict[str, dict[int, set[str]]] = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        domain, version, names = line.split(";")
        ops.setdefault(domain, {}).setdefault(int(version), set()).update(n for n in names.split(",") if n)
    return ops


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
