"""Masks that train whole conv layers: the conventional fine-tuning baselines TGD is compared with.

A :class:`~models.tgd.masks.TgdMasks` whose every output kernel of the chosen conv layers is trainable (weight,
bias and the BatchNorm γ/β that follow each conv) and every other kernel frozen, so that the baselines run through
the same trainer as TGD (:mod:`models.tgd.trainer`: BN in eval mode, Adam, frozen elements written back) and differ
from it only in WHAT moves:

* "FT-net" (fine-tune the last blocks): ``layers = last_layers(model=m, count=3)``, the last three conv blocks;
* "N2N without masks" (train everything): ``layers = range(depth)``, the last conv included.

The masks are not chosen by KSE: ``scores`` is empty and ``phi`` is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Collection

import torch
from torch import nn

from models.dncnn import DnCNN
from models.tgd.masks import TgdMasks

__all__ = ["last_layers", "layer_masks"]


def _depth(model: DnCNN) -> int:
    return len(model.convs)


def last_layers(*, model: DnCNN, count: int) -> tuple[int, ...]:
    """Indices of the last ``count`` conv layers of ``model`` (1 ≤ count ≤ depth), ascending."""
    depth = _depth(model)
    if not 1 <= count <= depth:
        raise ValueError(f"Argument 'count' should be between 1 and the depth {depth}, got {count}.")
    return tuple(range(depth - count, depth))


def layer_masks(*, model: DnCNN, layers: Collection[int]) -> TgdMasks:
    """Masks training every output kernel of the conv layers ``layers`` (indices into ``model.convs``), nothing else.

    ValueError for an empty ``layers`` or an index outside ``0 … depth − 1``.
    """
    depth = _depth(model)
    chosen = set(layers)
    if not chosen or not chosen <= set(range(depth)):
        raise ValueError(f"Argument 'layers' should name conv layers among 0…{depth - 1}, got {sorted(chosen)}.")
    trainable = []
    for index, conv in enumerate(model.convs):
        assert isinstance(conv, nn.Conv2d)
        trainable.append(torch.full((conv.out_channels,), index in chosen, dtype=torch.bool))
    return TgdMasks(trainable=tuple(trainable), scores=(), phi=math.nan)
