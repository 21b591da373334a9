"""The retrieval test collections that ship inside the package (exporter/data/, see its README.md)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
BUNDLED = ("cranfield", "cisi")
BENCH_DATASET = "cranfield"


def beir_dir(data: str | Path) -> Path:
    """DATA as a folder: an existing path as given, else the bundled collection of that name (cranfield, cisi)."""
    path = Path(data)
    if not path.exists() and str(data) in BUNDLED:
        return DATA / str(data)
    return path


def bench_texts() -> tuple[list[str], str]:
    """edgembed bench's one default text set: the bundled cranfield corpus (title + text) then its judged queries."""
    from exporter.proof.retrieval import load_beir

    data = load_beir(DATA / BENCH_DATASET)
    return data.doc_texts + data.query_texts, f"bundled {BENCH_DATASET} corpus + queries ({len(data.doc_texts)} + {len(data.query_texts)})"
