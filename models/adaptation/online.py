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
from models.tgd.masks import TgdMasks, tgd_masks, trainable_kernel_fraction
from models.tgd.trainer import tgd_step, tgd_trainer
from models.training.loss import input_contrast_weights

__all__ = ["CONTRAST_SIGMA", "AdaptationReport", "AdaptationSettings", "adapt_network"]

CONTRAST_SIGMA = 3.0
"""σ (voxels) of the surround a voxel must stand above to weigh more in the adaptation loss."""


@dataclass(frozen=True, kw_only=True)
class AdaptationSettings:
    """Budget and hyper-parameters of one adaptation (recorded in result.json).

    Attributes:
        phi: KSE threshold; kernels below it are retrained.
        steps: TGD steps at most; max_seconds: wall-clock budget of the training loop.
        batch, patch: patches per step and their side, voxels.
        lr: Adam learning rate; clip_norm: gradient clip.
        seed: seeds the pair sampling.
        hot_share: share of patch centres drawn towards hot structure (:func:`models.adaptation.pairs.hot_weights`).
        contrast_weight: λ of the loss weights from the input (:func:`models.training.loss.input_contrast_weights`,
            σ = 3 voxels); 0 is plain MSE.
    """

    phi: float = 0.3
    steps: int = 300
    max_seconds: float = 90.0
    batch: int = 16
    patch: int = 48
    lr: float = 2e-4
    clip_norm: float = 1.0
    seed: int = 0
    hot_share: float = 0.0
    contrast_weight: float = 0.0

    def __post_init__(self) -> None:
        counts = self.steps >= 1 and self.max_seconds > 0 and self.batch >= 1 and self.patch >= 8
        if not (0 < self.phi <= 1 and counts and 0 <= self.hot_share <= 1 and self.contrast_weight >= 0):
            raise InputError(
                "Adaptation settings need 0 < phi ≤ 1, steps ≥ 1, max_seconds > 0, batch ≥ 1, patch ≥ 8, "
                f"0 ≤ hot_share ≤ 1 and contrast_weight ≥ 0, got phi={self.phi}, steps={self.steps}, "
                f"max_seconds={self.max_seconds}, batch={self.batch}, patch={self.patch}, "
                f"hot_share={self.hot_share}, contrast_weight={self.contrast_weight}.",
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
    *,
    base: DnCNN,
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]],
    settings: AdaptationSettings,
    masks: TgdMasks | None = None,
) -> tuple[DnCNN, AdaptationReport]:
    """A TGD-adapted copy of ``base`` (left untouched) and its report. The copy is in eval mode on base's device.

    ``masks``: which kernels may move; None for the KSE masks of ``settings.phi`` (a comparison may pass others,
    e.g. every kernel, to train without TGD under the same loss and budget).
    """
    torch.manual_seed(settings.seed)
    model = copy.deepcopy(base).eval()
    masks = tgd_masks(model=model, phi=settings.phi) if masks is None else masks
    trainer = tgd_trainer(model=model, masks=masks, lr=settings.lr)
    device = next(model.parameters()).device
    losses: list[float] = []
    start = time.perf_counter()
    while len(losses) < settings.steps and time.perf_counter() - start < settings.max_seconds:
        x, y = next(batches)
        x, y = x.to(device), y.to(device)
        weights = None
        if settings.contrast_weight > 0:
            weights = input_contrast_weights(inputs=x, strength=settings.contrast_weight, sigma=CONTRAST_SIGMA)
        losses.append(tgd_step(trainer=trainer, x=x, y=y, clip_norm=settings.clip_norm, weights=weights))
    report = AdaptationReport(
        settings=settings,
        steps=len(losses),
        seconds=time.perf_counter() - start,
        trainable_kernel_fraction=trainable_kernel_fraction(masks=masks),
        first_loss=float(np.mean(losses[:10])),
        last_loss=float(np.mean(losses[-10:])),
    )
    return model.eval(), report
