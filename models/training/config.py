"""The denoiser training run's configuration, saved beside its weights so the run can be reproduced."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any

from imaging.errors import InputError

__all__ = ["Target", "TrainConfig"]


class Target(StrEnum):
    """What the network learns to output for a noisy input."""

    CLEAN = "clean"
    """the noise-free reconstruction with the same protocol (simulation only; the default)"""
    FULL = "full"
    """the full-count (100 %) reconstruction, itself noisy (what clinical data could offer)"""


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """One training run. Everything that decides the weights (with the shards' own manifests).

    Attributes:
        shards: shard folders written by ``petiq simulate-shards`` (read in this order).
        width: DnCNN hidden channels; depth: conv layers.
        steps: optimiser steps; batch: patches per step.
        lr: peak Adam learning rate, reached after ``warmup`` steps, then cosine down to ``lr_min``.
        seed: seeds the weights, the batch draws and the augmentations.
        target: :class:`Target`.
        val_every_nth_study: every n-th study of each folder is held out for the validation loss.
        val_patches: validation patches evaluated (the first ones of the held-out studies).
        eval_every: steps between validation losses and checkpoints.
        clip_norm: gradient-norm clip.
        contrast_weight, contrast_sigma: λ and σ (voxels) of the lesion-weighted loss
            (:mod:`models.training.loss`); λ = 0 is plain MSE.
        contrast_relative: weigh a voxel's excess over its surroundings relative to them (soft-tissue lesions
            weigh as much as liver lesions; :mod:`models.training.loss`).
        level_balance: exponent ``p`` of the count-level balance, 0 (off) to 1: each patch's loss is divided by its
            noisy input's own error to the power ``p`` (:mod:`models.training.loss`), so that the high count levels
            count too; with 1 every level counts alike and the loss is relative (1.0 = no better than the input).
            Older configurations wrote a bool (true = 1).
        noise_map: condition the network on its input's noise-level map (:mod:`models.noise_map`).
        init: a weight bundle folder (``petiq train``'s or the shipped one) the run starts from instead of random
            weights (a fine-tune); its architecture must be this run's. None: random weights from ``seed``.
        weight_decay: Adam's L2 penalty on every weight (0: none).
        sparsity: λ of the proximal channel-group penalty at step ``sparsity_ramp`` (0: off;
            :mod:`models.training.sparsity`), per unit of √(group size) and of learning rate.
        sparsity_target: fraction of all hidden channels that must be exactly 0 before the penalty stops and
            those channels are pinned at 0 for the rest of the run.
        sparsity_select: shrink only each hidden layer's ``sparsity_target`` share of least important channels
            (:func:`models.training.sparsity.select_channels`, chosen at the first step), leaving the others
            unpenalised; the target is reached when all of them are 0. False: every channel is shrunk alike.
        sparsity_ramp: steps over which λ grows linearly from 0 to ``sparsity`` (it keeps growing after, until the
            target is reached); 0: half the run.
        lesion_oversample: a training patch holding a lesion is drawn this many times as often as one without
            (1: uniform); needs shards with lesion labels.
        lesion_weight: μ of the lesion consistency term (:func:`models.training.loss.lesion_consistency`): the
            squared relative error of each lesion's mean, peak (3×3 mean) and maximum; 0: off.
        gain_range: each training patch (input and target) is multiplied by a gain drawn log-uniformly in
            ``[1/g, g]``, so the network does not depend on the normalisation landing exactly on 1.
    """

    shards: tuple[str, ...]
    width: int = 32
    depth: int = 8
    steps: int = 6000
    batch: int = 32
    lr: float = 1e-3
    lr_min: float = 2e-5
    warmup: int = 200
    seed: int = 0
    target: Target = Target.CLEAN
    val_every_nth_study: int = 15
    val_patches: int = 768
    eval_every: int = 250
    clip_norm: float = 1.0
    gain_range: float = 1.25
    contrast_weight: float = 4.0
    contrast_sigma: float = 3.0
    level_balance: float = 0.0
    contrast_relative: bool = False
    noise_map: bool = False
    init: str | None = None
    weight_decay: float = 0.0
    sparsity: float = 0.0
    sparsity_target: float = 0.5
    sparsity_ramp: int = 0
    sparsity_select: bool = False
    lesion_oversample: float = 1.0
    lesion_weight: float = 0.0

    def __post_init__(self) -> None:
        positive = ("width", "depth", "steps", "batch", "val_every_nth_study", "val_patches", "eval_every")
        for name in positive:
            if getattr(self, name) < 1:
                raise InputError(f"Argument '{name}' should be at least 1, got {getattr(self, name)}.", check=name)
        if not self.shards:
            raise InputError("Argument 'shards' should name at least one shard folder.", check="shards")
        if not 0 < self.lr_min <= self.lr or self.gain_range < 1 or self.seed < 0 or self.contrast_weight < 0:
            raise InputError(
                f"Arguments need 0 < lr_min ≤ lr, gain_range ≥ 1 and seed ≥ 0, got lr_min={self.lr_min}, "
                f"lr={self.lr}, gain_range={self.gain_range}, seed={self.seed}.",
                check="train_config",
            )
        if (
            min(self.weight_decay, self.sparsity, self.sparsity_ramp, self.lesion_weight) < 0
            or not 0.0 < self.sparsity_target < 1.0
            or self.lesion_oversample < 1.0
        ):
            raise InputError(
                "Arguments need weight_decay, sparsity, sparsity_ramp, lesion_weight ≥ 0, 0 < sparsity_target < 1 "
                f"and lesion_oversample ≥ 1, got {self.weight_decay}, {self.sparsity}, {self.sparsity_ramp}, "
                f"{self.lesion_weight}, {self.sparsity_target} and {self.lesion_oversample}.",
                check="train_config",
            )
        if not 0.0 <= self.level_balance <= 1.0:
            raise InputError(
                f"Argument 'level_balance' should be between 0 and 1, got {self.level_balance}.", check="level_balance"
            )

    def to_json(self) -> dict[str, Any]:
        """JSON-ready values (lists for tuples, the target's name)."""
        values = asdict(self)
        values["shards"] = list(self.shards)
        values["target"] = str(self.target)
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any]) -> TrainConfig:
        """The inverse of :meth:`to_json`; InputError for unknown keys."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"Unknown training settings {unknown}.", check="train_config")
        converted = dict(values)
        converted["shards"] = tuple(converted.get("shards", ()))
        if "target" in converted:
            converted["target"] = Target(converted["target"])
        if "level_balance" in converted:
            converted["level_balance"] = float(converted["level_balance"])  # older runs wrote a bool
        return cls(**converted)

    @property
    def uses_lesions(self) -> bool:
        """Whether the run reads the shards' lesion labels."""
        return self.lesion_oversample > 1.0 or self.lesion_weight > 0

    def sparsity_at(self, *, step: int) -> float:
        """λ of 0-based ``step``: linear growth, ``sparsity`` at ``sparsity_ramp`` (0: half the run), on after."""
        ramp = self.sparsity_ramp or max(1, self.steps // 2)
        return self.sparsity * (step + 1) / ramp

    def lr_at(self, *, step: int) -> float:
        """The learning rate of 0-based ``step``: linear warm-up, then cosine decay to ``lr_min``."""
        import math

        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        progress = min(1.0, (step - self.warmup) / max(1, self.steps - self.warmup))
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1.0 + math.cos(math.pi * progress))
