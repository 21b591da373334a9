"""selftest.json: reference token ids and vectors computed in Python at export time, which a runtime on the user's
device checks itself against (`model.selfTest()` in JS): the ids of the built-in hostile texts (exact), and the
vectors of a few short texts (the export's own table, as the flat backend computes them; tolerance 1e-5)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from exporter.formats.pooling import mean_rows
from exporter.formats.table import QuantizedTable
from exporter.texts import hostile_texts

FILE = "selftest.json"
TOLERANCE = 1e-5
# short, so that checking them fetches few row shards; between them: Latin, accents, CJK, an emoji ZWJ sequence,
# an added token, punctuation and the empty text
VECTOR_TEXTS = ["A man is playing a guitar.", "café naïve résumé, Ångström!", "静的埋め込み 👩\u200d💻 [MASK]", ""]


def write_selftest(out: Path, qt: QuantizedTable, normalize: bool, tokenizer_json: str) -> dict[str, str]:
    """Write OUT/selftest.json for the quantized table QT and the runtime tokenizer; returns the manifest entry."""
    from exporter.sources.tokenizer import encode_ids, load_tokenizer

    tok = load_tokenizer(tokenizer_json)
    texts = [t for t in hostile_texts() if len(t) < 2000]  # all but the 20,000-word text
    ids = encode_ids(tok, texts)
    vecs = mean_rows(qt, encode_ids(tok, VECTOR_TEXTS), normalize)
    spec = {
        "about": "reference ids and vectors computed by edgembed in Python at export time (model.selfTest() in JS)",
        "tolerance": TOLERANCE,
        "ids": [{"text": t, "ids": i} for t, i in zip(texts, ids)],
        "vectors": {"texts": VECTOR_TEXTS, "dims": qt.dims,
                    "float32_base64": base64.b64encode(np.ascontiguousarray(vecs, dtype="<f4").tobytes()).decode("ascii")},
    }
    (Path(out) / FILE).write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return {"selftest": FILE}
