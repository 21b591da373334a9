"""Which browser engines can run here, and the executables each one's driver needs (never a downloaded browser).

chromium: Debian's chromium (or $EDGEMBED_CHROMIUM) through npm playwright-core. firefox: Debian's firefox-esr (or
$EDGEMBED_FIREFOX) through npm puppeteer-core over WebDriver BiDi. webkit: WebKitGTK's MiniBrowser (or
$EDGEMBED_MINIBROWSER) through WebKitWebDriver (or $EDGEMBED_WEBKIT_DRIVER) and npm selenium-webdriver, on an
Xvfb display. All of them: node on PATH and a source checkout's web/ with its npm packages installed."""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from exporter.targets.assets import CHECKOUT as WEB  # the drivers and their npm packages: a source checkout only
from exporter.targets.web import npm_install_hint

ENGINES = ("chromium", "firefox", "webkit")
HOST = WEB / "scripts" / "engine_host.mjs"
NPM = {"chromium": "playwright-core", "firefox": "puppeteer-core", "webkit": "selenium-webdriver"}
APT = {"chromium": "chromium", "firefox": "firefox-esr", "webkit": "webkit2gtk-driver"}


def _env_or(var: str, candidates: list[str], which: tuple[str, ...] = ()) -> str | None:
    """$VAR when it names a file (None when it names nothing), else the first candidate file, else PATH."""
    if os.environ.get(var):
        return os.environ[var] if Path(os.environ[var]).is_file() else None
    for c in candidates:
        if Path(c).is_file():
            return c
    for name in which:
        if shutil.which(name):
            return shutil.which(name)
    return None


def executables(name: str) -> dict[str, str | None]:
    """The files ENGINE needs, by role (a missing one is None)."""
    if name == "chromium":
        from exporter.proof.browser import chromium_path

        return {"executable": chromium_path()}
    if name == "firefox":
        return {"executable": _env_or("EDGEMBED_FIREFOX", ["/usr/bin/firefox-esr", "/usr/bin/firefox"])}
    if name == "webkit":
        minis = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser") + glob.glob("/usr/libexec/webkit2gtk-4.*/MiniBrowser"))
        return {"executable": _env_or("EDGEMBED_MINIBROWSER", minis[::-1]),
                "driver": _env_or("EDGEMBED_WEBKIT_DRIVER", [], ("WebKitWebDriver",)),
                "xvfb": shutil.which("Xvfb")}
    raise ValueError(name)


def engine_available(name: str) -> tuple[bool, str]:
    """(True, "") when ENGINE can run here; else (False, a one-line reason naming what to install)."""
    if name not in ENGINES:
        return False, f"unknown engine '{name}': choose {', '.join(ENGINES)}"
    if shutil.which("node") is None:
        return False, "no node on PATH"
    if not HOST.is_file():
        return False, f"the engine drivers come with a source checkout of edgembed ({HOST} is missing)"
    if not (WEB / "node_modules" / NPM[name] / "package.json").is_file():
        return False, f"npm {NPM[name]} is not installed: run `{npm_install_hint()}`"
    hints = {"executable": f"apt-get install {APT[name]}", "driver": "apt-get install webkit2gtk-driver",
             "xvfb": "apt-get install xvfb"}
    env = {("chromium", "executable"): "EDGEMBED_CHROMIUM", ("firefox", "executable"): "EDGEMBED_FIREFOX",
           ("webkit", "executable"): "EDGEMBED_MINIBROWSER", ("webkit", "driver"): "EDGEMBED_WEBKIT_DRIVER"}
    for role, path in executables(name).items():
        if path is None:
            var = env.get((name, role))
            how = f"{hints[role]}, or set {var}" if var else hints[role]
            set_to = f" (${var}={os.environ[var]} is not a file)" if var and os.environ.get(var) else ""
            return False, f"no {name} {role}{set_to}: {how}"
    return True, ""
