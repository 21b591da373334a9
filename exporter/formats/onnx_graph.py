"""The ONNX graph: padded Gather, in-graph dequantization and masked mean (no per-bag Loop)."""

from __future__ import annotations

import numpy as np

from exporter.formats.table import QuantizedTable

OPSET = 18
IR_VERSION = 8
INPUTS = ("input_ids", "attention_mask")
OUTPUT = "sentence_embedding"
HF_OUTPUT = "last_hidden_state"  # the name transformers.js' feature-extraction pipeline reads


def build_onnx(qt: QuantizedTable, normalize: bool, producer: str = "edgembed"):
    """An onnx.ModelProto mapping input_ids/attention_mask [batch, seq] (int64) to [batch, dims] float32.

    The table stays in its stored type (fp16, int8, packed int4, pq codes) and is dequantized per gathered token
    (pq: codes -> Gather from the codebooks -> times the row norm; no Loop).
    Pad positions must have attention_mask 0; a row whose mask is all zero gives a zero vector.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes: list = []
    inits = [numpy_helper.from_array(np.ascontiguousarray(qt.data), "table")]

    def const(name: str, value) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], out: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    g = node("Gather", ["table", "input_ids"], "rows", axis=0)  # [B, L, K]
    m = node("Cast", ["attention_mask"], "mask_f32", to=TensorProto.FLOAT)
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

    dyn = ["batch", "sequence"]
    graph = helper.make_graph(
        nodes, "edgembed_static_embedding",
        [helper.make_tensor_value_info(n, TensorProto.INT64, dyn) for n in INPUTS],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", qt.dims]) for n in (OUTPUT, HF_OUTPUT)],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=producer)
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def _pq_sum(qt: QuantizedTable, g: str, m: str, ax1: str, node, const, inits) -> str:
    """pqM: codes [B, L, M] -> codebook rows [B, L, M, D/M] scaled by the row norm, masked sum -> [B, D]."""
    from onnx import TensorProto, numpy_helper

    assert qt.scales is not None and qt.codebooks is not None
    n_sub, k, ds = qt.codebooks.shape
    inits.append(numpy_helper.from_array(qt.codebooks.astype(np.float32).reshape(n_sub * k, ds), "codebooks"))
    inits.append(numpy_helper.from_array(qt.scales.astype(np.float32).reshape(-1, 1, 1), "scales"))
    codes = node("Cast", [g], "codes_i64", to=TensorProto.INT64)
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
    from onnx import TensorProto, numpy_helper

    if qt.quant == "fp32":
        x = g
    elif qt.quant == "fp16":
        x = node("Cast", [g], "rows_f32", to=TensorProto.FLOAT)
    else:
        assert qt.scales is not None
        inits.append(numpy_helper.from_array(qt.scales.astype(np.float32).reshape(-1, 1), "scales"))
        if qt.quant == "int8":
            q = node("Cast", [g], "q_f32", to=TensorProto.FLOAT)
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
            nf = node("Cast", [nib], "nib_f32", to=TensorProto.FLOAT)
            q = node("Sub", [nf, const("eight", np.array(8.0, np.float32))], "q_f32")
        s = node("Gather", ["scales", "input_ids"], "row_scales", axis=0)  # [B, L, 1]
        x = node("Mul", [q, s], "rows_f32")
    m3 = node("Unsqueeze", [m, const("ax2", np.array([2], np.int64))], "mask3")
    masked = node("Mul", [x, m3], "masked")
    return node("ReduceSum", [masked, ax1], "sum", keepdims=0)
