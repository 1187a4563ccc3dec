"""The TGD paper's 2.5D DnCNN: three consecutive slices in, the centre slice out, residual.

Layout (``depth`` = 8 conv 3×3 layers by default, zero padding keeps the size)::

    [x, noise_level_map(centre)]             only with ``noise_map``: one more input channel
    conv[0] (3 (+1) → w) + ReLU             a pruned network (config.widths) has its own w per layer
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

import torch
from torch import nn

from models.dncnn_config import DnCNNConfig
from models.noise_map import noise_level_map

__all__ = ["DnCNN", "DnCNNConfig"]


class DnCNN(nn.Module):
    """Residual 2.5D DnCNN (module docstring).

    ``forward(x)``: ``x (n, slices, h, w) float32`` normalised intensities → ``(n, 1, h, w)`` denoised centre slice
    in the same units.
    """

    def __init__(self, *, config: DnCNNConfig) -> None:
        super().__init__()
        self.config = config
        depth = config.depth
        channels = [config.slices + int(config.noise_map), *config.hidden_widths, 1]
        self.convs = nn.ModuleList(
            nn.Conv2d(channels[i], channels[i + 1], kernel_size=3, padding=1, bias=i in (0, depth - 1))
            for i in range(depth)
        )
        self.norms = nn.ModuleList(
            nn.BatchNorm2d(channels[i + 1]) if 0 < i < depth - 1 else nn.Identity() for i in range(depth)
        )

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
