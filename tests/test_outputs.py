"""Outputs never destroy what edgembed did not write (docs/cli.md, "Where outputs go").

For every command that writes (export, index, distill; embed --output, eval --output/--plot, bench --output,
parity --report) a generated set of output paths over a scratch tree that holds a user's files (notes, a git
repository, symlinks, the current folder and its parents, a home folder, the source model, unwritable places): each
refusal is exit 2, one stderr line naming the reason, and the tree byte-for-byte as it was. A few positive cases
(an empty folder, edgembed's own earlier output, --force) run for real on a tiny model."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from exporter.cli import main

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def snapshot(*roots: Path) -> dict[str, str]:
    """Every entry under ROOTS (hidden ones too, links not followed): path -> content hash, 'dir' or the link."""
    seen = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                if p.is_symlink():
                    seen[str(p)] = "link:" + os.readlink(p)
                elif p.is_dir():
                    seen[str(p)] = "dir"
                elif p.is_file():
                    seen[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
                else:
                    seen[str(p)] = "special"
    return seen


@pytest.fixture(scope="module")
def tiny_export(unigram_dir, tmp_path_factory) -> Path:
    """A 16-dim export of the tiny Unigram model (about a second)."""
    from exporter.pipeline import export

    out = tmp_path_factory.mktemp("outputs") / "export"
    export(unigram_dir, out, quant="int8", rows=False, demo=False)
    return out


def make_tree(root: Path, model_src: Path) -> dict[str, Path]:
    """A user's scratch tree; the test's current folder is root/work/deep."""
    import shutil

    t = {"root": root}
    for rel, text in {"work/deep/cwd.txt": "here", "work/notes.txt": "my notes", "notes/a.txt": "keep me",
                      "repo/.git/HEAD": "ref: refs/heads/main\n", "repo/.git/config": "[core]\n",
                      "repo/src/main.py": "print('hi')\n", "repo/README.md": "# repo\n", "file.txt": "plain text",
                      "data.json": '{"mine": 1}', "home/.bashrc": "export X=1\n", "in.txt": "hello\nworld\n",
                      "fake_manifest/manifest.json": '{"format": "other"}', "fake.npy": "not numpy",
                      "fake.png": "not a png", "fake.json": "{not json", "fake.md": "# not a parity report\n", "my.md": "# my notes\n", "my.html": "<title>mine</title>",
                      "an_export/manifest.json": '{"format": "edgembed"}',
                      "an_index/index.json": '{"format": "edgembed-search"}',
                      "a_distill/edgembed.json": '{"format": "edgembed-distill"}',
                      "bench.json": json.dumps({"rows": [], "skipped": {}, "machine": {}}),
                      "www/site/index.html": "<html><title>Home</title><main><p>wing flow</p></main></html>",
                      "www/site/a/index.html": "<html><title>A</title><main><p>heat transfer</p></main></html>",
                      "www/site/_edgembed/mine.txt": "not an index"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    (root / "pic.png").write_bytes(PNG)
    (root / "empty").mkdir()
    shutil.copytree(model_src, root / "models" / "m")
    beir = root / "beir"
    (beir / "qrels").mkdir(parents=True)
    docs = ["wing flow", "heat transfer", "plate buckling", "shock waves", "boundary layer", "jet noise", "nozzle",
            "turbulence", "laminar flow", "drag", "lift", "stall"]
    (beir / "corpus.jsonl").write_text("".join(json.dumps({"_id": str(i), "title": "", "text": d}) + "\n"
                                               for i, d in enumerate(docs)))
    (beir / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "flow over a wing"}) + "\n")
    (beir / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\t0\t1\n")
    os.mkfifo(root / "fifo")
    for link, target in {"link_repo": "repo", "link_file": "file.txt", "dangling": "missing", "link_cwd": "work/deep",
                         "link_root": ".", "link_in": "in.txt", "link_corpus": "beir/corpus.jsonl", "link_model": "models/m", "link_export": "an_export",
                         "link_index": "an_index"}.items():
        (root / link).symlink_to(target)
    return t


# Folder outputs: (id, --out relative to root/work/deep or with {root}, --force, what the error says).
DIR_CASES = [
    ("git-repo", "{root}/repo", False, "not an edgembed"),
    ("git-repo-relative", "../../repo", False, "not an edgembed"),
    ("git-dir", "{root}/repo/.git", False, "not an edgembed"),
    ("git-src", "{root}/repo/src", False, "not an edgembed"),
    ("notes", "{root}/notes", False, "not an edgembed"),
    ("notes-slash", "{root}/notes/", False, "not an edgembed"),
    ("notes-dotdot", "{root}/repo/../notes", False, "not an edgembed"),
    ("fake-manifest", "{root}/fake_manifest", False, "not an edgembed"),
    ("other-kind", "{other}", False, "it is an edgembed"),
    ("link-repo", "{root}/link_repo", False, "symlink"),
    ("link-repo-force", "{root}/link_repo", True, "through a link"),
    ("dangling", "{root}/dangling", False, "symlink to nothing"),
    ("dangling-force", "{root}/dangling", True, "symlink to nothing"),
    ("file", "{root}/file.txt", False, "not a folder"),
    ("file-force", "{root}/file.txt", True, "not a folder"),
    ("link-file-force", "{root}/link_file", True, "not a folder"),
    ("under-file", "{root}/file.txt/out", False, "is a file"),
    ("under-file-force", "{root}/file.txt/a/b", True, "is a file"),
    ("fifo-force", "{root}/fifo", True, "not a folder"),
    ("cwd", ".", False, "current folder"),
    ("cwd-force", ".", True, "current folder"),
    ("cwd-empty-string", "", True, "current folder"),
    ("cwd-absolute", "{root}/work/deep", True, "current folder"),
    ("cwd-dotted", "./../deep/.", True, "current folder"),
    ("cwd-link", "{root}/link_cwd", True, "current folder"),
    ("parent", "..", False, "parent of the current"),
    ("parent-force", "..", True, "parent of the current"),
    ("grandparent", "../..", True, "parent of the current"),
    ("link-root", "{root}/link_root", True, "parent of the current"),
    ("slash", "/", True, "root folder"),
    ("home", "{root}/home", True, "home folder"),
    ("home-slash", "{root}/home/", False, "home folder"),
    ("model", "{root}/models/m", True, "model"),
    ("model-inside", "{root}/models/m/sub", True, "inside"),
    ("model-inside-deep", "{root}/models/m/a/b", False, "inside"),
    ("model-holder", "{root}/models", True, "holds"),
    ("model-link", "{root}/link_model", True, "model"),
    ("proc", "/proc/edgembed-x", False, "cannot be written"),
    ("proc-force", "/proc/edgembed-x", True, "cannot be written"),
    ("proc-deep", "/proc/edgembed-x/y/z", True, "cannot be written"),
    ("sys", "/sys/edgembed-x", True, "cannot be written"),
]
OTHER = {"export": "{root}/an_index", "index": "{root}/an_export", "distill": "{root}/an_export"}
INDEX_CASES = [
    ("site", "{root}/www/site", True, "is the site folder"),
    ("site-holder", "{root}/www", True, "holds the site folder"),
    ("site-dotdot", "{root}/www/site/a/..", True, "is the site folder"),
]


def dir_argv(command: str, root: Path, out: str | None, force: bool) -> list[str]:
    model = str(root / "models" / "m")
    argv = {"export": ["export", model, "--no-demo"], "distill": ["distill", model],
            "index": ["index", str(root / "www" / "site"), "--model", model, "--quiet"]}[command]
    return argv + ([] if out is None else ["--out", out]) + (["--force"] if force else [])


def refuse(capsys, argv: list[str], roots: list[Path], expect: str) -> str:
    """main(ARGV) is a refusal: exit 2, one stderr line saying EXPECT, no file under ROOTS changed."""
    before = snapshot(*roots)
    code = main(argv)
    cap = capsys.readouterr()
    lines = cap.err.strip().splitlines()
    assert code == 2, (argv, cap.err)
    assert len(lines) == 1 and lines[0].startswith("edgembed: error: "), cap.err
    assert expect in lines[0], (expect, lines[0])
    assert "Traceback" not in cap.err + cap.out
    assert snapshot(*roots) == before, "a refused command changed the tree"
    return lines[0]


@pytest.fixture()
def tree(tmp_path, unigram_dir, monkeypatch):
    from exporter.sources.default_model import cache_dir

    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_dir().parent))  # the usual cache, not one under the fake home
    t = make_tree(tmp_path, unigram_dir)
    monkeypatch.chdir(tmp_path / "work" / "deep")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return t


@pytest.mark.parametrize("command", ["export", "index", "distill"])
@pytest.mark.parametrize("case", DIR_CASES + INDEX_CASES, ids=[c[0] for c in DIR_CASES + INDEX_CASES])
def test_folder_output_refused(command, case, tree, capsys):
    name, out, force, expect = case
    if name.startswith("site") and command != "index":
        pytest.skip("the site folder is an input of edgembed index only")
    root = tree["root"]
    out = out.format(root=root, other=OTHER[command].format(root=root))
    refuse(capsys, dir_argv(command, root, out, force), [root], expect)


def test_export_corpus_is_an_input(tree, capsys):
    """export --corpus FILE: the folder holding the demo's corpus is never replaced, even with --force."""
    root = tree["root"]
    argv = dir_argv("export", root, str(root / "notes"), True) + ["--corpus", str(root / "notes" / "a.txt")]
    refuse(capsys, argv, [root], "holds the --corpus file")


def test_index_default_out_refuses_a_users_folder(tree, capsys):
    """SITE/_edgembed, the default --out, holding a user's folder: refused, kept."""
    line = refuse(capsys, dir_argv("index", tree["root"], None, False), [tree["root"]], "not an edgembed index")
    assert "_edgembed" in line and "--force" in line


def _npy(path: Path) -> None:
    np.save(path, np.zeros(2, dtype=np.float32))


# File outputs: (id, path (with {root}, {input}, {inside}), --force, what the error says). The command fills in the
# input it reads ({input}: a file it reads, {input_link}: a link to it, {inside}: a folder it reads) and its suffix.
FILE_CASES = [
    ("text-file", "{root}/file.txt", False, "is a file that is not"),
    ("json-file", "{root}/data.json", False, "is a file that is not"),
    ("git-source", "{root}/repo/src/main.py", False, "is a file that is not"),
    ("git-head", "{root}/repo/.git/HEAD", False, "is a file that is not"),
    ("notes-relative", "../notes.txt", False, "is a file that is not"),
    ("cwd-file", "cwd.txt", False, "is a file that is not"),
    ("fake-suffix", "{root}/fake{suffix}", False, "is a file that is not"),
    ("other-edgembed-kind", "{other}", False, "is a file that is not"),
    ("folder", "{root}/notes", True, "is a folder"),
    ("git-repo", "{root}/repo", True, "is a folder"),
    ("empty-folder", "{root}/empty", True, "is a folder"),
    ("cwd", ".", True, "is a folder"),
    ("empty-string", "", True, "is a folder"),
    ("parent", "..", True, "is a folder"),
    ("home", "{root}/home", True, "is a folder"),
    ("slash", "/", True, "is a folder"),
    ("link-folder", "{root}/link_repo", True, "is a folder"),
    ("link-file", "{root}/link_file", False, "symlink"),
    ("link-file-force", "{root}/link_file", True, "through a link"),
    ("dangling", "{root}/dangling", False, "symlink to nothing"),
    ("dangling-force", "{root}/dangling", True, "symlink to nothing"),
    ("under-file", "{root}/file.txt/x{suffix}", False, "is a file"),
    ("under-file-force", "{root}/file.txt/a/x{suffix}", True, "is a file"),
    ("proc", "/proc/edgembed-x{suffix}", False, "cannot be written"),
    ("proc-force", "/proc/edgembed-x{suffix}", True, "cannot be written"),
    ("proc-deep", "/proc/edgembed-x/y{suffix}", True, "cannot be written"),
    ("sys", "/sys/edgembed-x{suffix}", True, "cannot be written"),
    ("dev-null", "/dev/null", True, "not a regular file"),
    ("fifo", "{root}/fifo", True, "not a regular file"),
    ("input", "{input}", True, "is the"),
    ("input-link", "{input_link}", True, "is the"),
    ("inside-input-folder", "{inside}/x{suffix}", True, "inside"),
    ("inside-input-folder-deep", "{inside}/a/b/x{suffix}", True, "inside"),
]


def file_argv(command: str, root: Path, export: Path, out: str, force: bool) -> tuple[list[str], dict]:
    """The command line writing OUT, and the placeholders of its inputs."""
    model, data = str(root / "models" / "m"), str(root / "beir")
    f = ["--force"] if force else []
    spec = {
        "embed": (["embed", str(export), "--input", str(root / "in.txt"), "--output", out],
                  {"input": root / "in.txt", "input_link": root / "link_in", "inside": export, "suffix": ".npy",
                   "other": root / "pic.png"}),
        "eval-output": (["eval", model, "--data", data, "--dims", "8", "--quant", "fp32", "--no-progress",
                         "--output", out],
                        {"input": root / "beir" / "corpus.jsonl", "input_link": root / "link_corpus",
                         "inside": root / "beir", "suffix": ".json", "other": root / "bench.json"}),
        "eval-plot": (["eval", model, "--data", data, "--dims", "8", "--quant", "fp32", "--no-progress", "--plot", out],
                      {"input": root / "beir" / "queries.jsonl", "input_link": root / "link_corpus",
                       "inside": root / "models" / "m", "suffix": ".png", "other": root / "bench.json"}),
        "bench": (["bench", str(export), "--texts", str(root / "in.txt"), "--output", out],
                  {"input": root / "in.txt", "input_link": root / "link_in", "inside": export, "suffix": ".json",
                   "other": root / "pic.png"}),
        "parity": (["parity", str(export), "--texts", str(root / "in.txt"), "--report", out],
                   {"input": root / "in.txt", "input_link": root / "link_in", "inside": export, "suffix": ".md",
                    "other": root / "my.md"}),
    }[command]
    return spec[0] + f, spec[1]


FILE_COMMANDS = ["embed", "eval-output", "eval-plot", "bench", "parity"]


@pytest.mark.parametrize("command", FILE_COMMANDS)
@pytest.mark.parametrize("case", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_file_output_refused(command, case, tree, tiny_export, capsys):
    name, out, force, expect = case
    if command == "eval-plot":
        pytest.importorskip("matplotlib")
    root = tree["root"]
    _, places = file_argv(command, root, tiny_export, "", force)
    out = out.format(root=root, **places)
    if name in ("input", "input-link") and command.startswith("eval"):
        expect = "is inside the --data folder"  # eval's file inputs lie in its --data folder
    argv, _ = file_argv(command, root, tiny_export, out, force)
    refuse(capsys, argv, [root, tiny_export], expect)


@pytest.mark.parametrize("case", [
    ("report-json-beside-is-a-users", "{root}/data.md", "data.json"),  # data.md is new; data.json is the user's
    ("report-html-is-a-users", "{root}/my.html", "my.html"),
    ("report-json-writes-md-beside", "{root}/my.json", "my.md"),
], ids=lambda c: c[0])
def test_parity_report_pairs(case, tree, tiny_export, capsys):
    """--report writes two files: the one beside it is checked too."""
    _, out, named = case
    argv, _ = file_argv("parity", tree["root"], tiny_export, out.format(root=tree["root"]), False)
    line = refuse(capsys, argv, [tree["root"], tiny_export], "is a file that is not")
    assert named in line


def test_eval_default_plot_beside_output_is_checked(tree, capsys):
    """eval --output X.json also writes X.png: a user's X.png is refused before any work."""
    pytest.importorskip("matplotlib")
    root = tree["root"]
    (root / "res.png").write_text("my drawing")
    argv, _ = file_argv("eval-output", root, root, str(root / "res.json"), False)
    assert "--plot" in refuse(capsys, argv, [root], "is a file that is not")


def test_eval_plot_and_output_the_same_file(tree, capsys):
    pytest.importorskip("matplotlib")
    root = tree["root"]
    argv, _ = file_argv("eval-output", root, root, str(root / "same.png"), False)
    refuse(capsys, argv + ["--plot", str(root / "same.png")], [root], "is the --output file")


def test_refusals_print_no_traceback_in_a_terminal(tree, tiny_export):
    """Through the real entry point: one line, exit 2, nothing else on stderr."""
    root = tree["root"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = [["export", str(root / "models" / "m"), "--out", "."],
            ["export", str(root / "models" / "m"), "--out", "/proc/x"],
            ["index", str(root / "www" / "site"), "--out", str(root / "www")],
            ["embed", str(tiny_export), "--input", "cwd.txt", "--output", "cwd.txt", "--force"],
            ["distill", "--out", str(root / "repo")]]
    before = snapshot(root, tiny_export)
    for argv in runs:
        r = subprocess.run([sys.executable, "-m", "exporter", *argv], cwd=root / "work" / "deep", env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 2, (argv, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("edgembed: error: "), r.stderr
        assert "Traceback" not in r.stderr
    assert snapshot(root, tiny_export) == before


# Positive cases: what is allowed happens, and touches nothing else.

def test_export_allowed_cases(tree, capsys):
    """An empty folder, edgembed's own earlier export, a link to one (written through, link kept), --force over a
    user's folder; a failure half-way leaves no temp folder and no parent folder it made."""
    import exporter.pipeline

    root = tree["root"]
    model = str(root / "models" / "m")
    others = snapshot(root / "repo", root / "models", root / "home", root / "work")
    for out in (root / "empty", root / "empty", root / "link_export"):
        assert main(["export", model, "--out", str(out), "--no-demo", "--no-rows"]) == 0, capsys.readouterr().err
        assert json.loads((out / "manifest.json").read_text())["format"] == "edgembed"
    assert (root / "link_export").is_symlink() and (root / "an_export" / "model.edgembed").is_file()
    assert main(["export", model, "--out", str(root / "notes"), "--no-demo", "--no-rows", "--force"]) == 0
    assert not (root / "notes" / "a.txt").exists() and (root / "notes" / "manifest.json").is_file()
    assert snapshot(root / "repo", root / "models", root / "home", root / "work") == others

    def boom(*a, **k):
        from exporter.errors import EdgembedError

        raise EdgembedError("disk full")

    listing = snapshot(root)
    exporter.pipeline.write_flat, real = boom, exporter.pipeline.write_flat
    try:
        for out in (root / "new" / "a" / "b", root / "empty"):
            assert main(["export", model, "--out", str(out), "--no-demo"]) == 2
    finally:
        exporter.pipeline.write_flat = real
    assert snapshot(root) == listing, "no temp folder, no .old- folder, no parent folder left behind"


def test_index_allowed_cases(tree, tiny_export, capsys):
    """The default SITE/_edgembed once the user's folder is gone, then again over its own index; an index folder
    through a link is written through it."""
    import shutil

    root = tree["root"]
    site = root / "www" / "site"
    shutil.rmtree(site / "_edgembed")
    pages = snapshot(site)
    for _ in range(2):
        assert main(["index", str(site), "--model", str(tiny_export), "--quiet"]) == 0, capsys.readouterr().err
        assert json.loads((site / "_edgembed" / "index.json").read_text())["format"] == "edgembed-search"
    assert {k: v for k, v in snapshot(site).items() if "_edgembed" not in k} == pages
    assert main(["index", str(site), "--model", str(tiny_export), "--quiet", "--out", str(root / "link_index")]) == 0
    assert (root / "link_index").is_symlink() and (root / "an_index" / "js").is_dir()


def test_distill_marks_its_folder(tree, capsys, monkeypatch):
    """distill writes edgembed.json (format edgembed-distill), so a second distill may replace the folder. model2vec's
    distill is replaced by a stub here (a teacher costs minutes); the output rules are what is tested."""
    pytest.importorskip("model2vec")
    pytest.importorskip("torch")
    import model2vec.distill

    class Saved:
        def save_pretrained(self, path):
            Path(path, "model.safetensors").write_bytes(b"stub")

    monkeypatch.setattr(model2vec.distill, "distill", lambda **kw: Saved())
    out = tree["root"] / "distilled"
    for _ in range(2):
        assert main(["distill", str(tree["root"] / "models" / "m"), "--out", str(out)]) == 0, capsys.readouterr().err
        assert json.loads((out / "edgembed.json").read_text())["format"] == "edgembed-distill"
    capsys.readouterr()
    refuse(capsys, ["export", "--out", str(out)], [tree["root"]], "it is an edgembed distill output")


def test_file_outputs_allowed_cases(tree, tiny_export, capsys):
    """embed may replace its own .npy (also through a link, kept), --force a user's file; eval its JSON and PNG."""
    root = tree["root"]
    _npy(root / "old.npy")
    (root / "link_npy").symlink_to("old.npy")
    base = ["embed", str(tiny_export), "--input", str(root / "in.txt"), "--output"]
    for out in ("new.npy", "new.npy", str(root / "link_npy")):
        assert main(base + [out]) == 0, capsys.readouterr().err
    assert np.load(root / "old.npy").shape == (2, 16) and (root / "link_npy").is_symlink()
    assert main(base + ["cwd.txt", "--force"]) == 0 and np.load("cwd.txt").shape == (2, 16)
    pytest.importorskip("matplotlib")
    argv = ["eval", str(root / "models" / "m"), "--data", str(root / "beir"), "--dims", "8", "--quant", "fp32",
            "--no-progress", "--output", "e.json"]
    for _ in range(2):
        assert main(argv) == 0, capsys.readouterr().err
    assert json.loads(Path("e.json").read_text())["cells"] and Path("e.png").read_bytes().startswith(PNG[:8])


def test_atomic_file_failure_leaves_nothing(tmp_path):
    """A failure while writing: no temp file, no parent folder it made, the old file as it was."""
    from exporter.fsutil import atomic_file

    (tmp_path / "old.npy").write_bytes(b"\x93NUMPY old")
    before = snapshot(tmp_path)
    for out in (tmp_path / "a" / "b" / "x.npy", tmp_path / "old.npy"):
        with pytest.raises(RuntimeError):
            with atomic_file(out) as tmp:
                tmp.write_bytes(b"half")
                raise RuntimeError("disk full")
    assert snapshot(tmp_path) == before
