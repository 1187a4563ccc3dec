"""Where torch runs: the first CUDA GPU when there is one, else the CPU with one thread per core.

torch is imported when :func:`torch_device` is first called, not with this module: the onnxruntime engine asks
:func:`cpu_threads` too and must not load torch.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

__all__ = ["cpu_threads", "torch_device"]


def cpu_threads() -> int:
    """Cores this process may use (its CPU affinity, else ``os.cpu_count()``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return max(1, os.cpu_count() or 1)


def torch_device(*, prefer: str = "auto") -> torch.device:
    """``cuda`` when ``prefer`` is ``"auto"`` or ``"cuda"`` and a GPU is visible, else ``cpu``.

    On the CPU the intra-op thread pool is set to :func:`cpu_threads`. ``prefer`` is ``"auto"``, ``"cuda"`` or
    ``"cpu"``; a ``"cuda"`` request without a GPU falls back to the CPU rather than failing.
    """
    if prefer not in ("auto", "cuda", "cpu"):
        raise ValueError(f"Argument 'prefer' should be 'auto', 'cuda' or 'cpu', got {prefer!r}.")
    import torch

    if prefer != "cpu" and torch.cuda.is_available():
        return torch.device("cuda")
    torch.set_num_threads(cpu_threads())
    return torch.device("cpu")
