"""Every command in the shell blocks of README.md and docs/*.md, run as written, as a new user would run it.

A command is a line of a ```bash / sh / shell / console block (or a `$ ` line of any block), without its comment,
split at `&&`: `cd x && npx …` is two commands. Each one is in exactly one of three tables:

- GROUPS: run here, as written, in a non-interactive shell (stdin closed, no TTY) in a temp folder, with a fresh
  HOME, XDG_CACHE_HOME and npm cache (shared by the groups of one run, so the first export pays the cold cache);
  exit 0 required. Servers are started, asked (the docs' own curl lines, or one GET), stopped the way the docs
  say (Ctrl-C: SIGINT to the process group; a process manager: SIGTERM to the PID), and no process may be left.
- COVERED: run as written by another test (named, with a string that test must contain).
- SKIP: cannot run here, with the reason.

A docs command in none of them fails test_every_docs_command_is_accounted_for: a new command in the docs needs a
line here. To add one: put it in the group whose folder it needs (or a new Group), or in SKIP with the reason.
Placeholders of synopsis lines (DIR, SITE_DIR, [MODEL]) are filled from PLACEHOLDERS, the only rewrite made.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, WEB

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGS = {"bash", "sh", "shell", "console"}
PLACEHOLDERS = {"[MODEL] ": "", "DIR": "dist/minilm-256-int8", "SITE_DIR": "public/"}  # cli.md's synopsis
PORT = 8000  # every server in the docs listens on it


# ---------------------------------------------------------------- extraction


def _strip_comment(line: str) -> str:
    """LINE without a shell comment (a # at a word start, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _split_and(line: str) -> list[str]:
    """LINE split at `&&` outside quotes and parentheses."""
    parts, quote, depth, start, i = [], None, 0, 0, 0
    while i < len(line):
        ch = line[i]
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif line.startswith("&&", i) and depth == 0:
            parts.append(line[start:i])
            start = i + 2
            i += 1
        i += 1
    parts.append(line[start:])
    return [p.strip() for p in parts if p.strip()]


def doc_commands() -> dict[str, list[str]]:
    """{command: [where it is written, as "docs/cli.md:5"]} over every docs file."""
    found: dict[str, list[str]] = {}
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        lang, pending = None, ""
        for n, raw in enumerate(lines, 1):
            fence = re.match(r"^\s*```+\s*([\w+-]*)", raw)
            if fence:
                lang = None if lang is not None else fence.group(1).lower()
                continue
            if lang is None:
                continue
            line = pending + raw.strip()
            pending = ""
            if line.startswith("$ "):
                line = line[2:]
            elif lang not in SHELL_LANGS:  # output blocks: only `$ ` lines are commands
                continue
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            for cmd in _split_and(_strip_comment(line)):
                found.setdefault(cmd, []).append(f"{doc.relative_to(ROOT)}:{n}")
    return found


# ---------------------------------------------------------------- the tables


@dataclass
class Serve:
    """A docs command that serves on PORT until stopped; ASK: docs commands run while it serves (or one GET)."""

    cmd: list[str]  # run as one line joined by " && " (as the docs write it)
    ask: list[str] = field(default_factory=list)
    before: list[str] = field(default_factory=list)  # docs commands run to completion first, in CWD
    cwd: str = "."  # where the docs say to run it (edge.md: "From `edge/`")
    get: str = "/"  # the harness's own request when ASK is empty
    stop: str = "ctrl-c"  # "ctrl-c": SIGINT to the process group (a terminal); "kill": SIGTERM to the PID only
    ready_s: float = 240  # npx downloads the runtime on first use


@dataclass
class Group:
    """Commands sharing one folder, run in order. PREPARE writes the inputs a reader would have (never a docs command)."""

    steps: list  # docs commands (str) and Serve
    prepare: tuple[str, ...] = ()


ASK_OPENAI = "curl -s localhost:8000/v1/embeddings -d '{\"input\": [\"a cat sits\"], \"dimensions\": 64}'"
ASK_EMBED = "curl -s localhost:8000/embed -H 'content-type: application/json' -d '{\"texts\": [\"a cat sits\", \"\"]}'"
ASK_IDS = "curl -s localhost:8000/v1/embeddings -d '{\"input\": [[2023, 4937]], \"encoding_format\": \"base64\"}'"

GROUPS: dict[str, Group] = {
    "readme-site": Group([
        "edgembed export --dims 256 --quant int8 --out dist/site",
        Serve(["edgembed serve dist/site"], stop="kill"),
        "edgembed export --quant int8 --out dist/site",  # web.md: the same folder, replaced
        Serve(["edgembed serve dist/site --port 8000"], stop="ctrl-c"),
    ]),
    "main-job": Group([  # README's main job and cli.md's synopsis on one export (DIR)
        "edgembed export --dims 256 --quant int8 --out dist/minilm-256-int8",
        "edgembed export [MODEL] --dims 256 --quant int8 --out DIR",
        "edgembed parity dist/minilm-256-int8",
        "edgembed parity DIR --report parity.md",
        "edgembed embed DIR --backend flat --input texts.txt --output emb.npy",
        "edgembed bench DIR",
        Serve(["edgembed serve DIR --port 8000"], stop="kill"),
    ], prepare=("texts",)),
    "eval": Group(["edgembed eval --data cranfield --dims 256,128,64 --output eval.json"]),
    "edge": Group([
        "edgembed export --dims 128 --quant int4 --no-demo --target edge --out dist/edge-export",
        Serve(["cd dist/edge-export/edge", "npx --yes deno serve --port 8000 worker.mjs"], ask=[ASK_OPENAI]),
        "edgembed export --dims 128 --quant int4 --no-demo --target edge --out my-export",
        "edgembed export --dims 128 --quant int4 --no-demo --target edge --cors-origin https://app.example.com --out my-export",
        Serve(["npx --yes deno@2.9.6 serve --port 8000 worker.mjs"], ask=[ASK_EMBED, ASK_IDS], cwd="my-export/edge"),
        Serve(["node_modules/.bin/deno serve --port 8000 worker.mjs"], before=["npm install --prefix . --no-save deno@2.9.6"],
              ask=[ASK_EMBED], stop="kill", cwd="my-export/edge"),
        Serve(["npx --yes bun -e 'const w = (await import(\"./worker.mjs\")).default; Bun.serve({ port: 8000, fetch: w.fetch })'"],
              ask=[ASK_IDS], cwd="my-export/edge"),
    ]),
    "mobile": Group(["edgembed export --quant int8 --target mobile --no-demo --out my-export"]),
    "site-search": Group([
        "edgembed index public/",
        "edgembed search public/_edgembed \"how do I reset my password\" --json",
        "edgembed search public/_edgembed \"how do I cache the model\" --limit 5",
        "edgembed search public/_edgembed \"cache\" --mode keyword --json",
        "edgembed search public/_edgembed --queries queries.jsonl --mode hybrid",
        "edgembed index SITE_DIR",
        "edgembed search SITE_DIR/_edgembed \"a question\" --json",
    ], prepare=("site",)),
    "npm-package": Group([  # from a checkout's root (npm pack needs the folder it writes to)
        "mkdir -p dist",
        "(cd web/runtime && npm pack --pack-destination ../../dist)",
        "npm install ./dist/edgembed-0.1.0.tgz",
    ], prepare=("runtime",)),
}

EXPECT = {  # what a command's output must contain (otherwise: exit 0 and nothing more)
    ASK_OPENAI: r'"embedding": ?\[',
    ASK_EMBED: r'"embeddings"',
    ASK_IDS: r'"embedding": ?"',
    "edgembed search public/_edgembed \"how do I reset my password\" --json": r'"url"',
    "(cd web/runtime && npm pack --pack-destination ../../dist)": r"edgembed-0\.1\.0\.tgz",
    "edgembed parity dist/minilm-256-int8": r"\| browser-flat \| Chromium [^|]+ \| pass \|",  # the browsers ran (named), not skipped
    "edgembed parity DIR --report parity.md": r"\| browser-onnx \| Chromium [^|]+ \| pass \|",
}

COVERED = {  # command -> (the test that runs it, a string that test contains)
    "pip wheel --no-deps --no-build-isolation -w dist/ .": ("tests/test_wheel.py", '"pip", "wheel", "--no-deps", "--no-build-isolation"'),
    "pip install dist/edgembed-0.1.0-py3-none-any.whl": ("tests/test_wheel.py", '"-m", "pip", "install"'),
    "edgembed distill [BASE] --out DIR": ("tests/test_default_model.py", 'main(["distill", "--out"'),  # minutes of model2vec
    "edgembed index public/ --adapt": ("tests/test_adapt.py", '"--adapt", "--quiet"'),  # minutes of the teacher
}

SKIP = {
    "bash scripts/setup.sh": "installs apt, pip and npm packages as root; .ci/run runs it right before this suite, "
                             "so every other command here runs on what it installed",
    "python3 -m pytest -q -rs": "the whole suite (this test is part of it)",
    "pip install 'edgembed[distill]'": "installs the released package's extra from PyPI; scripts/setup.sh installs "
                                       "this checkout with every extra (.[test]) before the suite",
    "pip install edgembed": "installs the released package from PyPI, not this checkout (tests/test_wheel.py "
                            "installs this checkout's wheel in a fresh venv)",
    "your-site-generator build": "a placeholder for the reader's site generator (the test writes the pages it "
                                 "would build: _site())",
    "npm install edgembed base64-js react-native-fs": "installs into a React Native app's folder from the npm "
                                                      "registry; tests/test_hermes.py runs the same runtime in Hermes",
    "node web/scripts/hermes/bench.mjs DIR int8-256-export --repeat 5":
        "a benchmark: needs a `hermes_embed.mjs build` folder (DIR) and embeds 5 x 1,400 texts in the Hermes "
        "interpreter; tests/test_hermes.py runs the same bundle in Hermes",
}


# ---------------------------------------------------------------- inputs a reader would have


def _texts(folder: Path) -> None:
    (folder / "texts.txt").write_text("a cat sits\na kitten rests\n\nStatic embeddings run in browsers.\n")


def _site(folder: Path) -> None:
    """A small built static site (what `your-site-generator build` leaves in public/)."""
    pages = {
        "index.html": ("Home", "Welcome to the help center. Search for answers about accounts and caching."),
        "account/reset-password.html": ("Reset your password", "How do I reset my password? Open settings, choose "
                                        "Security, then Reset password; a link arrives by email."),
        "guide/cache.html": ("Cache the model", "The service worker caches the model after the first visit, so "
                             "later visits work offline. Clear the cache from the browser settings."),
        "guide/install.html": ("Install", "Install the package with pip, then export a model to a folder."),
    }
    for rel, (title, body) in pages.items():
        p = folder / "public" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"<!doctype html><html><head><title>{title}</title></head>"
                     f"<body><main><h1>{title}</h1><p>{body}</p></main></body></html>", encoding="utf-8")
    (folder / "queries.jsonl").write_text('{"text": "reset password"}\n{"text": "offline cache"}\n')


def _runtime(folder: Path) -> None:
    """The checkout's web/runtime (what `npm pack` packs), in the same place."""
    shutil.copytree(WEB / "runtime", folder / "web" / "runtime", ignore=shutil.ignore_patterns("node_modules"))


PREPARE = {"texts": _texts, "site": _site, "runtime": _runtime}


# ---------------------------------------------------------------- running


def _fill(cmd: str) -> str:
    """CMD with PLACEHOLDERS filled: [OPTIONAL] ones as text, NAMES as whole words."""
    for k, v in PLACEHOLDERS.items():
        cmd = cmd.replace(k, v) if k.startswith("[") else re.sub(rf"(?<![\w/]){re.escape(k)}\b", v, cmd)
    return re.sub(r"(?<=\w)//", "/", cmd)  # SITE_DIR/_edgembed: public/_edgembed


def _group_commands(group: Group) -> list[str]:
    out = []
    for s in group.steps:
        out += [s] if isinstance(s, str) else [*s.before, *s.cmd, *s.ask]
    return out


def _sessions(sid: int) -> list[str]:
    """The processes of session SID still alive (pid and command line)."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            fields = text[text.rindex(")") + 2:].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                left.append(f"{stat.parent.name} {cmdline.strip()}")
        except (OSError, ValueError, IndexError):
            continue
    return left


def _port_free() -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", PORT)) != 0


def _cpu() -> float:
    """CPU seconds (user + sys) of this process's finished children: a command's cost on an idle machine."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run(cmd: str, cwd: Path, env: dict, timeout: float = 900) -> str:
    filled = _fill(cmd)
    t0, c0 = time.perf_counter(), _cpu()
    proc = subprocess.run(["bash", "-c", filled], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)
    print(f"  {time.perf_counter() - t0:6.1f} s  cpu {_cpu() - c0:5.1f} s  rc {proc.returncode}  {filled}")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"`{filled}` (in {cwd}) exited {proc.returncode}:\n{out[-3000:]}"
    if cmd in EXPECT:
        assert re.search(EXPECT[cmd], out), f"`{filled}` printed no {EXPECT[cmd]!r}:\n{out[-2000:]}"
    return out


def _serve(s: Serve, folder: Path, env: dict) -> None:
    line = _fill(" && ".join(s.cmd))
    cwd = folder / s.cwd
    for cmd in s.before:
        _run(cmd, cwd, env)
    deadline = time.monotonic() + 60
    while not _port_free():  # another program on this (shared) machine
        assert time.monotonic() < deadline, f"port {PORT} is taken by another program: cannot run `{line}`"
        time.sleep(1)
    log = folder / f"serve-{abs(hash(line))}.log"
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(["bash", "-c", line], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while _port_free():
            assert proc.poll() is None, f"`{line}` exited {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
            assert time.perf_counter() - t0 < s.ready_s, f"`{line}` did not listen on {PORT} in {s.ready_s} s"
            time.sleep(0.2)
        print(f"  {time.perf_counter() - t0:6.1f} s  listening  {line}")
        if s.ask:
            for cmd in s.ask:
                _run(cmd, folder, env, timeout=60)
        else:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{s.get}", timeout=30) as r:
                assert r.status == 200 and r.read(), f"GET {s.get} of `{line}`"
        if s.stop == "kill":
            os.kill(proc.pid, signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + 15
        while (left := _sessions(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        how = "SIGTERM to its PID" if s.stop == "kill" else "Ctrl-C (SIGINT to its process group)"
        assert not left, f"`{line}` stopped by {how} left processes running: {left}"
        proc.wait(timeout=10)
    finally:
        if _sessions(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _sessions(proc.pid) and time.monotonic() < deadline:  # killed, not yet gone (the port with it)
                time.sleep(0.1)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory) -> dict:
    """A new user's environment: empty HOME, cache and npm cache (shared by this module's groups), no TTY."""
    root = tmp_path_factory.mktemp("newuser")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("npm_config_", "NPM_CONFIG_", "XDG_"))}
    bindir = str(Path(sys.executable).parent)  # the `edgembed` script of this Python (pyenv shims need the real HOME)
    env.update(HOME=str(root / "home"), XDG_CACHE_HOME=str(root / "cache"), npm_config_cache=str(root / "npm-cache"),
               PATH=f"{bindir}{os.pathsep}{env.get('PATH', '')}", TERM="dumb")
    env.pop("CI", None)  # npm treats CI as "yes" to npx's question: a user's shell does not set it
    (root / "home").mkdir()
    return env


def test_every_docs_command_is_accounted_for():
    found = doc_commands()
    assert len(found) >= 30, sorted(found)
    run = {c for g in GROUPS.values() for c in _group_commands(g)}
    listed = run | set(COVERED) | set(SKIP)
    missing = {c: w for c, w in found.items() if c not in listed}
    assert not missing, ("commands in the docs that tests/test_docs_commands.py neither runs nor lists "
                         f"(add each to GROUPS, COVERED or SKIP): {json.dumps(missing, indent=1)}")
    stale = sorted(listed - set(found))
    assert not stale, f"listed in tests/test_docs_commands.py but no longer in the docs (remove them): {stale}"
    assert not (run & set(SKIP)) and not (run & set(COVERED)), "a command is both run and skipped"
    for cmd, (test, needle) in COVERED.items():
        assert needle in (ROOT / test).read_text(encoding="utf-8"), f"{test} no longer runs `{cmd}`"


def test_every_npx_says_yes():
    """`npx pkg` without --yes stops at a prompt (or is canceled) where npm's "yes" is not set."""
    files = [*DOCS, ROOT / "exporter" / "targets" / "edge.py"]  # edge.py writes the worker folder's README
    code = [*doc_commands(), *(c for f in files for c in re.findall(r"`([^`\n]+)`", f.read_text(encoding="utf-8")))]
    bad = [c for c in code if re.search(r"(^|[\s(;&|])npx\s+(?!--yes\b|-y\b)", c)]
    assert any("npx --yes" in c for c in code) and not bad, bad


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_docs_commands_run_as_written(name, fresh_env, tmp_path):
    if shutil.which("node") is None or not (WEB / "node_modules").is_dir():
        pytest.skip("node / web/node_modules missing (scripts/setup.sh installs them)")
    group = GROUPS[name]
    for p in group.prepare:
        PREPARE[p](tmp_path)
    print(f"\n{name} (in {tmp_path}):")
    t0, c0 = time.perf_counter(), _cpu()
    done = set()
    for step in group.steps:
        if isinstance(step, Serve):
            _serve(step, tmp_path, fresh_env)
        elif _fill(step) in done:  # cli.md's synopsis, filled, is README's line: run once
            print(f"  {'':21}  same as above  {step}")
        else:
            _run(step, tmp_path, fresh_env)
            done.add(_fill(step))
    print(f"  {time.perf_counter() - t0:6.1f} s  cpu {_cpu() - c0:5.1f} s  the group {name} (servers included; load "
          f"average {os.getloadavg()[0]:.1f})")


def test_stopping_npx_alone_leaves_deno_running(fresh_env, tmp_path):
    """Why docs/edge.md keeps the npx line away from process managers, and proof that the harness sees orphans:
    SIGTERM to npx's PID alone leaves its deno child serving."""
    if shutil.which("npx") is None:
        pytest.skip("npx is not installed (scripts/setup.sh installs Node.js)")
    (tmp_path / "worker.mjs").write_text('export default { fetch: () => new Response("ok") };\n')
    with pytest.raises(AssertionError, match="left processes running: .*deno serve"):
        _serve(Serve(["npx --yes deno@2.9.6 serve --port 8000 worker.mjs"], stop="kill"), tmp_path, fresh_env)
    deadline = time.monotonic() + 10  # killed: the port closes when the process is gone
    while not _port_free() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _port_free(), "the leftover deno was not stopped"


class _Terminal:
    """A stderr that says it is a terminal (what tqdm draws its bar on)."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, s: str) -> int:
        self.text += s
        return len(s)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_the_character_table_probe_says_what_it_does(terminal, tmp_path, monkeypatch, capsys):
    """The first export's ~10 s probe (exporter/formats/chartable.py) is announced: one line on a pipe, a bar on a
    terminal; once cached, nothing. (The probe itself is replaced by a stub that reports progress like it.)"""
    from exporter.formats import chartable as C

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calls = []

    def probe(tokenizer_json: str, tick) -> bytes:
        for _ in range(4):
            tick(C.LAST // 4)
        calls.append(1)
        return C.MAGIC + b"table"

    monkeypatch.setattr(C, "build_chartable", probe)
    fake = _Terminal()
    if terminal:
        monkeypatch.setattr(sys, "stderr", fake)
    spec = (ROOT / "exporter" / "data" / "default_model" / "tokenizer.json").read_text(encoding="utf-8")
    assert C.chartable_for(spec) == C.MAGIC + b"table" and calls == [1]
    err = fake.text if terminal else capsys.readouterr().err
    if terminal:
        assert "probing tokenizers" in err and "\r" in err and "cp/s" in err, err  # tqdm's bar, redrawn
    else:
        assert err.count("\n") == 1 and "probing tokenizers" in err and str(tmp_path / "edgembed") in err, err
    fake.text = ""
    assert C.chartable_for(spec) == C.MAGIC + b"table" and calls == [1]  # from the cache, silently
    assert fake.text == "" and capsys.readouterr().err == ""
