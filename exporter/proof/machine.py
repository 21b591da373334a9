"""What machine a report was measured on: CPU, GPU, Python, library and Node versions."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata

LIBRARIES = ("edgembed", "numpy", "tokenizers", "onnx", "onnxruntime", "onnxruntime-gpu", "torch",
             "sentence-transformers", "model2vec", "safetensors")


def cpu_name() -> str:
    """The CPU model name (from /proc/cpuinfo on Linux), else platform.processor()."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def gpu_name() -> str | None:
    """The name of CUDA device 0 as torch sees it, or None (no torch, no CUDA)."""
    try:
        import torch
    except ImportError:
        return None
    try:
        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # a broken driver is reported as no GPU
        return None


def versions() -> dict[str, str]:
    """Installed versions of the libraries the backends use (absent ones are left out)."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def node_version() -> str | None:
    """``node --version`` ("v22.12.0"), or None without node on PATH."""
    node = shutil.which("node")
    if node is None:
        return None
    try:
        out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def onnx_providers() -> list[str]:
    try:
        import onnxruntime

        return list(onnxruntime.get_available_providers())
    except ImportError:
        return []


def machine_info() -> dict:
    """CPU, core count, GPU, OS, Python, library and Node versions, as one JSON-ready dict."""
    info = {
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "gpu": gpu_name(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "libraries": versions(),
        "node": node_version(),
        "onnxruntime_providers": onnx_providers(),
    }
    try:
        import torch

        info["torch_cuda"] = torch.version.cuda
    except ImportError:
        pass
    return info
