"""A DnCNN's hidden channels as groups of coupled parameters: what sparse training shrinks and pruning removes.

Hidden channel ``c`` of layer ``i`` (``0 ≤ i < depth − 1``) owns one group: its output kernel
``convs[i].weight[c]`` (and ``convs[i].bias[c]`` on the first conv), the BatchNorm ``γ``/``β`` that follows it
(layers ``1 … depth − 2``) and its consumer column ``convs[i + 1].weight[:, c]``. A channel whose whole group is 0
is *idle*: it outputs 0 for any input and nothing reads it. Used by :mod:`models.training.sparsity` and
:mod:`models.pruning`.
"""

from __future__ import annotations

import torch

from models.dncnn import DnCNN

__all__ = [
    "channel_group_norms",
    "conv_at",
    "group_parts",
    "group_size",
    "hidden_layers",
    "idle_channels",
    "scale_channels",
    "squares_per_channel",
    "zero_channels",
]


def hidden_layers(model: DnCNN) -> range:
    """Indices of the hidden layers (convs ``0 … depth − 2``, whose outputs are channels)."""
    return range(len(model.convs) - 1)


def conv_at(model: DnCNN, index: int) -> torch.nn.Conv2d:
    """Conv ``index`` of ``model``, typed."""
    conv = model.convs[index]
    assert isinstance(conv, torch.nn.Conv2d)
    return conv


def group_parts(model: DnCNN, layer: int) -> list[tuple[torch.Tensor, int]]:
    """``(tensor, axis)`` pairs of layer ``layer``'s groups: channel ``c`` owns ``tensor.select(axis, c)``."""
    conv, following = conv_at(model, layer), conv_at(model, layer + 1)
    parts: list[tuple[torch.Tensor, int]] = [(conv.weight, 0), (following.weight, 1)]
    if conv.bias is not None:
        parts.append((conv.bias, 0))
    norm = model.norms[layer]
    if isinstance(norm, torch.nn.BatchNorm2d):
        parts += [(norm.weight, 0), (norm.bias, 0)]
    return parts


def squares_per_channel(tensor: torch.Tensor, axis: int) -> torch.Tensor:
    """Sum of squares of ``tensor`` over every axis but ``axis``: one value per channel along it."""
    dims = [d for d in range(tensor.ndim) if d != axis]
    return (tensor.detach() ** 2).sum(dim=dims) if dims else tensor.detach() ** 2


@torch.no_grad()
def channel_group_norms(*, model: DnCNN) -> list[torch.Tensor]:
    """The group norm ``‖g‖₂`` of every hidden channel (:mod:`models.channels`): one ``(width_i,)`` tensor per hidden
    layer, in the parameters' units (dimensionless weights)."""
    norms = []
    for layer in hidden_layers(model):
        total = sum(squares_per_channel(tensor, axis) for tensor, axis in group_parts(model, layer))
        norms.append(torch.sqrt(torch.as_tensor(total)))
    return norms


def group_size(model: DnCNN, layer: int) -> int:
    """Elements in one channel group of hidden layer ``layer``."""
    return sum(tensor.numel() // tensor.shape[axis] for tensor, axis in group_parts(model, layer))


@torch.no_grad()
def idle_channels(*, model: DnCNN) -> list[torch.Tensor]:
    """One bool ``(width_i,)`` per hidden layer: True where the channel's whole group is exactly 0."""
    return [norm == 0 for norm in channel_group_norms(model=model)]


@torch.no_grad()
def scale_channels(model: DnCNN, layer: int, factor: torch.Tensor) -> None:
    """Multiply each channel group of hidden layer ``layer`` by its ``factor`` ``(width_i,)``, in place."""
    for tensor, axis in group_parts(model, layer):
        shape = [1] * tensor.ndim
        shape[axis] = -1
        tensor.mul_(factor.view(shape).to(tensor.dtype))


@torch.no_grad()
def zero_channels(*, model: DnCNN, channels: list[torch.Tensor]) -> None:
    """Set the groups of the channels marked True in ``channels`` (one bool per hidden layer) exactly to 0."""
    for layer, mask in zip(hidden_layers(model), channels, strict=True):
        scale_channels(model, layer, (~mask).to(torch.float32))
