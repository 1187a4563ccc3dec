"""Inference engines for a denoiser bundle: onnxruntime (CUDA, else CPU) first, torch as the fallback.

An engine maps ``slices (n, S, h, w) float32`` normalised intensities to ``(n, 1, h, w) float32``. ``auto``
picks onnxruntime with the CUDA execution provider when onnxruntime-gpu sees a GPU, onnxruntime on the CPU
(one intra-op thread per core, all graph optimisations) otherwise, and torch (CUDA or CPU) when onnxruntime is
not installed or cannot load the model.

torch is imported only when a torch engine is opened (``torch``, or ``auto`` falling back): the onnxruntime path
never loads it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError
from models.bundle_info import INPUT_NAME, ONNX_NAME, BundleInfo
from models.device import cpu_threads, torch_device

if TYPE_CHECKING:
    import torch

__all__ = ["CPU_SLICES_PER_CALL", "Backend", "Engine", "OnnxEngine", "TorchEngine", "open_engine"]

LOG = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float32]


class Backend(StrEnum):
    """Which runtime to use."""

    AUTO = "auto"
    ONNXRUNTIME = "onnxruntime"
    TORCH = "torch"


class Engine(Protocol):
    """Runs a denoiser on batches of slice stacks."""

    @property
    def name(self) -> str:
        """What runs it, e.g. ``onnxruntime/CPUExecutionProvider`` or ``torch/cuda``."""
        ...

    def run(self, slices: FloatArray) -> FloatArray:
        """``(n, S, h, w) float32`` → ``(n, 1, h, w) float32``."""
        ...


@dataclass(frozen=True)
class OnnxEngine:
    """An onnxruntime session of the bundle's ONNX file."""

    session: Any

    @property
    def name(self) -> str:
        return f"onnxruntime/{self.session.get_providers()[0]}"

    def run(self, slices: FloatArray) -> FloatArray:
        (out,) = self.session.run(None, {INPUT_NAME: np.ascontiguousarray(slices, dtype=np.float32)})
        return np.asarray(out, dtype=np.float32)


CPU_SLICES_PER_CALL = 1
"""Slice stacks per forward call of torch on the CPU. One at a time is faster there: a width-48 network takes
299.5 ms per 344×344 slice alone against 430.8 ms in batches of 8 (`bench/results/denoise_speed.txt`; scratch
runs gave 185–300 against 410–430), the activations of a batch being too large for the caches; on 128×128
slices the two are level. On a GPU the caller's whole batch goes in one call."""


@dataclass(frozen=True)
class TorchEngine:
    """The bundle's torch network in eval mode (on the CPU, :data:`CPU_SLICES_PER_CALL` stacks per call)."""

    model: torch.nn.Module
    device: torch.device

    @property
    def name(self) -> str:
        return f"torch/{self.device.type}"

    def run(self, slices: FloatArray) -> FloatArray:
        import torch

        with torch.inference_mode():
            tensor = torch.from_numpy(np.ascontiguousarray(slices, dtype=np.float32)).to(self.device)
            step = CPU_SLICES_PER_CALL if self.device.type == "cpu" else max(len(tensor), 1)
            parts = [self.model(tensor[start : start + step]).float().cpu() for start in range(0, len(tensor), step)]
            if not parts:
                return np.zeros((0, 1, *slices.shape[2:]), dtype=np.float32)
            return np.asarray(torch.cat(parts).numpy(), dtype=np.float32)


def _onnx_engine(*, info: BundleInfo) -> OnnxEngine:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = cpu_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    available = ort.get_available_providers()
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
    session = ort.InferenceSession(str(info.directory / ONNX_NAME), sess_options=options, providers=providers)
    return OnnxEngine(session)


def open_engine(*, info: BundleInfo, backend: Backend = Backend.AUTO) -> Engine:
    """An engine for the bundle ``info`` (module docstring); InputError when the requested backend cannot run."""
    if backend in (Backend.AUTO, Backend.ONNXRUNTIME):
        try:
            return _onnx_engine(info=info)
        except ImportError as error:
            if backend is Backend.ONNXRUNTIME:
                raise InputError("onnxruntime is not installed.", check="backend") from error
            LOG.warning("onnxruntime is not installed; denoising with torch")
        except Exception as error:  # onnxruntime raises its own untyped errors for unloadable models
            if backend is Backend.ONNXRUNTIME:
                raise InputError(f"onnxruntime cannot load {ONNX_NAME}: {error}.", check="backend") from error
            LOG.warning("onnxruntime cannot load %s (%s); denoising with torch", ONNX_NAME, error)
    from models.bundle import load_torch_model

    device = torch_device()
    return TorchEngine(load_torch_model(info=info, device=device), device)
