"""Which kernels targeted gradient descent retrains (DESIGN.md §4, "TGD").

Conv ``i``'s input channel ``j`` is conv ``i − 1``'s output kernel ``j`` (the feature map it writes). So the KSE
of conv ``i``'s input channels (:func:`models.kse.kse_scores`) ranks conv ``i − 1``'s output kernels, for
``i = 1 … depth − 1``: kernel ``j`` is "meaningless" and retrained iff ``KSE_j < φ``. The last conv is never
retrained (no later layer ranks it, and TGD keeps it frozen). Conv 0's input channels are the input slices, not
kernels, so their KSE is never used.

A retrained ("trainable", "flagged") output kernel ``j`` of conv ``i`` is the weight row ``convs[i].weight[j]``
(``(c_in, 3, 3)``), its bias ``convs[i].bias[j]`` when the conv has one, and the γ/β ``norms[i].weight[j]``,
``norms[i].bias[j]`` of the BatchNorm that follows it: the channel's *producer* elements. With ``regrow`` (the
default of :func:`tgd_masks`) its *consumer column* ``convs[i + 1].weight[:, j]`` is trainable too, in every layer
including the last conv: the "prune, then grow" form of TGD (:mod:`models.tgd.regrow`). Without it, a flagged
channel that sparse training left idle (consumer column 0) could never be used again: the rows that would read it
belong to frozen kernels, so the gradient reaching its producer elements is exactly 0. Everything else is frozen.
BN running statistics are buffers, not parameters; the trainer keeps them frozen by running BN in eval mode (those
of regrown idle channels are reset once, before training).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from models.dncnn import DnCNN
from models.kse import kse_scores

__all__ = [
    "TgdMasks",
    "parameter_masks",
    "tgd_masks",
    "trainable_kernel_fraction",
    "trainable_parameter_count",
    "trainable_parameter_fraction",
]


@dataclass(frozen=True, kw_only=True)
class TgdMasks:
    """The output kernels TGD retrains, per conv layer.

    Attributes:
        trainable: one entry per conv layer index ``i`` (``depth`` entries): ``(out_channels of conv i,)`` bool on
            the CPU, True = retrained. The last entry is all False.
        scores: the KSE that ranked them: ``scores[i]`` = KSE of conv ``i + 1``'s input channels, ``(width,)``
            float64, for ``i = 0 … depth − 2``.
        phi: the threshold φ (kernels with KSE < φ are retrained).
        regrow: the flagged channels' consumer columns are trainable too, and the idle ones among them are
            re-initialised before training (module docstring).
    """

    trainable: tuple[torch.Tensor, ...]
    scores: tuple[torch.Tensor, ...]
    phi: float
    regrow: bool = False


def _conv(model: DnCNN, index: int) -> nn.Conv2d:
    conv = model.convs[index]
    assert isinstance(conv, nn.Conv2d)
    return conv


def tgd_masks(*, model: DnCNN, phi: float = 0.3, k: int = 5, alpha: float = 1.0, regrow: bool = True) -> TgdMasks:
    """The TGD masks of ``model`` at threshold ``phi`` ≥ 0 (KSE with ``k`` neighbours and entropy weight ``alpha``),
    regrowing (consumer columns trainable, idle channels re-initialised) unless ``regrow`` is False.

    Works on any DnCNN, also one already adapted by TGD (TGDⁿ): the scores are recomputed from its weights.
    """
    if not phi >= 0:
        raise ValueError(f"Argument 'phi' should be a non-negative KSE threshold, got {phi}.")
    depth = len(model.convs)
    scores = tuple(kse_scores(weight=_conv(model, i).weight, k=k, alpha=alpha).cpu() for i in range(1, depth))
    trainable = [score < phi for score in scores]
    trainable.append(torch.zeros(_conv(model, depth - 1).out_channels, dtype=torch.bool))
    return TgdMasks(trainable=tuple(trainable), scores=scores, phi=phi, regrow=regrow)


def _check_matches(*, model: DnCNN, masks: TgdMasks) -> None:
    shapes = [tuple(mask.shape) for mask in masks.trainable]
    expected = [(_conv(model, i).out_channels,) for i in range(len(model.convs))]
    if shapes != expected or any(mask.dtype != torch.bool for mask in masks.trainable):
        raise ValueError(
            f"Argument 'masks' should hold one bool mask per conv output kernel {expected}, got {shapes} "
            f"({sorted({str(mask.dtype) for mask in masks.trainable})})."
        )


def parameter_masks(*, model: DnCNN, masks: TgdMasks) -> dict[str, torch.Tensor]:
    """Element-wise masks of every parameter of ``model``, by ``named_parameters`` name (True = trainable).

    Each mask has its parameter's shape and device: conv ``i``'s weight rows, bias and the following BN's γ/β
    take ``masks.trainable[i]``; with ``masks.regrow``, conv ``i + 1``'s weight columns take it as well.
    """
    _check_matches(model=model, masks=masks)
    result: dict[str, torch.Tensor] = {}
    for index, (conv, norm) in enumerate(zip(model.convs, model.norms, strict=True)):
        owners = {"convs": conv, "norms": norm}
        for prefix, module in owners.items():
            for name, parameter in module.named_parameters(recurse=False):
                row = masks.trainable[index].to(parameter.device)
                shape = (-1,) + (1,) * (parameter.ndim - 1)
                result[f"{prefix}.{index}.{name}"] = row.reshape(shape).expand_as(parameter).clone()
    if masks.regrow:
        for index in range(len(model.convs) - 1):
            columns = masks.trainable[index].to(result[f"convs.{index + 1}.weight"].device)
            result[f"convs.{index + 1}.weight"][:, columns] = True
    missing = {name for name, _ in model.named_parameters()} - set(result)
    if missing:
        raise ValueError(f"Argument 'model' has parameters TGD does not know: {sorted(missing)}.")
    return result


def trainable_kernel_fraction(*, masks: TgdMasks) -> float:
    """Retrained fraction of the KSE-ranked output kernels: those of convs 0 … depth − 2 (``(depth − 1)·width``).

    The last conv's single output kernel, always frozen, is not counted.
    """
    ranked = torch.cat(masks.trainable[:-1])
    return int(ranked.sum()) / ranked.numel()


def trainable_parameter_count(*, model: DnCNN, masks: TgdMasks) -> tuple[int, int]:
    """(retrained, all) learnable parameter elements of ``model``: conv weights and biases, BN γ/β (no buffers)."""
    element_masks = parameter_masks(model=model, masks=masks)
    trainable = sum(int(mask.sum()) for mask in element_masks.values())
    return trainable, sum(mask.numel() for mask in element_masks.values())


def trainable_parameter_fraction(*, model: DnCNN, masks: TgdMasks) -> float:
    """Fraction of ``model``'s learnable parameter elements that TGD retrains (those of kernels with KSE < φ)."""
    trainable, total = trainable_parameter_count(model=model, masks=masks)
    return trainable / total
