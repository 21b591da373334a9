"""Build hook: the wheel carries the JS runtime, the demo templates and the vendored browser files.

``build_py`` copies them from ``web/`` (and ``web/node_modules``, filled by ``npm ci``) into ``exporter/_web/``
of the build tree; a missing browser file stops the build (see exporter/targets/assets.py). Editable installs read
``web/`` in place, so they need no copy (and no npm yet)."""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


def _assets():
    spec = importlib.util.spec_from_file_location("_edgembed_assets", ROOT / "exporter" / "targets" / "assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildPyWithWeb(build_py):
    def run(self):
        editable = getattr(self, "editable_mode", False)
        if not editable:  # a stale build/lib (a module deleted since the last build) must not reach the wheel
            for package in ("edgembed", "exporter"):
                shutil.rmtree(Path(self.build_lib) / package, ignore_errors=True)
        super().run()
        if editable:
            return
        files = _assets().stage_web(Path(self.build_lib) / "exporter" / "_web", ROOT / "web")
        self.announce(f"edgembed: staged {len(files)} web files into exporter/_web", level=2)


setup(cmdclass={"build_py": BuildPyWithWeb})
