"""The parity report as JSON, Markdown or HTML. Every string from outside (paths, error text) is escaped."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from exporter.fsutil import atomic_file


def dumps(report: dict) -> str:
    """The report as JSON (NaN and Inf written as null)."""
    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(report), indent=2, ensure_ascii=False) + "\n"


def _md(text: object, cell: bool = True) -> str:
    """Markdown text on one line with no live HTML (and, in a table cell, no pipes)."""
    s = html.escape(" ".join(str(text).split()), quote=False).replace("`", "'")
    return s.replace("|", "\\|") if cell else s


def _num(x: float | None, fmt: str) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, fmt)


def table_rows(report: dict) -> list[list[str]]:
    """One list of (unescaped) cells per backend, in the order of ``header``."""
    quantized = report["criterion"] != "truth"
    rows = []
    for r in report["backends"]:
        d, t = r.get("to_dequantized") or {}, r.get("to_truth") or {}
        cells = [r["backend"], r.get("engine", ""), r["status"].upper() if r["status"] == "fail" else r["status"]]
        cells += [_num(d.get("max_abs_diff"), ".2e")] if quantized else []
        cells += [_num(t.get("max_abs_diff"), ".2e"), _num(t.get("min_cosine"), ".7f"), _num(t.get("mean_cosine"), ".7f"),
                  _num(r.get("seconds"), ".2f"), r.get("reason", "")]
        rows.append(cells)
    return rows


def header(report: dict) -> list[str]:
    """Column names; a quantized export also shows the distance to its dequantized table (its pass criterion).
    "truth" and "dequantized" are the references the report's intro defines (parity.reference_text)."""
    quantized = report["criterion"] != "truth"
    return (["backend", "engine", "status"] + (["max abs diff to dequantized"] if quantized else [])
            + ["max abs diff to truth", "min cos to truth", "mean cos to truth", "seconds", "note"])


def verdict(report: dict) -> str:
    return "PASS" if report["passed"] else f"FAIL ({failure_reasons(report)})"


def failure_reasons(report: dict) -> str:
    """Why a parity run failed, in one line."""
    parts = []
    if report["failed"]:
        parts.append("diverged: " + ", ".join(report["failed"]))
    if report["sha256_mismatch"]:
        parts.append("sha256 mismatch: " + ", ".join(report["sha256_mismatch"]))
    if not parts:
        parts.append("no backend could run here (all skipped)")
    return "; ".join(parts)


def _intro(report: dict) -> list[tuple[str, str]]:
    t, src = report["texts"], report["source"]
    crit = ("the fp32 source table truncated to dims (truth)" if report["criterion"] == "truth"
            else f"the source table truncated to dims, quantized to {report['quant']} and dequantized")
    return [
        ("export", f"{report['export']}: {report['vocab_size']} x {report['dims']}, {report['quant']}, normalize {str(report['normalize']).lower()}"),
        ("source model", ", ".join(f"{k}: {v}" for k, v in src.items())),
        ("texts", f"{t['builtin_hostile']} built-in hostile + {t['user']} user = {t['total']}"),
        *[(f"reference '{k}'", v) for k, v in (report.get("reference") or {}).items()],
        ("pass criterion", f"max |diff| ≤ {report['tolerance']:g} to {crit}"),
        ("JS tokenizer (browser, Node, edge)", js_tokenizer_note(report.get("tokenizer"))),
        ("result", verdict(report)),
    ]


def js_tokenizer_note(tok: dict | None) -> str:
    """What the manifest says about the JS runtime's tokenizer, and how far its exactness is proven."""
    tok = tok or {}
    if tok.get("runtime") == "exact":
        return (f"exact: edgembed's WordPiece with chartable.bin, probed from tokenizers {tok.get('tokenizers', '?')}; "
                "equal to Python on every code point (edgembed's test suite), not only on these texts")
    if tok.get("runtime") == "library":
        return (f"library: @huggingface/tokenizers ({tok.get('reason', 'not WordPiece')}); its ids are NOT proven equal to "
                "Python's beyond the texts checked here")
    return "unknown (an export made before edgembed recorded it)"


def _machine(report: dict) -> list[tuple[str, str]]:
    m = report["machine"]
    return [("CPU", f"{m['cpu']} ({m['cpu_count']} cores)"), ("GPU", m.get("gpu") or "none"),
            ("OS", m["os"]), ("Python", m["python"]),
            ("libraries", ", ".join(f"{k} {v}" for k, v in m["libraries"].items())),
            ("Node", m.get("node") or "none on PATH"), ("browser", m.get("browser") or "none ran"),
            ("onnxruntime providers", ", ".join(m["onnxruntime_providers"]) or "none"),
            ("torch CUDA", str(m.get("torch_cuda") or "none"))]


def render_markdown(report: dict, summary: bool = False) -> str:
    """The report in Markdown; ``summary`` leaves out the files' hashes (for the terminal)."""
    out = ["# edgembed parity report", ""]
    out += [f"- {k}: {_md(v, cell=False)}" for k, v in _intro(report)] + [""]
    out.append("| " + " | ".join(_md(h) for h in header(report)) + " |")
    out.append("|" + "---|" * len(header(report)))
    out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table_rows(report)]
    out += ["", "## Machine", ""] + [f"- {k}: {_md(v, cell=False)}" for k, v in _machine(report)]
    if summary:
        return "\n".join(out)
    out += ["", "## Files", "", "| file | bytes | sha256 | check |", "|---|---|---|---|"]
    out += [f"| {_md(f['file'])} | {f['bytes'] if f['bytes'] is not None else 'n/a'} | {_md(f['sha256'])} | {f['status']} |"
            for f in report["files"]]
    return "\n".join(out) + "\n"


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgembed parity report</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.fail{color:#b00;font-weight:bold}.pass{color:#070}.skipped{color:#777}code{font-size:12px}</style></head><body>
<h1>edgembed parity report</h1>
<ul>{% for k, v in intro %}<li>{{ k }}: {{ v }}</li>{% endfor %}</ul>
<table><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for c in row %}<td{% if loop.index == 3 %} class="{{ c|lower }}"{% endif %}>{{ c }}</td>{% endfor %}</tr>
{% endfor %}</table>
<h2>Machine</h2><ul>{% for k, v in machine %}<li>{{ k }}: {{ v }}</li>{% endfor %}</ul>
<h2>Files</h2><table><tr><th>file</th><th>bytes</th><th>sha256</th><th>check</th></tr>
{% for f in files %}<tr><td>{{ f.file }}</td><td>{{ f.bytes }}</td><td><code>{{ f.sha256 }}</code></td><td>{{ f.status }}</td></tr>
{% endfor %}</table></body></html>
"""


def render_html(report: dict) -> str:
    """The report as a standalone HTML page (Jinja2 with autoescape on)."""
    import jinja2

    env = jinja2.Environment(autoescape=True)
    return env.from_string(_HTML).render(intro=_intro(report), header=header(report), rows=table_rows(report),
                                         machine=_machine(report), files=report["files"])


def report_paths(path: Path) -> dict[Path, str]:
    """The files ``--report PATH`` writes and their kinds (fsutil.FILE_KINDS): PATH (.md, .html; .json writes the
    Markdown next to it) and the JSON beside it."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return {path: "parity-json", path.with_suffix(".md"): "parity-md"}
    if path.suffix.lower() in (".html", ".htm"):
        return {path: "parity-html", path.with_suffix(".json"): "parity-json"}
    return {path: "parity-md", path.with_suffix(".json"): "parity-json"}


def check_reports(path: Path, force: bool = False, inputs: dict | None = None) -> dict[Path, str]:
    """Refuse (one line) report paths that may not be written (fsutil.check_out_file); shown path -> real path."""
    from exporter.fsutil import check_out_file

    suffix = Path(path).suffix.lower()
    kind = "parity-json" if suffix == ".json" else "parity-html" if suffix in (".html", ".htm") else "parity-md"
    first = check_out_file(path, kind, force, inputs or {}, flag="--report")  # before report_paths: "/" has no suffix to swap
    return {p: first if p == Path(path) else check_out_file(p, k, force, inputs or {}, flag="--report")
            for p, k in report_paths(path).items()}


def write_reports(report: dict, path: Path, real: dict | None = None) -> list[Path]:
    """Write PATH and the JSON beside it (report_paths), atomically; REAL: check_reports' answer (where to write)."""
    render = {"parity-json": dumps, "parity-md": render_markdown, "parity-html": render_html}
    outputs = report_paths(path)
    for p, kind in outputs.items():
        with atomic_file((real or {}).get(p, p)) as tmp:
            tmp.write_text(render[kind](report), encoding="utf-8")
    return list(outputs)
