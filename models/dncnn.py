"""The TGD paper's 2.5D DnCNN: three consecutive slices in, the centre slice out, residual.

Layout (``depth`` = 8 conv 3×3 layers by default, zero padding keeps the size)::

    [x, noise_level_map(centre)]             only with ``noise_map``: one more input channel
    conv[0] (3 (+1) → w) + ReLU
    conv[1..depth-2] (w → w, no bias) + BN + ReLU
    conv[depth-1] (w → 1)                    predicted noise n
    output = centre slice − n

The layers are kept as two parallel lists (``convs`` and ``norms``, ``norms[i]`` follows ``convs[i]``; the first
and last conv have none) so that kernel selection (KSE) and targeted gradient descent can address conv ``i`` and
the BN that follows it by index.

``noise_map`` (off in the first weights, on in the shipped ones) appends :func:`models.noise_map.noise_level_map`
of the centre slice to the input: a fixed estimate of how noisy the input is, so one network can denoise a 0.5 %
and a 50 % count study each as it needs. The callers still pass three slices; the map is computed inside.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from models.noise_map import noise_level_map

__all__ = ["DnCNN", "DnCNNConfig"]


@dataclass(frozen=True, kw_only=True)
class DnCNNConfig:
    """Architecture of a :class:`DnCNN`.

    Attributes:
        width: feature channels of the hidden layers.
        depth: number of conv 3×3 layers (≥ 3).
        slices: input slices (odd; the centre one is denoised).
        noise_map: append the centre slice's noise-level map as one more input channel (module docstring).
    """

    width: int = 48
    depth: int = 8
    slices: int = 3
    noise_map: bool = False

    def __post_init__(self) -> None:
        if self.width < 1 or self.depth < 3 or self.slices < 1 or self.slices % 2 == 0:
            raise ValueError(
                "Arguments 'width' ≥ 1, 'depth' ≥ 3 and odd 'slices' are required, "
                f"got width={self.width}, depth={self.depth}, slices={self.slices}."
            )

    def to_json(self) -> dict[str, Any]:
        """The configuration as a JSON-ready dict."""
        return asdict(self)


class DnCNN(nn.Module):
    """Residual 2.5D DnCNN (module docstring).

    ``forward(x)``: ``x (n, slices, h, w) float32`` normalised intensities → ``(n, 1, h, w)`` denoised centre slice
    in the same units.
    """

    def __init__(self, *, config: DnCNNConfig) -> None:
        super().__init__()
        self.config = config
        width, depth = config.width, config.depth
        channels = [config.slices + int(config.noise_map)] + [width] * (depth - 1) + [1]
        self.convs = nn.ModuleList(
            nn.Conv2d(channels[i], channels[i + 1], kernel_size=3, padding=1, bias=i in (0, depth - 1))
            for i in range(depth)
        )
        self.norms = nn.ModuleList(nn.BatchNorm2d(width) if 0 < i < depth - 1 else nn.Identity() for i in range(depth))

    def noise(self, x: torch.Tensor) -> torch.Tensor:
        """The predicted noise of the centre slice, ``(n, 1, h, w)``."""
        if self.config.noise_map:
            centre = self.config.slices // 2
            x = torch.cat([x, noise_level_map(x[:, centre : centre + 1])], dim=1)
        last = len(self.convs) - 1
        for index, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            x = norm(conv(x))
            if index < last:
                x = torch.relu(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centre = self.config.slices // 2
        return x[:, centre : centre + 1] - self.noise(x)
