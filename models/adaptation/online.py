"""TGD-N2N: adapt a base network to one study within a step and time budget, under TGD masks.

The base network is copied; KSE masks (:func:`models.tgd.masks.tgd_masks`, threshold φ) decide which kernels
may move, regrowing: the flagged channels' consumer columns move too, and the idle channels a sparse base network
leaves are restarted (:mod:`models.tgd.regrow`); :func:`models.tgd.trainer.tgd_step` trains on the study's own
pairs (:mod:`models.adaptation.pairs`) until ``steps`` are done or ``max_seconds`` have passed, whichever is
first. Defaults are sized for ≤ 120 s on a 128×128×64 study on 2 CPU cores and for a GPU on 344×344×127 in
≤ 30 s (there the step count binds first).

**Weight averaging** (``AdaptationSettings.average_decay``): the adapted network is the exponential moving
average of the trainable elements over the steps, not the last step's weights. A Noise2Noise target is itself a
noisy image, so every step's gradient carries that noise and the last iterate wanders around the optimum; the
average sits nearer it (Polyak averaging). Frozen elements are not averaged: they are written back bit for bit.
Default 0.99, chosen on ``python -m bench.tgd.online_variants`` (``bench/results/tgd_online_variants-averaging.txt``,
300 steps, on the width-32 base ``w32-nm-s0-ft``): the hot bladder's ROI error 1.85 → 1.70 % (base 2.55 %), its
liver CoV 7.81 → 7.78 %; the catheter study's liver CoV 7.55 → 7.41 % and its catheter error 24.4 → 25.0 % (base
23.5 %: no setting helps it).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch

from models.adaptation.settings import AdaptationSettings
from models.dncnn import DnCNN
from models.tgd.masks import TgdMasks, tgd_masks, trainable_kernel_fraction
from models.tgd.trainer import TgdTrainer, tgd_step, tgd_trainer
from models.training.loss import input_contrast_weights

__all__ = ["CONTRAST_SIGMA", "AdaptationReport", "AdaptationSettings", "RoundReport", "adapt_network"]

CONTRAST_SIGMA = 3.0
"""σ (voxels) of the surround a voxel must stand above to weigh more in the adaptation loss."""


@dataclass(frozen=True, kw_only=True)
class RoundReport:
    """One round of TGDⁿ: steps run, seconds, the share of ranked kernels flagged, the idle channels regrown."""

    steps: int
    seconds: float
    trainable_kernel_fraction: float
    regrown_channels: int

    def to_json(self) -> dict[str, Any]:
        """One entry of ``adaptation.rounds`` in result.json."""
        return {
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "trainable_kernel_fraction": round(self.trainable_kernel_fraction, 4),
            "regrown_channels": self.regrown_channels,
        }


@dataclass(frozen=True, kw_only=True)
class AdaptationReport:
    """What one adaptation did: the settings, steps actually run (all rounds), seconds, the first round's kernel
    fraction, the losses of the first and last steps and each round's report."""

    settings: AdaptationSettings
    steps: int
    seconds: float
    trainable_kernel_fraction: float
    first_loss: float
    last_loss: float
    rounds: tuple[RoundReport, ...] = ()

    def to_json(self, *, mode: str, approximation: str | None) -> dict[str, Any]:
        """The ``adaptation`` section of result.json."""
        return {
            "mode": mode,
            "phi": self.settings.phi,
            "steps": self.steps,
            "seconds": round(self.seconds, 3),
            "trainable_kernel_fraction": round(self.trainable_kernel_fraction, 4),
            "regrown_channels": sum(entry.regrown_channels for entry in self.rounds),
            "rounds": [entry.to_json() for entry in self.rounds],
            "seed": self.settings.seed,
            "loss_first": self.first_loss,
            "loss_last": self.last_loss,
            "settings": asdict(self.settings),
            "approximation": approximation,
        }


def adapt_network(
    *,
    base: DnCNN,
    batches: Iterator[tuple[torch.Tensor, ...]],
    settings: AdaptationSettings,
    masks: TgdMasks | None = None,
) -> tuple[DnCNN, AdaptationReport]:
    """A TGD-adapted copy of ``base`` (left untouched) and its report. The copy is in eval mode on base's device.

    ``batches`` yield ``(x, y)`` or ``(x, y, w)``, ``w`` per-voxel loss weights shaped like ``y`` (the OOD focus).
    ``masks``: which kernels may move in the first round; None for the regrowing KSE masks of ``settings.phi`` (a
    comparison may pass others, e.g. every kernel, to train without TGD under the same loss and budget). Each
    further round (``settings.rounds``, TGDⁿ) re-scores the KSE masks on the network adapted so far.
    """
    torch.manual_seed(settings.seed)
    model = copy.deepcopy(base).eval()
    device = next(model.parameters()).device
    losses: list[float] = []
    rounds: list[RoundReport] = []
    first_fraction = 0.0
    for index in range(settings.rounds):
        chosen = tgd_masks(model=model, phi=settings.phi) if masks is None or index > 0 else masks
        trainer = tgd_trainer(model=model, masks=chosen, lr=settings.lr, seed=settings.seed + index)
        steps, seconds = _train_round(trainer=trainer, batches=batches, settings=settings, device=device, losses=losses)
        fraction = trainable_kernel_fraction(masks=chosen)
        first_fraction = fraction if index == 0 else first_fraction
        regrown = sum(int(mask.sum()) for mask in trainer.regrown)
        rounds.append(
            RoundReport(steps=steps, seconds=seconds, trainable_kernel_fraction=fraction, regrown_channels=regrown)
        )
    report = AdaptationReport(
        settings=settings,
        steps=len(losses),
        seconds=sum(entry.seconds for entry in rounds),
        trainable_kernel_fraction=first_fraction,
        first_loss=float(np.mean(losses[:10])),
        last_loss=float(np.mean(losses[-10:])),
        rounds=tuple(rounds),
    )
    return model.eval(), report


def _train_round(
    *,
    trainer: TgdTrainer,
    batches: Iterator[tuple[torch.Tensor, ...]],
    settings: AdaptationSettings,
    device: torch.device,
    losses: list[float],
) -> tuple[int, float]:
    """One round's steps (appending each loss to ``losses``) within ``settings.steps`` and ``max_seconds``, then the
    weight average loaded; the steps run and seconds taken."""
    average = _trainable_copy(trainer=trainer) if settings.average_decay > 0 else None
    start, done = time.perf_counter(), 0
    while done < settings.steps and time.perf_counter() - start < settings.max_seconds:
        x, y, *rest = next(batches)
        x, y = x.to(device), y.to(device)
        weights = rest[0].to(device) if rest else None
        if settings.contrast_weight > 0:
            contrast = input_contrast_weights(inputs=x, strength=settings.contrast_weight, sigma=CONTRAST_SIGMA)
            weights = contrast if weights is None else weights * contrast
        losses.append(tgd_step(trainer=trainer, x=x, y=y, clip_norm=settings.clip_norm, weights=weights))
        done += 1
        if average is not None:
            _update_average(trainer=trainer, average=average, decay=settings.average_decay)
    if average is not None:
        _load_average(trainer=trainer, average=average)
    return done, time.perf_counter() - start


def _trainable_copy(*, trainer: TgdTrainer) -> dict[str, torch.Tensor]:
    """A copy of every parameter with a trainable element, by name (the moving average's start)."""
    named = dict(trainer.model.named_parameters())
    return {name: named[name].detach().clone() for name, mask in trainer.masks.items() if bool(mask.any())}


@torch.no_grad()
def _update_average(*, trainer: TgdTrainer, average: dict[str, torch.Tensor], decay: float) -> None:
    """``average ← decay·average + (1 − decay)·current`` for each parameter in ``average``."""
    named = dict(trainer.model.named_parameters())
    for name, value in average.items():
        value.lerp_(named[name].detach(), 1.0 - decay)


@torch.no_grad()
def _load_average(*, trainer: TgdTrainer, average: dict[str, torch.Tensor]) -> None:
    """Write the average into the model's trainable elements; frozen elements keep their values bit for bit."""
    named = dict(trainer.model.named_parameters())
    for name, value in average.items():
        named[name].copy_(torch.where(trainer.masks[name], value, named[name]))
