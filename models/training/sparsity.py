"""Channel sparsity for the denoiser: a group penalty over each hidden channel's coupled parameters, applied as a
proximal step so that channels reach exactly zero (free capacity for TGD, and channels a pruned network drops).

Hidden channel ``c`` of layer ``i`` (``0 ≤ i < depth − 1``) owns one group of coupled parameters:

- its producer: the output kernel ``convs[i].weight[c]`` (and ``convs[i].bias[c]`` on the first conv);
- the BatchNorm that follows it (layers ``1 … depth − 2``): ``γ = norms[i].weight[c]``, ``β = norms[i].bias[c]``;
- its consumer: the input column ``convs[i + 1].weight[:, c]``.

When the whole group is 0 the channel's output is exactly 0 for any input (``0·x̂ + 0`` after the BatchNorm, then
the ReLU) and nothing reads it: the network equals one without that channel (:mod:`models.pruning`).

**Proximal group lasso.** After each optimiser step every group is shrunk towards 0 by a group soft threshold,

    g ← g · max(0, 1 − τ √k_g / ‖g‖₂),       τ = learning rate × λ_t,

``k_g`` the group's element count (the usual group-lasso weighting, so wide and narrow layers are alike). A
group whose norm is below the threshold lands exactly on 0, which a penalty added to the loss never does under
Adam (Adam moves every weight by about the learning rate per step whatever the gradient's size; measured: BN γ
of unused deep channels did not empty in 1500 steps). Elements in two groups (the weight of conv ``i + 1``
joining channel ``c`` of layer ``i`` to channel ``d`` of layer ``i + 1``) take both factors.

**Schedule.** λ grows linearly, ``λ_t = λ · t / ramp`` (a growing penalty, Wang et al., ICLR 2021), and keeps
growing past ``ramp`` until ``target`` of all hidden channels are exactly 0. From then on those channels are
*pinned* (held at 0) and the penalty stops: the remaining steps let the live channels recover what the shrink
cost. No layer is emptied past ``max_layer_idle`` of its channels (its groups leave the penalty there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from models.channels import (
    channel_group_norms,
    conv_at,
    group_size,
    hidden_layers,
    idle_channels,
    scale_channels,
    squares_per_channel,
    zero_channels,
)
from models.dncnn import DnCNN

__all__ = [
    "SparsityState",
    "channel_group_norms",
    "channel_importance",
    "conv_at",
    "idle_channels",
    "proximal_step",
    "select_channels",
    "zero_channels",
]


@dataclass(kw_only=True)
class SparsityState:
    """Where the schedule stands: ``pinned`` holds one bool ``(width_i,)`` per hidden layer once the target was
    reached (None before), and ``pinned_at`` the step it was reached."""

    pinned: list[torch.Tensor] | None = None
    pinned_at: int | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    selected: list[torch.Tensor] | None = None
    """the channels a selective run shrinks (:func:`select_channels`), chosen at its first step; None otherwise"""

    def to_json(self) -> dict[str, object]:
        """JSON-ready (checkpoint and bundle metadata)."""
        return {
            "pinned": None if self.pinned is None else [mask.tolist() for mask in self.pinned],
            "pinned_at": self.pinned_at,
            "selected": None if self.selected is None else [mask.tolist() for mask in self.selected],
        }

    @classmethod
    def from_json(cls, values: dict[str, object] | None) -> SparsityState:
        """The inverse of :meth:`to_json` (a missing record: nothing pinned yet)."""
        if not values:
            return cls()

        def masks(key: str) -> list[torch.Tensor] | None:
            found = values.get(key)
            return None if found is None else [torch.tensor(mask, dtype=torch.bool) for mask in found]  # type: ignore[attr-defined]

        at = values.get("pinned_at")
        return cls(
            pinned=masks("pinned"), pinned_at=int(at) if isinstance(at, int) else None, selected=masks("selected")
        )


@torch.no_grad()
def proximal_step(
    *, model: DnCNN, threshold: float, max_layer_idle: float = 0.75, only: list[torch.Tensor] | None = None
) -> None:
    """One group soft threshold (module docstring) with ``threshold`` = τ (learning rate × λ) per unit of
    ``√k_g``; a layer already at ``max_layer_idle`` idle channels is left alone, and of the channels that would
    reach 0 in one step only the weakest up to that cap do (the others are left as they are this step). With
    ``only`` (one bool per hidden layer) just the marked channels are shrunk."""
    if threshold <= 0:
        return
    norms = channel_group_norms(model=model)
    for layer, norm in zip(hidden_layers(model), norms, strict=True):
        if only is not None and not bool(only[layer].any()):
            continue
        idle = norm == 0
        if float(idle.float().mean()) >= max_layer_idle:
            continue
        cut = threshold * group_size(model, layer) ** 0.5
        factor = torch.clamp(1.0 - cut / torch.clamp(norm, min=1e-30), min=0.0)
        budget = int(max_layer_idle * norm.numel()) - int(idle.sum())
        dying = (factor == 0) & ~idle
        if int(dying.sum()) > budget:  # only the weakest up to the layer's cap reach 0
            order = torch.argsort(torch.where(dying, norm, torch.full_like(norm, torch.inf)))
            spared = order[budget : int(dying.sum())]
            factor[spared] = 1.0
        if only is not None:
            factor = torch.where(only[layer].to(factor.device), factor, torch.ones_like(factor))
        scale_channels(model, layer, factor)


@torch.no_grad()
def channel_importance(*, model: DnCNN) -> list[torch.Tensor]:
    """How much each hidden channel can pass on, one ``(width_i,)`` per hidden layer: the norm of what sets its
    output's size (BatchNorm ``(γ, β)``; on the first conv, which has none, its kernel and bias) times the norm
    of its consumer column. A BatchNorm makes the producer kernel's own scale irrelevant, so its norm is not used
    there. 0 for an idle channel."""
    scores = []
    for layer in hidden_layers(model):
        norm = model.norms[layer]
        if isinstance(norm, torch.nn.BatchNorm2d):
            size = torch.sqrt(norm.weight.detach() ** 2 + norm.bias.detach() ** 2)
        else:
            conv = conv_at(model, layer)
            size = squares_per_channel(conv.weight, 0)
            if conv.bias is not None:
                size = size + conv.bias.detach() ** 2
            size = torch.sqrt(size)
        scores.append(size * torch.sqrt(squares_per_channel(conv_at(model, layer + 1).weight, 1)))
    return scores


@torch.no_grad()
def select_channels(*, model: DnCNN, share: float) -> list[torch.Tensor]:
    """The ``floor(share · width_i)`` least important channels of each hidden layer (:func:`channel_importance`),
    one bool ``(width_i,)`` per layer: what a selective penalty shrinks to 0 while the others are left alone
    (growing regularisation on the chosen groups only, Wang et al., ICLR 2021)."""
    chosen = []
    for score in channel_importance(model=model):
        mask = torch.zeros_like(score, dtype=torch.bool)
        mask[torch.argsort(score)[: int(share * score.numel())]] = True
        chosen.append(mask.cpu())
    return chosen
