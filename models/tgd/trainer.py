"""Fine-tuning a DnCNN by targeted gradient descent: only the kernels of :class:`TgdMasks` move.

Preparing (:func:`tgd_trainer`) under regrowing masks first restarts the idle flagged channels
(:func:`models.tgd.regrow.regrow_idle`); their fresh values are the snapshot's, like every other element's.

Each step (:func:`tgd_step`):

1. the network runs in eval mode, so BatchNorm normalises with its running statistics and never updates them;
2. MSE loss, backward; the gradient of every frozen element (frozen weight rows, their biases, the BN γ/β that
   follow them, every consumer column a regrowing mask does not open, the last conv's bias) is set to exactly 0
   before clipping, so it neither adds to the clipped norm nor enters the optimizer's moments;
3. Adam steps over the parameters that have at least one trainable element;
4. every frozen element is written back from the snapshot taken when the trainer was built.

Step 4 is what makes "frozen = bit-identical to the base network" hold whatever the optimizer does. Masked
gradients alone suffice for Adam without weight decay started from a fresh state (zero moments give a zero
update), but not for coupled or decoupled weight decay, momentum carried over from earlier steps, or a future
optimizer change; the write-back costs one ``torch.where`` per parameter and removes the dependence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch

from models.dncnn import DnCNN
from models.tgd.masks import TgdMasks, parameter_masks
from models.tgd.regrow import regrow_idle

__all__ = ["TgdTrainer", "fine_tune", "tgd_step", "tgd_trainer"]


@dataclass(frozen=True, kw_only=True)
class TgdTrainer:
    """A model prepared for TGD steps.

    Attributes:
        model: the network being adapted (in place).
        masks: element-wise masks by parameter name, each of its parameter's shape and device (True = trainable).
        frozen: the values at preparation of every parameter with a frozen element, by name.
        optimizer: Adam over the parameters with at least one trainable element.
        regrown: one bool ``(width_i,)`` per hidden layer: the idle channels restarted (all False without regrow).
    """

    model: DnCNN
    masks: dict[str, torch.Tensor]
    frozen: dict[str, torch.Tensor]
    optimizer: torch.optim.Optimizer
    regrown: tuple[torch.Tensor, ...] = ()


def tgd_trainer(*, model: DnCNN, masks: TgdMasks, lr: float, weight_decay: float = 0.0, seed: int = 0) -> TgdTrainer:
    """Prepare ``model`` for TGD under ``masks``: Adam with learning rate ``lr`` > 0 and L2 ``weight_decay`` ≥ 0.

    ``weight_decay`` acts on the trainable elements only (frozen ones are written back after each step). With
    ``masks.regrow`` the idle flagged channels of ``model`` are restarted first, in place, from ``seed``.
    """
    if not lr > 0:
        raise ValueError(f"Argument 'lr' should be positive, got {lr}.")
    if not weight_decay >= 0:
        raise ValueError(f"Argument 'weight_decay' should be non-negative, got {weight_decay}.")
    element_masks = parameter_masks(model=model, masks=masks)
    regrown = tuple(regrow_idle(model=model, masks=masks, seed=seed)) if masks.regrow else ()
    named = dict(model.named_parameters())
    frozen = {name: named[name].detach().clone() for name, mask in element_masks.items() if not bool(mask.all())}
    trainable = [named[name] for name, mask in element_masks.items() if bool(mask.any())]
    if not trainable:
        raise ValueError(f"Argument 'masks' leaves nothing to train (φ = {masks.phi}).")
    optimizer = torch.optim.Adam(trainable, lr=lr, weight_decay=weight_decay)
    return TgdTrainer(model=model, masks=element_masks, frozen=frozen, optimizer=optimizer, regrown=regrown)


@torch.no_grad()
def _mask_gradients(trainer: TgdTrainer) -> None:
    for name, parameter in trainer.model.named_parameters():
        if parameter.grad is not None:
            parameter.grad.masked_fill_(~trainer.masks[name], 0.0)


@torch.no_grad()
def _restore_frozen(trainer: TgdTrainer) -> None:
    named = dict(trainer.model.named_parameters())
    for name, value in trainer.frozen.items():
        named[name].copy_(torch.where(trainer.masks[name], named[name], value))


def tgd_step(
    *,
    trainer: TgdTrainer,
    x: torch.Tensor,
    y: torch.Tensor,
    clip_norm: float | None = None,
    weights: torch.Tensor | None = None,
) -> float:
    """One TGD step on ``x (n, slices, h, w)`` → target ``y (n, 1, h, w)`` (model's device); returns the loss:
    the mean squared error, weighted per voxel by ``weights`` (shaped like ``y``) when given.

    ``clip_norm``: clip the (masked) gradient to this global L2 norm, or None.
    """
    model = trainer.model.eval()
    model.zero_grad(set_to_none=True)
    squared = (model(x) - y) ** 2
    loss = torch.mean(squared if weights is None else weights * squared)
    loss.backward()  # type: ignore[no-untyped-call]
    _mask_gradients(trainer)
    if clip_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
    trainer.optimizer.step()
    _restore_frozen(trainer)
    return float(loss.detach())


def fine_tune(
    *,
    model: DnCNN,
    masks: TgdMasks,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    steps: int,
    lr: float,
    weight_decay: float = 0.0,
    clip_norm: float | None = None,
    seed: int = 0,
) -> list[float]:
    """Adapt ``model`` in place by ``steps`` TGD steps on ``(x, y)`` pairs from ``batches``; the loss of each step.

    ``x (n, slices, h, w)`` and ``y (n, 1, h, w)`` float32 are moved to the model's device. The model is left in
    eval mode. ``batches`` must yield at least ``steps`` pairs (it may be an endless generator). ``seed``: the
    restart of idle channels under regrowing masks (:func:`tgd_trainer`).
    """
    if steps < 1:
        raise ValueError(f"Argument 'steps' should be at least 1, got {steps}.")
    trainer = tgd_trainer(model=model, masks=masks, lr=lr, weight_decay=weight_decay, seed=seed)
    device = next(model.parameters()).device
    losses: list[float] = []
    for x, y in batches:
        losses.append(tgd_step(trainer=trainer, x=x.to(device), y=y.to(device), clip_norm=clip_norm))
        if len(losses) == steps:
            return losses
    raise ValueError(f"Argument 'batches' ran out after {len(losses)} of {steps} steps (those stay applied).")
