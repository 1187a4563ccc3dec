"""TGD-N2N: adapt a base network to one study within a step and time budget, under TGD masks.

The base network is copied; KSE masks (:func:`models.tgd.masks.tgd_masks`, threshold φ) decide which kernels
may move; :func:`models.tgd.trainer.tgd_step` trains on the study's own pairs (:mod:`models.adaptation.pairs`)
until ``steps`` are done or ``max_seconds`` have passed, whichever is first. Defaults are sized for ≤ 120 s on a
128×128×64 study on 2 CPU cores and for a GPU on 344×344×127 in ≤ 30 s (there the step count binds first).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from imaging.errors import InputError
from models.dncnn import DnCNN
from models.tgd.masks import tgd_masks, trainable_kernel_fraction
from models.tgd.trainer import tgd_step, tgd_trainer

__all__ = ["AdaptationReport", "AdaptationSettings", "adapt_network"]


@dataclass(frozen=True, kw_only=True)
class AdaptationSettings:
    """Budget and hyper-parameters of one adaptation (recorded in result.json).

    Attributes:
        phi: KSE threshold; kernels below it are retrained.
        steps: TGD steps at most; max_seconds: wall-clock budget of the training loop.
        batch, patch: patches per step and their side, voxels.
        lr: Adam learning rate; clip_norm: gradient clip.
        seed: seeds the pair sampling.
    """

    phi: float = 0.3
    steps: int = 300
    max_seconds: float = 90.0
    batch: int = 16
    patch: int = 48
    lr: float = 2e-4
    clip_norm: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.phi <= 1 or self.steps < 1 or self.max_seconds <= 0 or self.batch < 1 or self.patch < 8:
            raise InputError(
                "Adaptation settings need 0 < phi ≤ 1, steps ≥ 1, max_seconds > 0, batch ≥ 1 and patch ≥ 8, got "
                f"phi={self.phi}, steps={self.steps}, max_seconds={self.max_seconds}, batch={self.batch}, "
                f"patch={self.patch}.",
                check="adapt_settings",
            )


@dataclass(frozen=True, kw_only=True)
class AdaptationReport:
    """What one adaptation did: the settings, steps actually run, seconds, kernel fraction and losses."""

    settings: AdaptationSettings
    steps: int
    seconds: float
    trainable_kernel_fraction: float
    first_loss: float
    last_loss: float

    def to_json(self, *, mode: str, approximation: str | None) -> dict[str, Any]:
        """The ``adaptation`` section of result.json."""
        return {
            "mode": mode,
            "phi": self.settings.phi,
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "trainable_kernel_fraction": round(self.trainable_kernel_fraction, 4),
            "seed": self.settings.seed,
            "loss_first": self.first_loss,
            "loss_last": self.last_loss,
            "settings": asdict(self.settings),
            "approximation": approximation,
        }


def adapt_network(
    *, base: DnCNN, batches: Iterator[tuple[torch.Tensor, torch.Tensor]], settings: AdaptationSettings
) -> tuple[DnCNN, AdaptationReport]:
    """A TGD-adapted copy of ``base`` (left untouched) and its report. The copy is in eval mode on base's device."""
    torch.manual_seed(settings.seed)
    model = copy.deepcopy(base).eval()
    masks = tgd_masks(model=model, phi=settings.phi)
    trainer = tgd_trainer(model=model, masks=masks, lr=settings.lr)
    device = next(model.parameters()).device
    losses: list[float] = []
    start = time.perf_counter()
    while len(losses) < settings.steps and time.perf_counter() - start < settings.max_seconds:
        x, y = next(batches)
        losses.append(tgd_step(trainer=trainer, x=x.to(device), y=y.to(device), clip_norm=settings.clip_norm))
    report = AdaptationReport(
        settings=settings,
        steps=len(losses),
        seconds=time.perf_counter() - start,
        trainable_kernel_fraction=trainable_kernel_fraction(masks=masks),
        first_loss=float(np.mean(losses[:10])),
        last_loss=float(np.mean(losses[-10:])),
    )
    return model.eval(), report
