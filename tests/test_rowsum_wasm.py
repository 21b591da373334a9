"""The flat backend's int8 row sum in wasm SIMD (web/runtime/rowsum_wasm.mjs, used by the pool workers) gives the
JavaScript path's vectors bit for bit: random tables whose sums round in float64 (so a changed order of additions
shows; `--reverse` proves the check can see it), every id count 0..13 and long texts, out-of-range ids."""

from __future__ import annotations

import json
import random
import shutil
import subprocess

import pytest

from tests.conftest import WEB

NODE = shutil.which("node")
SCRIPT = WEB / "scripts" / "rowsum_check.mjs"

pytestmark = pytest.mark.skipif(NODE is None, reason="needs node")


def check(seed: int, *extra: str) -> dict:
    proc = subprocess.run([NODE, str(SCRIPT), str(seed), *extra], cwd=WEB, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_wasm_row_sum_is_bit_identical_to_javascript():
    seed = random.randrange(1, 2**31)
    print(f"seed {seed}")
    res = check(seed)
    assert res["valid"], "the assembled module does not validate in Node"
    assert res["cases"] == 5 * 17 * 20 and res["differing"] == 0, res
    assert res["errors"] == [], "out-of-range ids: the wasm path must raise the JavaScript path's RangeError"
    assert res["nulls"] == {"fp32": True, "int4": True, "int8x12": True}, "only int8 with dims % 8 == 0 takes wasm"


def test_the_check_sees_a_changed_order():
    res = check(7, "--reverse")  # the JavaScript side sums the ids backwards: some vectors must differ
    assert res["differing"] > 0, res
