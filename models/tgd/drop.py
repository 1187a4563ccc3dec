"""Dropping the kernels a TGD mask marks: the KSE paper's test that low-KSE kernels carry little of the output.

A dropped output kernel ``j`` of conv ``i`` has every learnable element :func:`models.tgd.masks.parameter_masks`
gives it set to 0: the weight row ``convs[i].weight[j]``, the bias ``convs[i].bias[j]`` when the conv has one, and
the γ/β ``norms[i].weight[j]``, ``norms[i].bias[j]`` of the BatchNorm that follows it. Then the channel's output
is exactly 0 after the BatchNorm (``0·(x − μ)/σ + 0``) and after the ReLU, for any input: the same network as one
with channel ``j`` removed (pruned). Zeroing the weight row alone would not do that: the BatchNorm would still
add the constant ``β − γμ/σ``, which the ReLU may pass on. BN running statistics are left as they are (with γ = 0
they no longer matter). The last conv is never dropped by a TGD mask (its mask is all False).
"""

from __future__ import annotations

import copy

import torch

from models.dncnn import DnCNN
from models.tgd.masks import TgdMasks, parameter_masks

__all__ = ["drop_kernels"]


@torch.no_grad()
def drop_kernels(*, model: DnCNN, masks: TgdMasks) -> DnCNN:
    """A copy of ``model`` (left untouched) whose output kernels marked True in ``masks`` are zeroed (module
    docstring), in eval mode on ``model``'s device. ValueError when ``masks`` does not fit ``model``."""
    element_masks = parameter_masks(model=model, masks=masks)
    dropped = copy.deepcopy(model).eval()
    for name, parameter in dropped.named_parameters():
        parameter.masked_fill_(element_masks[name], 0.0)
    return dropped
