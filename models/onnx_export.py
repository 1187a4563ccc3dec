"""ONNX export of a :class:`~models.dncnn.DnCNN`, built node by node with BatchNorm folded into the convs.

The graph (opset 17) maps ``slices (n, S, h, w) float32`` to ``denoised (n, 1, h, w) float32`` with dynamic
``n``, ``h`` and ``w``::

    Conv+ReLU → (Conv[BN folded]+ReLU) × (depth-2) → Conv = noise;  denoised = slices[:, S//2] − noise

Folding (inference-mode BN with running statistics): ``W' = W·γ/√(var+ε)``, ``b' = β + (b − mean)·γ/√(var+ε)``.
Building the graph directly keeps the export independent of torch's (deprecated) TorchScript exporter and gives
onnxruntime the fused convolutions it runs fastest.
"""

from __future__ import annotations

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from models.dncnn import DnCNN

__all__ = [
    "EXPORT_TOLERANCE",
    "INPUT_NAME",
    "OPSET",
    "OUTPUT_NAME",
    "dncnn_to_onnx",
    "export_max_abs_diff",
    "folded_convs",
]

INPUT_NAME = "slices"
OUTPUT_NAME = "denoised"
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


def dncnn_to_onnx(*, model: DnCNN) -> bytes:
    """The serialised, checked ONNX model of ``model`` (module docstring)."""
    slices, centre = model.config.slices, model.config.slices // 2
    nodes, initializers = [], []
    current = INPUT_NAME
    layers = folded_convs(model=model)
    for index, (weight, bias) in enumerate(layers):
        initializers += [numpy_helper.from_array(weight, f"w{index}"), numpy_helper.from_array(bias, f"b{index}")]
        conv_out = f"conv{index}"
        nodes.append(helper.make_node("Conv", [current, f"w{index}", f"b{index}"], [conv_out], pads=[1, 1, 1, 1]))
        current = conv_out
        if index < len(layers) - 1:
            nodes.append(helper.make_node("Relu", [conv_out], [f"relu{index}"]))
            current = f"relu{index}"
    for name, value in (("starts", centre), ("ends", centre + 1), ("axes", 1)):
        initializers.append(numpy_helper.from_array(np.array([value], dtype=np.int64), name))
    nodes.append(helper.make_node("Slice", [INPUT_NAME, "starts", "ends", "axes"], ["centre"]))
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
