"""Resumable checkpoints of a training run: weights, optimiser, both random generators, step and history."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from imaging.atomic import write_atomic

__all__ = ["CHECKPOINT_NAME", "Checkpoint", "load_checkpoint", "restore_generator", "save_checkpoint"]

CHECKPOINT_NAME = "checkpoint.pt"


@dataclass(kw_only=True)
class Checkpoint:
    """The state after ``step`` completed steps; ``history`` holds one dict per evaluation."""

    step: int
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    numpy_rng: Mapping[str, Any]
    torch_rng: torch.Tensor
    history: list[dict[str, float]] = field(default_factory=list)
    sparsity: dict[str, Any] = field(default_factory=dict)
    """:meth:`models.training.sparsity.SparsityState.to_json` (empty: nothing pinned, or no sparsity)"""


def save_checkpoint(*, directory: Path, checkpoint: Checkpoint) -> None:
    """Write ``directory/checkpoint.pt`` atomically (a crash mid-write keeps the previous one)."""
    buffer = io.BytesIO()
    torch.save(checkpoint.__dict__, buffer)
    data = buffer.getvalue()
    write_atomic(path=directory / CHECKPOINT_NAME, write=lambda handle: handle.write(data))


def load_checkpoint(*, directory: Path) -> Checkpoint | None:
    """The checkpoint in ``directory``, or None when there is none."""
    path = directory / CHECKPOINT_NAME
    if not path.exists():
        return None
    values = torch.load(path, map_location="cpu", weights_only=False)
    return Checkpoint(**values)


def restore_generator(*, state: Mapping[str, Any]) -> np.random.Generator:
    """A numpy Generator continuing from a saved ``bit_generator.state``."""
    generator = np.random.default_rng()
    generator.bit_generator.state = state
    return generator
