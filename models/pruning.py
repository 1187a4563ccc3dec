"""Pruning: the idle channels of a sparse-trained DnCNN removed for good, a smaller network computing the same.

A hidden channel whose whole coupled group is exactly 0 (:mod:`models.training.sparsity`: producer kernel, bias,
BatchNorm γ and β, consumer column) outputs 0 for any input and nothing reads it. Removing it changes no output
voxel, so the pruned network equals the sparse one up to float rounding (the summation order of the remaining
channels is the same; measured in the tests), while each conv costs ``c_in × c_out`` of the original.

A layer keeps at least one channel (a layer whose channels are all idle keeps its first one, still all zeros), so
every pruned network is a valid :class:`~models.dncnn.DnCNN` with ``config.widths``.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from models.channels import conv_at, idle_channels
from models.dncnn import DnCNN

__all__ = ["live_channels", "prune_idle"]


@torch.no_grad()
def live_channels(*, model: DnCNN) -> list[torch.Tensor]:
    """The indices of each hidden layer's channels that are not idle (at least one per layer), ``(k_i,) int64``."""
    kept = []
    for idle in idle_channels(model=model):
        index = torch.nonzero(~idle).flatten()
        kept.append(index if index.numel() else torch.zeros(1, dtype=torch.int64))
    return kept


@torch.no_grad()
def prune_idle(*, model: DnCNN) -> DnCNN:
    """A new, smaller :class:`~models.dncnn.DnCNN` without ``model``'s idle channels (module docstring), in eval
    mode on the CPU; ``model`` is left untouched."""
    if model.config.widths is not None:
        raise ValueError("Argument 'model' is already pruned (config.widths is set); prune the full network.")
    kept = live_channels(model=model)
    config = replace(model.config, widths=tuple(int(index.numel()) for index in kept))
    pruned = DnCNN(config=config).eval()
    source = {name: value.detach().cpu() for name, value in model.state_dict().items()}
    last = len(model.convs) - 1
    for layer in range(len(model.convs)):
        rows = kept[layer] if layer < last else torch.arange(1)
        columns = kept[layer - 1] if layer > 0 else torch.arange(int(conv_at(model, 0).weight.shape[1]))
        conv = conv_at(pruned, layer)
        conv.weight.copy_(source[f"convs.{layer}.weight"][rows][:, columns])
        if conv.bias is not None:
            conv.bias.copy_(source[f"convs.{layer}.bias"][rows])
        norm = pruned.norms[layer]
        if isinstance(norm, torch.nn.BatchNorm2d):
            for name in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
                value = source[f"norms.{layer}.{name}"]
                getattr(norm, name).copy_(value if name == "num_batches_tracked" else value[rows])
    return pruned
