"""Outputs: where edgembed may write (checked before any work), and atomic files and folders (whole, or not at all).

The rule (docs/cli.md, "Where outputs go"): an output folder may replace an empty folder or an edgembed output of the
same kind (its marker file says so); any other folder needs ``force``. Never, even with ``force``: the current folder,
a parent of it, the home folder (or a parent of it), a command's own inputs (or a folder holding one, or a path
inside an input folder), a file or a folder in the way of the other kind, a place that cannot be written. A symlinked
output is judged by what it points to and written there (the link stays); a dangling link is refused, and so is a
link to a folder or file edgembed did not write, even with ``force`` (a link hides what it would replace)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Mapping

from exporter.errors import EdgembedError

# Folder outputs: kind -> (marker file, its "format" value).
DIR_MARKERS = {"export": ("manifest.json", "edgembed"), "index": ("index.json", "edgembed-search"),
               "distill": ("edgembed.json", "edgembed-distill")}
_DIR_NAMES = {"export": "an edgembed export", "index": "an edgembed index", "distill": "an edgembed distill output"}
# File outputs: kind -> what it is, in words (the recognisers are in _is_kind).
FILE_KINDS = {"npy": "a .npy array", "png": "a PNG image", "eval-json": "an edgembed eval JSON",
              "bench-json": "an edgembed bench JSON", "parity-json": "an edgembed parity JSON",
              "parity-md": "an edgembed parity report", "parity-html": "an edgembed parity report"}
_JSON_KEYS = {"eval-json": {"dataset", "cells"}, "bench-json": {"rows", "skipped", "machine"},
              "parity-json": {"backends", "criterion", "passed"}}
_TITLE = "edgembed parity report"

Inputs = Mapping[str, "str | os.PathLike | None"]


def output_kind(folder: Path) -> str | None:
    """The kind of edgembed output FOLDER is ("export", "index", "distill"), from its marker file; None if none."""
    for kind, (name, fmt) in DIR_MARKERS.items():
        try:
            with open(Path(folder) / name, "rb") as f:
                data = json.loads(f.read(1 << 24))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("format") == fmt:
            return kind
    return None


def write_marker(folder: Path, kind: str, **fields) -> None:
    """Write KIND's marker into FOLDER (for outputs whose own files carry none, e.g. a distilled model2vec folder)."""
    name, fmt = DIR_MARKERS[kind]
    (Path(folder) / name).write_text(json.dumps({"format": fmt, **fields}, indent=1) + "\n", encoding="utf-8")


def check_out_dir(out: str | os.PathLike, kind: str, force: bool = False, inputs: Inputs = {},
                  holders: Inputs = {}, flag: str = "--out") -> Path:
    """Refuse (one-line EdgembedError) an output folder OUT that may not be written or replaced; else its real path.

    INPUTS: label -> path the output may not be, hold, or lie inside. HOLDERS: label -> path it may lie inside but
    not be or hold (the site of ``edgembed index``, whose default output is SITE/_edgembed)."""
    shown = f"{flag} {os.fspath(out) or '.'}"
    real = _real(out, shown)
    _refuse_special(real, shown)
    _refuse_inputs(real, shown, inputs, inside=True)
    _refuse_inputs(real, shown, holders, inside=False)
    if real.exists() or real.is_symlink():
        if not real.is_dir():
            raise EdgembedError(f"{shown} exists and is not a folder: give another path")
        if os.path.ismount(real):
            raise EdgembedError(f"{shown} is a mount point: give a folder inside it")
        try:
            entries = sorted(e.name for e in os.scandir(real))
        except OSError as e:
            raise EdgembedError(f"{shown} cannot be read ({e.strerror or e}): give another path") from None
        found = output_kind(real) if entries else kind
        if found != kind:
            what = (f"a non-empty folder that is not {_DIR_NAMES[kind]} ("
                    + (f"it is {_DIR_NAMES[found]}" if found else
                       f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}: {', '.join(entries[:3])}"
                       + (", ..." if len(entries) > 3 else "")) + ")")
            _refuse_to_replace(out, shown, real, what, force, "folder")
    _probe(real, shown)
    return real


def check_out_file(out: str | os.PathLike, kind: str, force: bool = False, inputs: Inputs = {},
                   flag: str = "--output") -> Path:
    """Refuse (one-line EdgembedError) an output file OUT that may not be written; else its real path.

    It may replace an empty file or a file of KIND (FILE_KINDS); another file only with FORCE; never a folder, an
    input (INPUTS: label -> path), a path inside an input folder, or a special file."""
    shown = f"{flag} {os.fspath(out) or '.'}"
    real = _real(out, shown)
    if real.is_dir():
        raise EdgembedError(f"{shown} is a folder: give a file path")
    _refuse_inputs(real, shown, inputs, inside=True)  # (a file cannot hold an input: only the first two can apply)
    if real.exists():
        if not real.is_file():
            raise EdgembedError(f"{shown} exists and is not a regular file: give another path")
        if real.stat().st_size and not _is_kind(real, kind):
            _refuse_to_replace(out, shown, real, f"a file that is not {FILE_KINDS[kind]}", force, "file")
    _probe(real, shown)
    return real


def _refuse_to_replace(out: str | os.PathLike, shown: str, real: Path, what: str, force: bool, thing: str) -> None:
    """OUT (REAL) holds WHAT, which edgembed did not write: never replaced through a link, else only with FORCE."""
    if os.path.islink(out):
        raise EdgembedError(f"{shown} is a symlink to {real}, {what}; edgembed never replaces a {thing} "
                            "through a link: give another path")
    if not force:
        raise EdgembedError(f"{shown} is {what}: give another path, or --force to replace it")


def _real(out: str | os.PathLike, shown: str) -> Path:
    if os.path.islink(out) and not os.path.exists(out):
        raise EdgembedError(f"{shown} is a symlink to nothing ({os.readlink(out)}): give another path")
    try:
        return Path(os.path.realpath(os.fspath(out) or "."))
    except (OSError, ValueError) as e:
        raise EdgembedError(f"{shown} is not a usable path ({e})") from None


def _real_input(path) -> Path | None:
    if path is None or not os.path.exists(path):
        return None
    return Path(os.path.realpath(path))


def _refuse_special(real: Path, shown: str) -> None:
    """The current folder, its parents, the home folder and its parents, the root: never an output folder."""
    if real == Path(real.anchor):
        raise EdgembedError(f"{shown} is the root folder: give a new or empty folder")
    with contextlib.suppress(OSError):
        cwd = Path.cwd().resolve()
        if real == cwd:
            raise EdgembedError(f"{shown} is the current folder: give a new or empty folder, e.g. {shown.split()[0]} edgembed-out")
        if real in cwd.parents:
            raise EdgembedError(f"{shown} is a parent of the current folder: give a new or empty folder")
    home = Path(os.path.realpath(os.path.expanduser("~")))
    if real == home or real in home.parents:
        raise EdgembedError(f"{shown} is {'the home folder' if real == home else 'a parent of the home folder'}: "
                            "give a new or empty folder")


def _refuse_inputs(real: Path, shown: str, inputs: Inputs, inside: bool) -> None:
    for label, path in inputs.items():
        ip = _real_input(path)
        if ip is None:
            continue
        if real == ip:
            raise EdgembedError(f"{shown} is {label} {path}: give another path")
        if ip in real.parents and inside:
            raise EdgembedError(f"{shown} is inside {label} {path}: give a path outside it")
        if real in ip.parents:
            raise EdgembedError(f"{shown} holds {label} {path}: give another path")


def _probe(real: Path, shown: str) -> None:
    """Create and remove a temporary entry where the output will be made: an unwritable place fails here, early."""
    at = real.parent
    while not at.exists():
        at = at.parent
    if not at.is_dir():
        raise EdgembedError(f"{shown} cannot be written: {at} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".edgembed-probe-", dir=at))
    except OSError as e:
        raise EdgembedError(f"{shown} cannot be written: {at} is not writable ({e.strerror or e})") from None


def _is_kind(path: Path, kind: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 24)
    except OSError:
        return False
    if kind == "npy":
        return head.startswith(b"\x93NUMPY")
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "parity-md":
        return head.startswith(f"# {_TITLE}\n".encode())
    if kind == "parity-html":
        return f"<title>{_TITLE}</title>".encode() in head[:4096]
    try:
        data = json.loads(head)
    except ValueError:
        return False
    return isinstance(data, dict) and _JSON_KEYS[kind] <= set(data)


def _make_parents(folder: Path) -> list[Path]:
    """mkdir -p FOLDER; returns the folders it created, deepest last."""
    missing = []
    at = Path(folder)
    while not at.exists() and at != at.parent:
        missing.append(at)
        at = at.parent
    for p in reversed(missing):
        p.mkdir()
    return list(reversed(missing))


def _remove_made(made: list[Path]) -> None:
    for p in reversed(made):
        with contextlib.suppress(OSError):
            p.rmdir()


@contextlib.contextmanager
def atomic_dir(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; on success it replaces OUT, on any failure it is removed (with any parent
    folder it made). Check OUT first (check_out_dir): this replaces whatever folder is there."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise EdgembedError(f"--out {out} exists and is not a folder")
    try:
        made = _make_parents(out.parent)
    except OSError as e:
        raise EdgembedError(f"cannot create output folder next to {out}: {e.strerror or e}") from None
    done = False
    try:
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        except OSError as e:
            raise EdgembedError(f"cannot create output folder next to {out}: {e.strerror or e}") from None
        try:
            yield tmp
            tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700: a static host must be able to read the folder
            _swap_in(tmp, out)
            done = True
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if not done:
            _remove_made(made)


def _swap_in(tmp: Path, out: Path) -> None:
    """Rename TMP to OUT; an existing OUT is moved aside first and put back if the rename fails."""
    try:
        if not out.exists():
            os.replace(tmp, out)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        try:
            os.replace(out, old / "x")
            try:
                os.replace(tmp, out)
            except OSError:
                os.replace(old / "x", out)
                raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        raise EdgembedError(f"cannot replace {out}: {e.strerror or e}") from None


@contextlib.contextmanager
def atomic_file(out: Path) -> Iterator[Path]:
    """Yield a temporary sibling path; on success it is renamed to OUT, on any failure it is removed (with any parent
    folder it made). Check OUT first (check_out_file)."""
    out = Path(out)
    if out.is_dir():
        raise EdgembedError(f"output {out} is a folder")
    try:
        made = _make_parents(out.parent)
    except OSError as e:
        raise EdgembedError(f"cannot write {out}: {e.strerror or e}") from None
    done = False
    try:
        try:
            fd, name = tempfile.mkstemp(prefix=f".{out.name}.tmp-", suffix=out.suffix, dir=out.parent)
            os.close(fd)
        except OSError as e:
            raise EdgembedError(f"cannot write {out}: {e.strerror or e}") from None
        tmp = Path(name)
        try:
            yield tmp
            tmp.chmod(0o666 & ~_umask())  # mkstemp makes 0600
            try:
                os.replace(tmp, out)
            except OSError as e:
                raise EdgembedError(f"cannot write {out}: {e.strerror or e}") from None
            done = True
        finally:
            tmp.unlink(missing_ok=True)
    finally:
        if not done:
            _remove_made(made)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
