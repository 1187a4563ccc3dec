"""ONNX export (BN folded) equals torch; engines agree; the auto engine falls back to torch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch

from imaging.errors import InputError
from models import engines
from models.bundle import ONNX_NAME
from models.engines import Backend, open_engine
from models.onnx_export import dncnn_to_onnx, folded_convs
from tests.models.factories import random_dncnn, write_bundle


def _inputs(*, shape: tuple[int, ...] = (3, 3, 40, 52)) -> np.ndarray:
    return np.random.default_rng(0).gamma(2.0, 0.6, size=shape).astype(np.float32)


def test_folded_convs_reproduce_conv_plus_batchnorm() -> None:
    model = random_dncnn()
    weight, bias = folded_convs(model=model)[1]
    x = torch.rand(2, 8, 10, 10)
    expected = model.norms[1](model.convs[1](x))
    actual = torch.nn.functional.conv2d(x, torch.from_numpy(weight), torch.from_numpy(bias), padding=1)
    torch.testing.assert_close(actual, expected, rtol=1e-5, atol=1e-5)


def test_exported_graph_is_valid_with_dynamic_batch_and_size() -> None:
    proto = onnx.load_from_string(dncnn_to_onnx(model=random_dncnn()))
    onnx.checker.check_model(proto)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["n", 3, "h", "w"]


@pytest.mark.parametrize("noise_map", [False, True])
def test_onnxruntime_equals_torch_within_1e_4_of_the_input_scale(tmp_path: Path, noise_map: bool) -> None:
    info = write_bundle(model=random_dncnn(width=16, noise_map=noise_map), directory=tmp_path)
    x = _inputs()
    ort_out = open_engine(info=info, backend=Backend.ONNXRUNTIME).run(x)
    torch_out = open_engine(info=info, backend=Backend.TORCH).run(x)
    assert ort_out.shape == torch_out.shape == (3, 1, 40, 52)
    assert float(np.abs(ort_out - torch_out).max()) <= 1e-4 * float(np.abs(x).max())


def test_auto_prefers_onnxruntime_on_the_cpu_here(tmp_path: Path) -> None:
    info = write_bundle(model=random_dncnn(), directory=tmp_path)
    assert open_engine(info=info).name == "onnxruntime/CPUExecutionProvider"


def test_auto_falls_back_to_torch_when_onnxruntime_cannot_load(tmp_path: Path) -> None:
    info = write_bundle(model=random_dncnn(), directory=tmp_path)
    (tmp_path / ONNX_NAME).write_bytes(b"not a model")
    engine = open_engine(info=info)
    assert engine.name == "torch/cpu"
    with pytest.raises(InputError, match="onnxruntime cannot load"):
        open_engine(info=info, backend=Backend.ONNXRUNTIME)


def test_auto_falls_back_to_torch_without_onnxruntime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = write_bundle(model=random_dncnn(), directory=tmp_path)

    def missing(*, info: object) -> None:
        raise ImportError("No module named 'onnxruntime'")

    monkeypatch.setattr(engines, "_onnx_engine", missing)
    assert open_engine(info=info).name == "torch/cpu"
    with pytest.raises(InputError, match="not installed"):
        open_engine(info=info, backend=Backend.ONNXRUNTIME)


def test_torch_engine_on_the_cpu_runs_stacks_one_at_a_time_with_the_batched_result() -> None:
    model = random_dncnn(width=16, noise_map=True).eval()
    calls: list[int] = []
    model.register_forward_pre_hook(lambda _module, args: calls.append(int(args[0].shape[0])))
    x = _inputs(shape=(5, 3, 24, 28))
    out = engines.TorchEngine(model, torch.device("cpu")).run(x)
    with torch.inference_mode():
        batched = model(torch.from_numpy(x)).numpy()
    assert calls[:-1] == [engines.CPU_SLICES_PER_CALL] * 5 and calls[-1] == 5
    np.testing.assert_allclose(out, batched, rtol=1e-5, atol=1e-5)
    assert engines.TorchEngine(model, torch.device("cpu")).run(x[:0]).shape == (0, 1, 24, 28)
