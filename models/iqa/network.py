"""The scorer's CNN: a compact residual network on 80×80 patches with a pretext head and a 3-score head.

::

    stem   conv3×3(1→w) stride 2, BN ReLU             40×40
    unit1  residual block w  → w,   stride 2           20×20
    unit2  residual block w  → 2w,  stride 2           10×10
    unit3  residual block 2w → 4w,  stride 2            5×5
    unit4  residual block 4w → 6w,  stride 2            3×3
    pool   global average                               6w
    pretext  linear 6w → 1   (log10 of the count level; stage 1)
    head     linear 6w → 3   (GQR, PR, DC on 0–3; stage 2)

A residual block is conv3×3-BN-ReLU-conv3×3-BN plus a 1×1 strided projection of its input, then ReLU. The
strided stem (its 3×3 kernels still see every input voxel) makes a training step four times cheaper than a
full-resolution stem, which is what lets the scorer train on 2 CPU cores within a session. The
backbone's units are :data:`UNITS`; stage 2 freezes the first :attr:`IqaConfig.frozen_units` of them (3 of 5 =
60 %), their BatchNorm statistics included, and fits the rest and the head.
"""

from __future__ import annotations

import torch
from torch import nn

from models.iqa.config import UNITS, IqaConfig

__all__ = ["INPUT_CEILING", "UNITS", "IqaConfig", "IqaNet", "ResidualBlock"]

INPUT_CEILING = 10.0
"""Patches (voxels / activity scale) are clamped to ``[0, INPUT_CEILING]``: a hot bladder at 30× the tissue
scale would otherwise dominate the first BatchNorm; quality lives in the texture of ordinary tissue."""


class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus a strided 1×1 projection, then ReLU: ``(n, c_in, h, w) → (n, c_out, h/s, w/s)``."""

    def __init__(self, *, channels_in: int, channels_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.project = nn.Sequential(
            nn.Conv2d(channels_in, channels_out, 1, stride=stride, bias=False), nn.BatchNorm2d(channels_out)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.project(x))


class IqaNet(nn.Module):
    """Patches ``(n, 1, 80, 80)`` (voxels / activity scale) → features ``(n, 6w)`` → pretext or scores."""

    def __init__(self, config: IqaConfig) -> None:
        super().__init__()
        w = config.width
        self.config = config
        self.stem = nn.Sequential(nn.Conv2d(1, w, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.unit1 = ResidualBlock(channels_in=w, channels_out=w, stride=2)
        self.unit2 = ResidualBlock(channels_in=w, channels_out=2 * w, stride=2)
        self.unit3 = ResidualBlock(channels_in=2 * w, channels_out=4 * w, stride=2)
        self.unit4 = ResidualBlock(channels_in=4 * w, channels_out=6 * w, stride=2)
        self.pretext = nn.Linear(6 * w, 1)
        self.head = nn.Linear(6 * w, 3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, h, w)`` → ``(n, 6w)`` pooled features; inputs are first clamped to ``[0, INPUT_CEILING]``."""
        x = x.clamp(0.0, INPUT_CEILING)
        for name in UNITS:
            x = getattr(self, name)(x)
        return x.mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, h, w)`` → ``(n, 3)``: GQR, PR, DC (0–3, unclipped)."""
        scores: torch.Tensor = self.head(self.features(x))
        return scores

    def count_level(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, 1, h, w)`` → ``(n,)``: predicted log10 of the count level (fraction of the full dose)."""
        level: torch.Tensor = self.pretext(self.features(x)).squeeze(1)
        return level

    def frozen_modules(self) -> list[nn.Module]:
        """The backbone units frozen in stage 2 (:attr:`IqaConfig.frozen_units` from the input)."""
        return [getattr(self, name) for name in UNITS[: self.config.frozen_units]]

    def trainable_modules(self) -> list[nn.Module]:
        """The units and the head fitted in stage 2 and by a site calibration."""
        return [getattr(self, name) for name in UNITS[self.config.frozen_units :]] + [self.head]
