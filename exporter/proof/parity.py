"""``edgembed parity DIR``: run an export on every backend that can run here and compare with the source model.

Two references, both computed in numpy (proof/reference.py: EmbeddingBag's mean, accumulated in float64; no torch
needed) with the *source model's* tokenizer: ``truth`` = the source table truncated to dims (what
SentenceTransformer(source).encode(texts, truncate_dim=dims, normalize_embeddings=<the model's Normalize>) gives,
to 1e-5: tests/test_parity.py); ``dequantized`` = that table quantized again as the export's quant and
dequantized (what a correct quantized export computes exactly). ``reference_text`` says so in the report. The references never read
the export's files, so a corrupted table or tokenizer.json in the export shows up as a diverged backend.
Pass criterion: fp32 exports, max |diff| <= 1e-5 to truth; fp16/int8/int4/pqM, max |diff| <= 1e-5 to dequantized
(pq's k-means is deterministic, so quantizing the source again gives the export's codes and codebooks).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from exporter.errors import EdgembedError

TOLERANCE = 1e-5
BACKEND_ROWS = ("torch-cpu", "torch-cuda", "onnx-cpu", "onnx-cuda", "flat", "browser-onnx", "browser-flat")


def reference_text(dims: int, quant: str, normalize: bool) -> dict[str, str]:
    """What the two references compute, in words, for the report: {"truth": ..., "dequantized": ...}."""
    norm = ", then divided by its L2 norm (the model normalizes)" if normalize else " (the model does not normalize)"
    bag = (f"the mean of the text's token rows (EmbeddingBag mode='mean', float64 sums, no special tokens, "
           f"token ids from the source model's tokenizer){norm}")
    truth = (f"numpy over the source model's float32 table truncated to its first {dims} dims: {bag}; equal to "
             f"SentenceTransformer(source).encode(texts, truncate_dim={dims}, normalize_embeddings="
             f"{bool(normalize)}) to 1e-5 (edgembed's test suite checks it); never reads the export's files")
    out = {"truth": truth}
    if quant != "fp32":
        out["dequantized"] = (f"the same, over that truncated table quantized again to {quant} and dequantized "
                              "(what a correct export of this quant computes exactly)")
    return out


class Skip(Exception):
    """A backend that cannot run on this machine (reported as skipped with its reason, never as passed)."""


def compare(got: np.ndarray, ref: np.ndarray) -> dict:
    """max |diff|, min and mean cosine (two zero vectors count as cosine 1), and the worst text's index."""
    a, b = got.astype(np.float64), ref.astype(np.float64)
    diff = np.abs(a - b).max(axis=1) if a.size else np.zeros(len(a))
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    dot = (a * b).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where((na == 0) & (nb == 0), 1.0, dot / np.maximum(na * nb, 1e-300))
    bad = ~np.isfinite(diff)  # a NaN/Inf output is the worst possible text
    worst = int(np.flatnonzero(bad)[0]) if bad.any() else int(np.argmax(diff)) if diff.size else 0
    top = float("nan") if bad.any() else float(diff.max()) if diff.size else 0.0
    return {"max_abs_diff": top, "min_cosine": float(np.min(cos, initial=1.0)),
            "mean_cosine": float(np.mean(cos)) if cos.size else 1.0, "worst_text": worst}


def source_model(folder: Path, man: dict, model: str | None):
    from exporter.sources.loading import load_model

    src = man.get("source") or {}
    if model is not None:
        where = model
    elif src.get("relative") and (folder / src["relative"]).is_dir():  # an adapted index's model: INDEX/adapted/
        where = str((folder / src["relative"]).resolve())
    elif src.get("path") and Path(src["path"]).is_dir():
        where = src["path"]
    elif src.get("id"):
        where = src["id"]
    elif src.get("kind") == "default":
        where = None  # the embedded default, distilled again if its cache is gone
    else:
        raise EdgembedError(f"the source model of {folder} is not found ({src.get('path', 'not recorded')}): pass --model MODEL")
    try:
        m = load_model(where)
    except EdgembedError as e:
        raise EdgembedError(f"cannot load the source model of {folder} ({e}): pass --model MODEL") from None
    if m.vocab_size != man.get("vocab_size") or m.dim < int(man.get("dims", 0)):
        raise EdgembedError(f"the source model {where} ({m.vocab_size}x{m.dim}) does not match the export "
                            f"({man.get('vocab_size')}x{man.get('dims')}): pass the right --model")
    return m


def references(model, dims: int, quant: str, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(truth, dequantized) embeddings of TEXTS, from the source model alone."""
    from exporter.formats.quantize import dequantize, quantize
    from exporter.proof.reference import bag_mean

    table = np.ascontiguousarray(model.table[:, :dims])
    truth = bag_mean(table, model.tokenizer_json, model.normalize, texts)
    if quant == "fp32":
        return truth, truth
    return truth, bag_mean(dequantize(quantize(table, quant)), model.tokenizer_json, model.normalize, texts)


# (encode, the engine that ran it in words: called after encode, when a browser has told its version)
Runner = tuple[Callable[[Sequence[str]], np.ndarray], Callable[[], str]]


def _torch(folder: Path, device: str) -> Runner:
    try:
        import torch
    except ImportError:
        raise Skip("PyTorch is not installed (pip install 'edgembed[torch]' for the torch rows)") from None
    if device == "cuda" and not torch.cuda.is_available():
        raise Skip("torch sees no CUDA device")
    from exporter.runtimes.backends import load

    where = "CPU" if device == "cpu" else f"CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}"
    return load(folder, "torch", device=device).encode, lambda: f"PyTorch {torch.__version__} on {where}"


def _onnx(folder: Path, man: dict, device: str) -> Runner:
    try:
        import onnxruntime as ort
    except ImportError:
        raise Skip("onnxruntime is not installed") from None
    if device == "cuda" and "CUDAExecutionProvider" not in ort.get_available_providers():
        raise Skip("onnxruntime has no CUDAExecutionProvider (pip install onnxruntime-gpu)")
    from exporter.runtimes.backends import load

    if "onnx" not in man.get("files", {}):
        raise Skip("the export has no ONNX model (a site-search index's model/ ships only what a page reads)")
    emb = load(folder, "onnx", device=device)
    if device == "cuda" and emb.session.get_providers()[0] != "CUDAExecutionProvider":
        raise Skip(f"the CUDA execution provider did not start (session runs on {emb.session.get_providers()[0]})")
    dist = "onnxruntime-gpu" if device == "cuda" else "onnxruntime"
    return emb.encode, lambda: f"{dist} {ort.__version__}, {emb.session.get_providers()[0]}"


def _flat(folder: Path) -> Runner:
    from exporter.runtimes.backends import load

    return load(folder, "flat").encode, lambda: f"edgembed's flat runtime in Python (numpy {np.__version__})"


def _browser(folder: Path, kind: str) -> Runner:
    """Embeddings computed in headless Chromium by the export's web demo, one browser backend per launch
    (so a page problem is charged to its own backend only); the engine: "Chromium VERSION (headless), ...", the
    version the launched browser reported."""
    try:
        from exporter.proof import browser
    except ImportError as e:
        raise Skip(f"exporter.proof.browser is not available ({e})") from None
    ok, reason = browser.browser_available()
    if not ok:
        raise Skip(str(reason))
    if not (folder / "index.html").is_file():
        raise Skip("the export has no web demo (exported with --no-demo)")
    pins = browser.check_vendor()
    what = (f"onnxruntime-web {pins.get('onnxruntime-web', '?')} (wasm)" if kind == "onnx"
            else "edgembed's flat runtime in JavaScript")
    ran = {"browser": ""}

    def encode(texts: Sequence[str]) -> np.ndarray:
        vecs, ran["browser"] = browser.browser_embed_engine(folder, list(texts), backends=(kind,))
        return vecs[kind]

    return encode, lambda: f"{ran['browser'] or browser.chromium_version()} (headless), {what}"


def _file_hashes(folder: Path, man: dict) -> list[dict]:
    from exporter.fsutil import sha256_file

    rows = []
    for rel, want in sorted((man.get("sha256") or {}).items()):
        p = folder / rel
        got = sha256_file(p) if p.is_file() else None
        rows.append({"file": rel, "sha256": want, "bytes": p.stat().st_size if got else None,
                     "status": "ok" if got == want else ("missing" if got is None else "mismatch")})
    index = (man.get("files") or {}).get("rows")
    if index and (folder / index).is_file() and next((r for r in rows if r["file"] == index), {}).get("status") == "ok":
        from exporter.formats.rows import check_rows

        for rel in check_rows(folder):  # row shards: checked against the (checked) index's hashes
            rows.append({"file": rel, "sha256": "(rows/index.bin)", "bytes": None, "status": "mismatch"})
    return rows


def run_parity(folder: str | Path, extra_texts: Sequence[str] = (), model: str | None = None,
               backends: Sequence[str] = BACKEND_ROWS, status: Callable[[str], None] | None = None) -> dict:
    """The parity report (a JSON-ready dict) of the export in FOLDER; STATUS (when given) hears each step as it starts."""
    say = status or (lambda _: None)
    from exporter.formats.manifest import read_manifest
    from exporter.proof.machine import machine_info
    from exporter.texts import hostile_texts

    folder = Path(folder)
    if not folder.is_dir():
        raise EdgembedError(f"export folder does not exist: {folder}")
    man = read_manifest(folder)
    if man is None:
        raise EdgembedError(f"{folder} is not an edgembed export (no manifest.json with format 'edgembed')")
    try:
        dims, quant = int(man["dims"]), str(man["quant"])
    except (KeyError, TypeError, ValueError):
        raise EdgembedError(f"{folder}/manifest.json has no valid 'dims' and 'quant'") from None
    unknown = [b for b in backends if b not in BACKEND_ROWS]
    if unknown:
        raise EdgembedError(f"unknown backend '{unknown[0]}': choose from {', '.join(BACKEND_ROWS)}")
    texts = hostile_texts() + list(extra_texts)
    src = source_model(folder, man, model)
    say(f"reference vectors of {len(texts)} texts from the source model")
    truth, deq = references(src, dims, quant, texts)
    criterion = "truth" if quant == "fp32" else "dequantized"

    runners: dict[str, Callable[[], Runner]] = {
        "torch-cpu": lambda: _torch(folder, "cpu"), "torch-cuda": lambda: _torch(folder, "cuda"),
        "onnx-cpu": lambda: _onnx(folder, man, "cpu"), "onnx-cuda": lambda: _onnx(folder, man, "cuda"),
        "flat": lambda: _flat(folder),
        "browser-onnx": lambda: _browser(folder, "onnx"), "browser-flat": lambda: _browser(folder, "flat"),
    }
    rows = []
    for i, name in enumerate(backends, 1):
        say(f"{name} ({i}/{len(backends)})" + (": starting Chromium" if name.startswith("browser") else ""))
        t0, engine = time.perf_counter(), None
        try:
            encode, engine = runners[name]()
            got = np.asarray(encode(texts), dtype=np.float32)
            rows.append(_row(name, got, truth, deq, criterion))
        except Skip as e:
            rows.append({"backend": name, "status": "skipped", "reason": str(e)})
        except Exception as e:  # the export does not load or run on this backend: a failure, not a skip
            rows.append({"backend": name, "status": "fail", "reason": f"error: {_one_line(e)}"})
        if engine is not None:
            rows[-1]["engine"] = engine()
        rows[-1]["seconds"] = round(time.perf_counter() - t0, 3)
    machine = machine_info()
    machine["browser"] = next((r["engine"].split(" (headless)")[0] for r in rows
                               if r["backend"].startswith("browser-") and r.get("engine")), None)
    files = _file_hashes(folder, man)
    failed = [r["backend"] for r in rows if r["status"] == "fail"]
    checked = [r["backend"] for r in rows if r["status"] == "pass"]
    bad_files = [f["file"] for f in files if f["status"] != "ok"]
    return {
        "export": str(folder), "dims": dims, "quant": quant, "vocab_size": man.get("vocab_size"),
        "normalize": man.get("normalize"), "tokenizer": man.get("tokenizer"), "source": src.source, "tolerance": TOLERANCE, "criterion": criterion,
        "reference": reference_text(dims, quant, bool(src.normalize)),  # the source model's, as references() computes
        "texts": {"builtin_hostile": len(hostile_texts()), "user": len(extra_texts), "total": len(texts)},
        "backends": rows, "files": files, "machine": machine,
        "passed": bool(checked) and not failed and not bad_files, "failed": failed, "sha256_mismatch": bad_files,
    }


def _row(name: str, got: np.ndarray, truth: np.ndarray, deq: np.ndarray, criterion: str) -> dict:
    if got.shape != truth.shape:
        return {"backend": name, "status": "fail", "reason": f"output shape {got.shape}, expected {truth.shape}"}
    to_truth, to_deq = compare(got, truth), compare(got, deq)
    crit = to_truth if criterion == "truth" else to_deq
    ok = bool(crit["max_abs_diff"] <= TOLERANCE)  # NaN compares False: a NaN output fails
    row = {"backend": name, "status": "pass" if ok else "fail", "to_truth": to_truth, "to_dequantized": to_deq}
    if not ok:
        row["reason"] = f"max |diff| to {criterion} {crit['max_abs_diff']:.3g} > {TOLERANCE:g} (worst text #{crit['worst_text']})"
    return row


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def add_parser(sub) -> None:
    p = sub.add_parser("parity", help="check an export on every backend against the source model")
    p.add_argument("export_dir", help="an export folder (edgembed export --out)")
    p.add_argument("--texts", default=None, help="more texts to check (.txt or .jsonl), added to the built-in hostile set")
    p.add_argument("--report", default=None, help="write the report: OUT.md (Markdown) or OUT.html, plus OUT.json next to "
                                                  "it (may replace earlier reports, never an input)")
    p.add_argument("--force", action="store_true", help="allow --report to replace files that are not parity reports")
    p.add_argument("--model", default=None, help="the source model (default: the one recorded in the manifest)")
    p.add_argument("--backends", default=",".join(BACKEND_ROWS), help=f"comma list (default all: {','.join(BACKEND_ROWS)})")


def run(args) -> int:
    from exporter.inputs import read_texts
    from exporter.proof.report import check_reports, failure_reasons, render_markdown, write_reports

    real = check_reports(Path(args.report), args.force, {
        "the export": args.export_dir, "the --texts file": args.texts, "the --model": args.model}) if args.report is not None else None
    extra = read_texts(args.texts) if args.texts else []
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    report = run_parity(args.export_dir, extra, model=args.model, backends=backends,
                        status=lambda msg: print(f"edgembed parity: {msg}", file=sys.stderr, flush=True))
    if real is not None:
        for path in write_reports(report, Path(args.report), real):
            print(f"wrote {path}")
    print(render_markdown(report, summary=True))
    if not report["passed"]:
        print(f"edgembed: parity failed: {failure_reasons(report)}", file=sys.stderr)
        return 1
    return 0

