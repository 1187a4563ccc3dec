"""The "prune, then grow" start of regrowing TGD: idle flagged channels get fresh producer elements.

Sparse training (:mod:`models.training.sparsity`) prunes: it leaves channels *idle*, their whole group exactly 0
(:func:`models.channels.idle_channels`). Regrowing TGD (:class:`models.tgd.masks.TgdMasks` with ``regrow``) trains
the flagged channels' producer elements and consumer columns. An idle channel is a dead end for gradients: its
producer row is 0, so it outputs a constant 0, and with its consumer column also 0 neither side gets a gradient
through the other. :func:`regrow_idle` restarts each idle flagged channel ``j`` of hidden layer ``i``:

* producer row ``convs[i].weight[j]``: the factory initialisation of a fresh conv, uniform in ``±1/√fan_in``
  (``fan_in = c_in·3·3``), drawn from a seeded CPU generator (the same values on any device);
* ``convs[i].bias[j]`` (first conv only) 0; the following BatchNorm's γ = 1, β = 0, and its running statistics reset
  to mean 0, variance 1 (the trainer runs BN in eval mode, so they stay so);
* consumer column ``convs[i + 1].weight[:, j]`` left at 0 in every live row and in the last conv (its entries in
  the rows of channels restarted in layer ``i + 1`` are part of their fresh producer rows): nothing live reads a
  restarted channel, so the network's output is unchanged, bit for bit, until the first step moves the columns
  (then the producer rows get a gradient too).

Flagged channels that are live (not idle) are trained in place from their current values, so the output is
unchanged at the start in both cases; the second round of TGDⁿ works so on the channels the first one regrew.
"""

from __future__ import annotations

import math

import torch

from models.channels import conv_at, hidden_layers, idle_channels
from models.dncnn import DnCNN
from models.tgd.masks import TgdMasks

__all__ = ["regrow_idle"]


@torch.no_grad()
def regrow_idle(*, model: DnCNN, masks: TgdMasks, seed: int) -> list[torch.Tensor]:
    """Re-initialise, in place, the idle channels of ``model`` that ``masks`` flags (module docstring); returns one
    bool ``(width_i,)`` per hidden layer marking the channels restarted. ``seed`` seeds the producer rows."""
    generator = torch.Generator().manual_seed(seed)
    restarted = []
    for layer, idle in zip(hidden_layers(model), idle_channels(model=model), strict=True):
        chosen = idle.cpu() & masks.trainable[layer].cpu()
        restarted.append(chosen)
        if not bool(chosen.any()):
            continue
        conv = conv_at(model, layer)
        rows = int(chosen.sum())
        bound = 1.0 / math.sqrt(conv.weight[0].numel())
        fresh = (torch.rand((rows, *conv.weight.shape[1:]), generator=generator) * 2.0 - 1.0) * bound
        index = chosen.to(conv.weight.device)
        conv.weight[index] = fresh.to(conv.weight)
        if conv.bias is not None:
            conv.bias[index] = 0.0
        norm = model.norms[layer]
        if isinstance(norm, torch.nn.BatchNorm2d):
            norm.weight[index] = 1.0
            norm.bias[index] = 0.0
            assert norm.running_mean is not None and norm.running_var is not None
            norm.running_mean[index] = 0.0
            norm.running_var[index] = 1.0
    return restarted
