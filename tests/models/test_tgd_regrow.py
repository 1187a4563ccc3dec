"""Regrowing TGD on a sparse network: idle channels restart, the output is unchanged at the start, exactly what
may move moves, and TGD as it was before regrowing could not use an idle channel at all."""

from __future__ import annotations

import copy
import math

import torch

from models.channels import conv_at, idle_channels, zero_channels
from models.dncnn import DnCNN
from models.tgd.masks import TgdMasks, parameter_masks, tgd_masks
from models.tgd.regrow import regrow_idle
from models.tgd.trainer import fine_tune, tgd_trainer
from tests.models.test_tgd import WIDTH, assert_adapted_under, batches, random_dncnn

IDLE = [1, 4, 6]
"""Channels left idle in every hidden layer of :func:`sparse_dncnn`."""


def sparse_dncnn(*, seed: int = 0) -> DnCNN:
    """A random DnCNN whose channels :data:`IDLE` of every hidden layer are idle (their groups exactly 0), as sparse
    training leaves them."""
    model = random_dncnn(width=WIDTH, seed=seed)
    marked = torch.zeros(WIDTH, dtype=torch.bool)
    marked[IDLE] = True
    zero_channels(model=model, channels=[marked.clone() for _ in range(len(model.convs) - 1)])
    return model


def idle_masks(model: DnCNN, *, regrow: bool = True) -> TgdMasks:
    """Masks flagging exactly the idle channels (what KSE flags on the shipped sparse network at φ = 0.3)."""
    flagged = [*idle_channels(model=model), torch.zeros(1, dtype=torch.bool)]
    return TgdMasks(trainable=tuple(flagged), scores=(), phi=0.3, regrow=regrow)


def test_kse_flags_every_idle_channel() -> None:
    model = sparse_dncnn()
    masks = tgd_masks(model=model, phi=0.3)
    for idle, flagged in zip(idle_channels(model=model), masks.trainable, strict=False):
        assert bool(flagged[idle].all())


def test_regrow_restarts_idle_channels_without_changing_the_output() -> None:
    model = sparse_dncnn()
    restarted = copy.deepcopy(model)
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    chosen = regrow_idle(model=restarted, masks=idle_masks(model), seed=5)
    assert [int(mask.sum()) for mask in chosen] == [len(IDLE)] * 7
    with torch.no_grad():
        assert torch.equal(model(x), restarted(x))  # consumer columns still 0: bit for bit the same output
    for layer in range(len(model.convs) - 1):
        weight = conv_at(restarted, layer).weight.detach()[IDLE]
        bound = 1.0 / math.sqrt(conv_at(restarted, layer).weight[0].numel())
        assert bool((weight != 0).all()) and float(weight.abs().max()) <= bound
        consumer = conv_at(restarted, layer + 1).weight.detach()
        live = [row for row in range(consumer.shape[0]) if row not in IDLE or layer + 1 == len(model.convs) - 1]
        assert bool((consumer[live][:, IDLE] == 0).all())  # only restarted rows read a restarted channel
        norm = restarted.norms[layer]
        if isinstance(norm, torch.nn.BatchNorm2d):
            assert bool((norm.weight.detach()[IDLE] == 1).all()) and bool((norm.bias.detach()[IDLE] == 0).all())
            assert norm.running_mean is not None and norm.running_var is not None
            assert bool((norm.running_mean[IDLE] == 0).all()) and bool((norm.running_var[IDLE] == 1).all())
    again = copy.deepcopy(model)
    regrow_idle(model=again, masks=idle_masks(model), seed=5)
    assert all(torch.equal(p, q) for p, q in zip(again.parameters(), restarted.parameters(), strict=True))


def test_regrowing_tgd_brings_idle_channels_back_and_moves_nothing_else() -> None:
    base = sparse_dncnn(seed=1)
    masks = idle_masks(base)
    adapted = copy.deepcopy(base)
    fine_tune(model=adapted, masks=masks, batches=batches(seed=2), steps=4, lr=1e-3, seed=7)
    assert_adapted_under(before=base, after=adapted, masks=masks)
    assert all(not bool(idle.any()) for idle in idle_channels(model=adapted))  # every one was regrown
    last = len(base.convs) - 1
    assert bool((conv_at(adapted, last).weight[:, IDLE] != 0).any())  # the last conv reads them now
    frozen = ~parameter_masks(model=base, masks=masks)["convs.3.weight"]
    assert torch.equal(conv_at(base, 3).weight[frozen], conv_at(adapted, 3).weight[frozen])


def test_tgd_without_regrowing_cannot_use_an_idle_channel() -> None:
    """The design flaw regrowing fixes: the rows that would read an idle channel are frozen, so every gradient
    reaching its producer elements is exactly 0, and it stays idle whatever the steps."""
    base = sparse_dncnn(seed=3)
    masks = idle_masks(base, regrow=False)
    adapted = copy.deepcopy(base)
    trainer = tgd_trainer(model=adapted, masks=masks, lr=1e-3)
    x, y = next(batches(seed=4))
    adapted(x).sub(y).square().mean().backward()
    for layer in range(len(base.convs) - 1):
        grad = conv_at(adapted, layer).weight.grad
        assert grad is not None and bool((grad[IDLE] == 0).all())
    assert trainer.regrown == ()
    fine_tune(model=adapted, masks=masks, batches=batches(seed=4), steps=3, lr=1e-3)
    assert all(torch.equal(a, b) for a, b in zip(idle_channels(model=adapted), idle_channels(model=base), strict=True))


def test_a_second_round_trains_the_regrown_channels_in_place() -> None:
    base = sparse_dncnn(seed=5)
    first = copy.deepcopy(base)
    fine_tune(model=first, masks=idle_masks(base), batches=batches(seed=6), steps=3, lr=1e-3)
    second_masks = tgd_masks(model=first, phi=0.5)
    second = copy.deepcopy(first)
    trainer = tgd_trainer(model=second, masks=second_masks, lr=1e-3)
    assert sum(int(mask.sum()) for mask in trainer.regrown) == 0  # nothing idle left: no restart
    x = torch.rand(2, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(first(x), second(x))
    fine_tune(model=second, masks=second_masks, batches=batches(seed=8), steps=3, lr=1e-3)
    assert_adapted_under(before=first, after=second, masks=second_masks)
