"""CPU seconds of the ``--adapt`` fit alone (exporter/search/adapt.py ``fit_table``) on cranfield written as a site
(1,398 chunks), from the teacher features in the user feature cache (so run ``edgembed index --adapt`` on that site
once first), for adapt.py as it is ("now") and as it was at a git revision ("before"):

    python3 benchmarks/adapt_fit_cpu.py [--before REV] [--site DIR]"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from search_site import beir_site  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", help="a git revision: also time adapt.py as it was there")
    ap.add_argument("--site", default="/tmp/edgembed-cranfield-site", help="where cranfield is written as a site")
    a = ap.parse_args()
    from exporter.search import adapt, build
    from exporter.search.teacher import FeatureCache, Teacher, feature_cache_dir
    from exporter.sources.loading import load_model

    site = Path(a.site)
    if not site.is_dir():
        beir_site(ROOT / "exporter" / "data" / "cranfield", site)
    _, pages, _ = build._pages(site, None, None, None, build._Where(), False)
    texts = [" ".join(x for x in (p.title, c.heading, c.text) if x) for p in pages for c in p.chunks]
    t = Teacher(None)
    cache = FeatureCache(feature_cache_dir(), t.identity)
    keys = [cache.key(x) for x in texts]
    have = cache.get(keys)
    if set(keys) - set(have):
        raise SystemExit(f"{len(set(keys) - set(have))} of {len(texts)} chunks have no cached features: "
                         f"run `edgembed index {site} --adapt --out DIR` first")
    feats = np.stack([have[k] for k in keys])
    mods = [("now", adapt)]
    if a.before:
        src = subprocess.run(["git", "show", f"{a.before}:exporter/search/adapt.py"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        path = Path(tempfile.mkdtemp()) / "adapt_before.py"
        path.write_text(src, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("adapt_before", path)
        before = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(before)
        mods.insert(0, (f"before ({a.before})", before))
    model = load_model(None)
    for name, mod in mods:
        t0, w0 = time.process_time(), time.perf_counter()
        _, state = mod.fit_table(model.table, model.tokenizer_json, texts, feats, t.max_tokens - 2, progress=False)
        print(f"{name}: {len(texts)} chunks, fit {time.process_time() - t0:.1f} CPU s, "
              f"{time.perf_counter() - w0:.0f} s wall, {state['epochs']} epochs", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
