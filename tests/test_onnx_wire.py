"""The export's fast paths: the ONNX file written without onnx (byte-identical to onnx.helper's, checked), the export
never importing onnx, and a failure in the row-shard thread leaving nothing behind."""

import subprocess
import sys

import numpy as np
import pytest

import exporter
from exporter.formats.onnx_graph import _varint, build_onnx, onnx_bytes
from exporter.formats.quantize import quantize

SEED = 26


@pytest.mark.parametrize("quant,vocab,dims", [("fp32", 300, 48), ("fp16", 300, 48), ("int8", 301, 48),
                                              ("int4", 300, 48), ("int4", 257, 47), ("pq8", 300, 48)])
@pytest.mark.parametrize("normalize", [True, False])
def test_wire_bytes_equal_onnx_helper(quant, vocab, dims, normalize):
    print(f"seed {SEED}")
    table = np.random.default_rng(SEED).standard_normal((vocab, dims)).astype(np.float32)
    qt = quantize(table, quant)
    want = build_onnx(qt, normalize).SerializeToString()  # onnx.helper, then onnx.checker's full check
    assert onnx_bytes(qt, normalize) == want
    assert onnx_bytes(qt, normalize, producer="x") != want


def test_varint_is_protobufs():
    from google.protobuf.internal.encoder import _VarintBytes

    for n in [0, 1, 127, 128, 300, 2**31, 2**63 - 1]:
        assert _varint(n) == _VarintBytes(n)
    assert _varint(-1) == b"\xff" * 9 + b"\x01"  # int64 -1, as protobuf writes a negative int64 (ten bytes)


def test_export_does_not_import_onnx(distilled_dir, tmp_path):
    """`import onnx` costs about a second of start-up (ml_dtypes): the export path must not pay it."""
    code = ("import sys, exporter; exporter.export(sys.argv[1], sys.argv[2], dims=32, quant='int8', demo=False); "
            "print(sorted(m for m in sys.modules if m == 'onnx' or m.startswith(('onnx.', 'ml_dtypes'))))")
    r = subprocess.run([sys.executable, "-c", code, str(distilled_dir), str(tmp_path / "out")], capture_output=True,
                       text=True, check=True)
    assert r.stdout.strip() == "[]"
    import onnx

    onnx.checker.check_model(onnx.load(str(tmp_path / "out" / "onnx" / "model.onnx")), full_check=True)


def test_a_failing_shard_writer_leaves_nothing(distilled_dir, tmp_path, monkeypatch):
    """The shards are written on a second thread: its error reaches the caller, and no temp folder is left."""
    import exporter.formats.rows as rows

    def boom(out, *a, **k):
        (out / "rows").mkdir()
        (out / "rows" / "0.bin").write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rows, "write_rows", boom)
    with pytest.raises(OSError, match="No space left"):
        exporter.export(distilled_dir, tmp_path / "out", dims=32, quant="int8", demo=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("quant", ["fp32", "fp16", "int8", "int4", "pq8"])
def test_shards_written_in_blocks_read_back_whole(quant, tmp_path):
    """write_rows cuts shards from blocks of 512: more shards than a block, and a short last shard, read back as
    the table (every shard checked against the index's hash)."""
    from exporter.formats.flat import row_bytes
    from exporter.formats.rows import INDEX, check_rows, read_index, read_table, write_rows

    print(f"seed {SEED}")
    qt = quantize(np.random.default_rng(SEED).standard_normal((2051, 24)).astype(np.float32), quant)
    write_rows(tmp_path, qt, True, target=2 * (row_bytes(quant, 24) + 4))  # 2 rows a shard, the last one alone
    idx = read_index((tmp_path / INDEX).read_bytes())
    assert (idx["shard_rows"], idx["shards"]) == (2, 1026)
    assert check_rows(tmp_path) == []
    back, normalize = read_table(tmp_path)
    assert normalize and back.quant == qt.quant and np.array_equal(back.data, qt.data)
    assert (back.scales is None) == (qt.scales is None) and (qt.scales is None or np.array_equal(back.scales, qt.scales))
