"""ONNX export of a :class:`~models.dncnn.DnCNN`, built node by node with BatchNorm folded into the convs.

The graph (opset 17) maps ``slices (n, S, h, w) float32`` to ``denoised (n, 1, h, w) float32`` with dynamic
``n``, ``h`` and ``w``::

    Conv+ReLU → (Conv[BN folded]+ReLU) × (depth-2) → Conv = noise;  denoised = slices[:, S//2] − noise

With ``noise_map`` the first conv reads ``Concat(slices, map)``, the map built from Pad (edge), AveragePool and
elementwise nodes exactly as :func:`models.noise_map.noise_level_map` computes it.

Folding (inference-mode BN with running statistics): ``W' = W·γ/√(var+ε)``, ``b' = β + (b − mean)·γ/√(var+ε)``.
Building the graph directly keeps the export independent of torch's (deprecated) TorchScript exporter and gives
onnxruntime the fused convolutions it runs fastest.
"""

from __future__ import annotations

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from models.bundle_info import INPUT_NAME, OUTPUT_NAME
from models.dncnn import DnCNN
from models.noise_map import NOISE_MAP_DELTA, NOISE_MAP_EPS, NOISE_MAP_WINDOW

__all__ = [
    "EXPORT_TOLERANCE",
    "INPUT_NAME",
    "OPSET",
    "OUTPUT_NAME",
    "dncnn_to_onnx",
    "export_max_abs_diff",
    "folded_convs",
]

OPSET = 17
EXPORT_TOLERANCE = 1e-4
"""Largest |onnxruntime − torch| allowed, as a fraction of the input's scale."""


def folded_convs(*, model: DnCNN) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per conv layer, ``(weight (out, in, 3, 3), bias (out,))`` float32 with its BatchNorm folded in."""
    folded = []
    for conv, norm in zip(model.convs, model.norms, strict=True):
        assert isinstance(conv, torch.nn.Conv2d)
        weight = conv.weight.detach().double().cpu()
        bias = conv.bias.detach().double().cpu() if conv.bias is not None else torch.zeros(weight.shape[0]).double()
        if isinstance(norm, torch.nn.BatchNorm2d):
            assert norm.running_mean is not None and norm.running_var is not None
            factor = norm.weight.detach().double().cpu() / torch.sqrt(norm.running_var.double().cpu() + norm.eps)
            weight = weight * factor[:, None, None, None]
            bias = norm.bias.detach().double().cpu() + (bias - norm.running_mean.double().cpu()) * factor
        folded.append((weight.float().numpy(), bias.float().numpy()))
    return folded


def _box_nodes(*, source: str, width: int, out: str) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """``out`` = the ``width``-wide box mean of ``source`` (n, 1, h, w) with edge padding, separable (a column
    pool, then a row pool)."""
    half = width // 2
    pads = numpy_helper.from_array(np.array([0, 0, half, half, 0, 0, half, half], dtype=np.int64), f"{out}_pads")
    nodes = [
        helper.make_node("Pad", [source, f"{out}_pads"], [f"{out}_padded"], mode="edge"),
        helper.make_node("AveragePool", [f"{out}_padded"], [f"{out}_columns"], kernel_shape=[width, 1]),
        helper.make_node("AveragePool", [f"{out}_columns"], [out], kernel_shape=[1, width]),
    ]
    return nodes, [pads]


def _noise_map_nodes(*, centre: str, out: str) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]]:
    """Nodes computing :func:`models.noise_map.noise_level_map` of ``centre`` into ``out``."""
    smooth, smooth_init = _box_nodes(source=centre, width=3, out="nm_box3")
    variance, variance_init = _box_nodes(source="nm_high2", width=NOISE_MAP_WINDOW, out="nm_variance")
    mean, mean_init = _box_nodes(source="nm_positive", width=NOISE_MAP_WINDOW, out="nm_mean")
    constants = [
        numpy_helper.from_array(np.array(NOISE_MAP_DELTA, dtype=np.float32), "nm_delta"),
        numpy_helper.from_array(np.array(NOISE_MAP_EPS, dtype=np.float32), "nm_eps"),
    ]
    nodes = [
        *smooth,
        helper.make_node("Sub", [centre, "nm_box3"], ["nm_high"]),
        helper.make_node("Mul", ["nm_high", "nm_high"], ["nm_high2"]),
        *variance,
        helper.make_node("Relu", [centre], ["nm_positive"]),
        *mean,
        helper.make_node("Add", ["nm_mean", "nm_delta"], ["nm_denominator"]),
        helper.make_node("Div", ["nm_variance", "nm_denominator"], ["nm_ratio"]),
        helper.make_node("Add", ["nm_ratio", "nm_eps"], ["nm_guarded"]),
        helper.make_node("Sqrt", ["nm_guarded"], [out]),
    ]
    return nodes, smooth_init + variance_init + mean_init + constants


def dncnn_to_onnx(*, model: DnCNN) -> bytes:
    """The serialised, checked ONNX model of ``model`` (module docstring)."""
    slices, centre = model.config.slices, model.config.slices // 2
    nodes, initializers = [], []
    for name, value in (("starts", centre), ("ends", centre + 1), ("axes", 1)):
        initializers.append(numpy_helper.from_array(np.array([value], dtype=np.int64), name))
    nodes.append(helper.make_node("Slice", [INPUT_NAME, "starts", "ends", "axes"], ["centre"]))
    current = INPUT_NAME
    if model.config.noise_map:
        map_nodes, map_init = _noise_map_nodes(centre="centre", out="noise_map")
        nodes += [*map_nodes, helper.make_node("Concat", [INPUT_NAME, "noise_map"], ["conditioned"], axis=1)]
        initializers += map_init
        current = "conditioned"
    layers = folded_convs(model=model)
    for index, (weight, bias) in enumerate(layers):
        initializers += [numpy_helper.from_array(weight, f"w{index}"), numpy_helper.from_array(bias, f"b{index}")]
        conv_out = f"conv{index}"
        nodes.append(helper.make_node("Conv", [current, f"w{index}", f"b{index}"], [conv_out], pads=[1, 1, 1, 1]))
        current = conv_out
        if index < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [conv_out], [f"relu{index}"]))
            current = f"relu{index}"
    nodes.append(helper.make_node("Sub", ["centre", current], [OUTPUT_NAME]))
    graph = helper.make_graph(
        nodes,
        "petiq_dncnn",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["n", slices, "h", "w"])],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["n", 1, "h", "w"])],
        initializers,
    )
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="petiq")
    proto.ir_version = 8
    onnx.checker.check_model(proto)
    return bytes(proto.SerializeToString())


def export_max_abs_diff(*, model: DnCNN, onnx_bytes: bytes, seed: int = 0) -> float | None:
    """Max |onnxruntime − torch| on a random ``(2, S, 48, 40)`` input of scale 1 (gamma, mean 1); None without
    onnxruntime. The export contract is ≤ 1e-4 of the input's scale."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    x = np.random.default_rng(seed).gamma(2.0, 0.5, size=(2, model.config.slices, 48, 40)).astype(np.float32)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    (ort_out,) = session.run(None, {INPUT_NAME: x})
    with torch.inference_mode():
        torch_out = model.eval().cpu()(torch.from_numpy(x)).numpy()
    return float(np.abs(np.asarray(ort_out) - torch_out).max())
