"""The ONNX graph: padded Gather, in-graph dequantization and masked mean (no per-bag Loop).

The graph is described once (``_describe``: nodes and initializers) and written two ways: ``onnx_bytes``, the
serialized ModelProto written by the protobuf wire rules directly (what ``edgembed export`` writes: importing
``onnx`` costs about a second of start-up here, more than the rest of the export), and ``build_onnx``, the same model
made with ``onnx.helper`` and checked by ``onnx.checker`` (tests/test_onnx_wire.py compares the two byte for byte).
"""

from __future__ import annotations

import numpy as np

from exporter.formats.table import QuantizedTable

OPSET = 18
IR_VERSION = 8
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "sentence_embedding"
HF_OUTPUT = "last_hidden_state"  # the name transformers.js' feature-extraction pipeline reads
GRAPH_NAME = "edgembed_static_embedding"
FLOAT, UINT8, INT8, INT64, FLOAT16 = 1, 2, 3, 7, 10  # onnx data type codes
_DTYPES = {np.dtype("float32"): FLOAT, np.dtype("uint8"): UINT8, np.dtype("int8"): INT8, np.dtype("int64"): INT64,
           np.dtype("float16"): FLOAT16}

Node = tuple  # (op_type, inputs, output, attributes)


def _describe(qt: QuantizedTable, normalize: bool) -> tuple[list[Node], list[tuple[str, np.ndarray]]]:
    """The graph mapping input_ids/attention_mask [batch, seq] (int64) to [batch, dims] float32: nodes, initializers.

    The table stays in its stored type (fp16, int8, packed int4, pq codes) and is dequantized per gathered token
    (pq: codes -> Gather from the codebooks -> times the row norm; no Loop).
    Pad positions must have attention_mask 0; a row whose mask is all zero gives a zero vector.
    """
    nodes: list[Node] = []
    inits: list[tuple[str, np.ndarray]] = [("table", np.ascontiguousarray(qt.data))]

    def const(name: str, value) -> str:
        inits.append((name, np.asarray(value)))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append((op, inputs, out, attrs))
        return out

    g = node("Gather", ["table", "input_ids"], "rows", axis=0)  # [B, L, K]
    m = node("Cast", ["attention_mask"], "mask_f32", to=FLOAT)
    ax1 = const("ax1", np.array([1], np.int64))
    if qt.codebooks is not None:
        total = _pq_sum(qt, g, m, ax1, node, const, inits)
    else:
        total = _row_sum(qt, g, m, ax1, node, const, inits)
    count = node("ReduceSum", [m, ax1], "count", keepdims=1)
    den = node("Max", [count, const("one", np.array(1.0, np.float32))], "den")
    out = node("Div", [total, den], "mean" if normalize else OUTPUT)
    if normalize:  # F.normalize(p=2, eps=1e-12)
        norm = node("ReduceL2", [out, ax1], "norm", keepdims=1)
        out = node("Div", [out, node("Max", [norm, const("eps", np.array(1e-12, np.float32))], "norm_eps")], OUTPUT)
    node("Identity", [OUTPUT], HF_OUTPUT)
    return nodes, inits


def _io(qt: QuantizedTable) -> tuple[list[tuple[str, int, list]], list[tuple[str, int, list]]]:
    dyn: list = ["batch", "sequence"]
    return [(n, INT64, dyn) for n in INPUTS], [(n, FLOAT, ["batch", qt.dims]) for n in (OUTPUT, HF_OUTPUT)]


def build_onnx(qt: QuantizedTable, normalize: bool, producer: str = "edgembed"):
    """The model as an onnx.ModelProto (made with onnx.helper, checked with onnx.checker's full check)."""
    import onnx
    from onnx import helper, numpy_helper

    nodes, inits = _describe(qt, normalize)
    ins, outs = _io(qt)
    graph = helper.make_graph(
        [helper.make_node(op, i, [o], name=o, **a) for op, i, o, a in nodes], GRAPH_NAME,
        [helper.make_tensor_value_info(n, t, s) for n, t, s in ins],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outs],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=producer)
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def onnx_bytes(qt: QuantizedTable, normalize: bool, producer: str = "edgembed") -> bytes:
    """The serialized model (ModelProto by onnx.proto's field numbers; proto2, so repeated scalars are unpacked),
    written without onnx: the same bytes as ``build_onnx(...).SerializeToString()``."""
    nodes, inits = _describe(qt, normalize)
    ins, outs = _io(qt)
    graph = b"".join(
        [_msg(1, _node(*n)) for n in nodes] + [_msg(2, GRAPH_NAME.encode())]
        + [_msg(5, _tensor(n, a)) for n, a in inits]
        + [_msg(11, _value_info(*v)) for v in ins] + [_msg(12, _value_info(*v)) for v in outs])
    opset = _msg(1, b"") + _int(2, OPSET)
    return _int(1, IR_VERSION) + _msg(2, producer.encode()) + _msg(7, graph) + _msg(8, opset)


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1  # a negative int64 takes ten bytes of two's complement, as protobuf writes it
    out = bytearray()
    while n > 0x7F:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.append(n)
    return bytes(out)


def _int(field: int, v: int) -> bytes:
    return _varint(field << 3) + _varint(v)


def _msg(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _node(op: str, inputs: list[str], out: str, attrs: dict) -> bytes:
    b = [_msg(1, i.encode()) for i in inputs] + [_msg(2, out.encode()), _msg(3, out.encode()), _msg(4, op.encode())]
    for name, v in sorted(attrs.items()):  # onnx.helper.make_node adds them sorted by name
        if isinstance(v, str):
            body, kind = _msg(4, v.encode()), 3  # AttributeProto.s, STRING
        elif isinstance(v, (list, tuple)):
            body, kind = b"".join(_int(8, int(x)) for x in v), 7  # .ints, INTS
        else:
            body, kind = _int(3, int(v)), 2  # .i, INT
        b.append(_msg(5, _msg(1, name.encode()) + body + _int(20, kind)))
    return b"".join(b)


def _tensor(name: str, a: np.ndarray) -> bytes:
    code = _DTYPES[a.dtype]  # native little-endian arrays only (as this module makes them)
    return (b"".join(_int(1, d) for d in a.shape) + _int(2, code) + _msg(8, name.encode())
            + _msg(9, np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"), copy=False).tobytes()))


def _value_info(name: str, elem: int, shape: list) -> bytes:
    dims = b"".join(_msg(1, _int(1, d) if isinstance(d, int) else _msg(2, d.encode())) for d in shape)
    return _msg(1, name.encode()) + _msg(2, _msg(1, _int(1, elem) + _msg(2, dims)))


def _pq_sum(qt: QuantizedTable, g: str, m: str, ax1: str, node, const, inits) -> str:
    """pqM: codes [B, L, M] -> codebook rows [B, L, M, D/M] scaled by the row norm, masked sum -> [B, D]."""
    assert qt.scales is not None and qt.codebooks is not None
    n_sub, k, ds = qt.codebooks.shape
    inits.append(("codebooks", qt.codebooks.astype(np.float32).reshape(n_sub * k, ds)))
    inits.append(("scales", qt.scales.astype(np.float32).reshape(-1, 1, 1)))
    codes = node("Cast", [g], "codes_i64", to=INT64)
    idx = node("Add", [codes, const("code_base", np.arange(n_sub, dtype=np.int64) * k)], "centroid_idx")
    vals = node("Gather", ["codebooks", idx], "centroids", axis=0)  # [B, L, M, ds]
    s = node("Gather", ["scales", "input_ids"], "row_norms", axis=0)  # [B, L, 1, 1]
    x = node("Mul", [vals, s], "rows_f32")
    m4 = node("Unsqueeze", [m, const("ax23", np.array([2, 3], np.int64))], "mask4")
    masked = node("Mul", [x, m4], "masked")
    total = node("ReduceSum", [masked, ax1], "sum_sub", keepdims=0)  # [B, M, ds]
    t = node("Transpose", [total], "sum_t", perm=[0, 2, 1])  # column j = component j // M of subspace j % M
    return node("Reshape", [t, const("shape_bd", np.array([0, qt.dims], np.int64))], "sum")


def _row_sum(qt: QuantizedTable, g: str, m: str, ax1: str, node, const, inits) -> str:
    """fp32/fp16/int8/int4: gathered rows [B, L, K] dequantized per token, masked sum -> [B, D]."""
    if qt.quant == "fp32":
        x = g
    elif qt.quant == "fp16":
        x = node("Cast", [g], "rows_f32", to=FLOAT)
    else:
        assert qt.scales is not None
        inits.append(("scales", qt.scales.astype(np.float32).reshape(-1, 1)))
        if qt.quant == "int8":
            q = node("Cast", [g], "q_f32", to=FLOAT)
        else:
            lo = node("BitwiseAnd", [g, const("nib_mask", np.array(15, np.uint8))], "nib_lo")
            hi = node("BitShift", [g, const("nib_shift", np.array(4, np.uint8))], "nib_hi", direction="RIGHT")
            axis = const("ax_last", np.array([-1], np.int64))
            lo4 = node("Unsqueeze", [lo, axis], "nib_lo4")
            hi4 = node("Unsqueeze", [hi, axis], "nib_hi4")
            pairs = node("Concat", [lo4, hi4], "nib_pairs", axis=-1)  # [B, L, K, 2]
            bl = node("Shape", [g], "shape_bl", start=0, end=2)
            shape = node("Concat", [bl, const("width", np.array([2 * qt.data.shape[1]], np.int64))], "shape_bld", axis=0)
            nib = node("Reshape", [pairs, shape], "nibbles")  # [B, L, 2K]
            if 2 * qt.data.shape[1] != qt.dims:
                nib = node("Slice", [nib, const("sl_start", np.array([0], np.int64)), const("sl_end", np.array([qt.dims], np.int64)), axis], "nibbles_d")
            nf = node("Cast", [nib], "nib_f32", to=FLOAT)
            q = node("Sub", [nf, const("eight", np.array(8.0, np.float32))], "q_f32")
        s = node("Gather", ["scales", "input_ids"], "row_scales", axis=0)  # [B, L, 1]
        x = node("Mul", [q, s], "rows_f32")
    m3 = node("Unsqueeze", [m, const("ax2", np.array([2], np.int64))], "mask3")
    masked = node("Mul", [x, m3], "masked")
    return node("ReduceSum", [masked, ax1], "sum", keepdims=0)
