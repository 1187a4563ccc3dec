"""TGD masks and trainer: frozen kernels stay bit-identical, trainable ones move, TGDⁿ keeps the rules."""

from __future__ import annotations

import copy
import dataclasses
import importlib
from collections.abc import Iterator

import pytest
import torch

from models.channels import idle_channels
from models.dncnn import DnCNN, DnCNNConfig
from models.kse import kse_scores
from models.tgd.masks import (
    TgdMasks,
    parameter_masks,
    tgd_masks,
    trainable_kernel_fraction,
    trainable_parameter_count,
    trainable_parameter_fraction,
)
from models.tgd.trainer import fine_tune, tgd_step, tgd_trainer

WIDTH = 8


def random_dncnn(*, width: int = WIDTH, seed: int = 0, noise_map: bool = False) -> DnCNN:
    """A DnCNN in eval mode with random BN statistics and γ/β that keep every channel alive on random inputs.

    The running statistics are those of a random batch, then perturbed (×0.8–1.25 variance, ±0.05 σ mean shift),
    so that every kernel gets a gradient (factory-random statistics of ±0.2 kill many channels of a fresh net).
    """
    torch.manual_seed(seed)
    model = DnCNN(config=DnCNNConfig(width=width, noise_map=noise_map))
    for norm in model.norms:
        if isinstance(norm, torch.nn.BatchNorm2d):
            norm.momentum = None
    with torch.no_grad():
        model.train()(torch.rand(8, 3, 16, 16))
        for norm in model.norms:
            if isinstance(norm, torch.nn.BatchNorm2d):
                assert norm.running_mean is not None and norm.running_var is not None
                norm.running_mean.add_(0.05 * norm.running_var.sqrt() * (2 * torch.rand(width) - 1))
                norm.running_var.mul_(torch.empty(width).uniform_(0.8, 1.25))
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.uniform_(-0.1, 0.1)
                norm.momentum = 0.1
    return model.eval()


def batches(*, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Endless tiny (x, y) batches: 3 slices of 12×12 noise and a smoothed centre slice as target."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        x = torch.rand((4, 3, 12, 12), generator=generator)
        yield x, torch.nn.functional.avg_pool2d(x[:, 1:2], 3, stride=1, padding=1)


def conv_weight(model: DnCNN, index: int) -> torch.Tensor:
    """The weight of ``model.convs[index]``."""
    conv = model.convs[index]
    assert isinstance(conv, torch.nn.Conv2d)
    return conv.weight


def manual_masks(*, model: DnCNN, trainable: dict[int, list[int]]) -> TgdMasks:
    """Masks with exactly the listed output kernels (by conv index) trainable."""
    masks = []
    for index in range(len(model.convs)):
        mask = torch.zeros(conv_weight(model, index).shape[0], dtype=torch.bool)
        mask[trainable.get(index, [])] = True
        masks.append(mask)
    return TgdMasks(trainable=tuple(masks), scores=(), phi=0.0)


def assert_adapted_under(*, before: DnCNN, after: DnCNN, masks: TgdMasks) -> None:
    """Exactly what TGD may move moved: every element outside the flagged channels' producer rows, biases, BN γ/β and
    (regrowing masks) consumer columns is bit-identical; every flagged producer row changed, and without regrowing
    nothing else did. BN running statistics bit-identical, except those of the idle channels a regrowing mask
    restarted, which are reset to mean 0, variance 1."""
    element_masks = parameter_masks(model=before, masks=masks)
    old, new = dict(before.named_parameters()), dict(after.named_parameters())
    for name, mask in element_masks.items():
        assert torch.equal(old[name][~mask], new[name][~mask]), name
    for index, flagged in enumerate(masks.trainable):
        name = f"convs.{index}.weight"
        moved = (old[name] != new[name]).reshape(old[name].shape[0], -1).any(dim=1)
        assert bool(moved[flagged].all()), name
        if not masks.regrow:
            assert torch.equal(moved, flagged), name
    restarted = [idle & flagged for idle, flagged in zip(idle_channels(model=before), masks.trainable, strict=False)]
    for index, (norm, other) in enumerate(zip(before.norms, after.norms, strict=True)):
        if not isinstance(norm, torch.nn.BatchNorm2d):
            continue
        assert isinstance(other, torch.nn.BatchNorm2d)
        reset = restarted[index] if masks.regrow else torch.zeros_like(restarted[index])
        for kind, fresh in (("running_mean", 0.0), ("running_var", 1.0)):
            was, now = getattr(norm, kind), getattr(other, kind)
            assert torch.equal(was[~reset], now[~reset]), (index, kind)
            assert bool((now[reset] == fresh).all()), (index, kind)
        assert norm.num_batches_tracked is not None and other.num_batches_tracked is not None
        assert torch.equal(norm.num_batches_tracked, other.num_batches_tracked)
    last = len(before.convs) - 1
    assert torch.equal(old[f"convs.{last}.bias"], new[f"convs.{last}.bias"])
    if not masks.regrow:
        assert torch.equal(old[f"convs.{last}.weight"], new[f"convs.{last}.weight"])


def test_kse_of_conv_i_inputs_masks_the_output_kernels_of_conv_i_minus_1() -> None:
    model = random_dncnn(width=WIDTH)
    masks = tgd_masks(model=model, phi=0.5)
    assert len(masks.trainable) == 8 and masks.phi == 0.5
    for i in range(1, 8):
        expected = kse_scores(weight=conv_weight(model, i)) < 0.5
        assert torch.equal(masks.trainable[i - 1], expected), i
        assert masks.trainable[i - 1].dtype == torch.bool
    assert masks.trainable[-1].tolist() == [False]
    assert any(bool(mask.any()) for mask in masks.trainable) and not all(bool(m.all()) for m in masks.trainable[:-1])


def test_the_threshold_orders_the_retrained_fraction() -> None:
    model = random_dncnn(width=WIDTH)
    fractions = [trainable_kernel_fraction(masks=tgd_masks(model=model, phi=phi)) for phi in (0.0, 0.3, 0.6, 1.5)]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert fractions == sorted(fractions)
    with pytest.raises(ValueError, match="Argument 'phi'"):
        tgd_masks(model=model, phi=-0.1)


def test_fractions_count_kernels_and_their_parameters() -> None:
    model = random_dncnn(width=WIDTH)
    masks = manual_masks(model=model, trainable={0: [0], 3: [2, 5]})
    assert trainable_kernel_fraction(masks=masks) == 3 / (7 * WIDTH)
    total = sum(parameter.numel() for parameter in model.parameters())
    # conv 0 kernel: 3·3·3 weights + bias; conv 3 kernels: 8·3·3 weights + BN γ + β each.
    expected = 3 * 9 + 1 + 2 * (WIDTH * 9 + 2)
    assert trainable_parameter_count(model=model, masks=masks) == (expected, total)
    assert trainable_parameter_fraction(model=model, masks=masks) == expected / total


def test_masks_that_do_not_fit_the_model_are_refused() -> None:
    masks = manual_masks(model=random_dncnn(width=WIDTH), trainable={1: [0]})
    with pytest.raises(ValueError, match="Argument 'masks'"):
        parameter_masks(model=random_dncnn(width=WIDTH + 1), masks=masks)
    with pytest.raises(ValueError, match="Argument 'masks' leaves nothing"):
        tgd_trainer(model=random_dncnn(width=WIDTH), masks=manual_masks(model=random_dncnn(), trainable={}), lr=1e-3)


def test_a_step_zeroes_the_gradient_of_every_frozen_element() -> None:
    model = random_dncnn(width=WIDTH)
    masks = manual_masks(model=model, trainable={0: [1, 4], 2: [0], 5: [3, 7]})
    trainer = tgd_trainer(model=model, masks=masks, lr=1e-3)
    x, y = next(batches(seed=1))
    tgd_step(trainer=trainer, x=x, y=y)
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None
        mask = trainer.masks[name]
        assert bool((parameter.grad[~mask] == 0).all()), name
        if bool(mask.any()):
            assert bool((parameter.grad[mask] != 0).any()), name


@pytest.mark.parametrize(("noise_map", "regrow"), [(False, True), (True, True), (False, False)])
def test_fine_tune_moves_only_kernels_below_phi(noise_map: bool, regrow: bool) -> None:
    base = random_dncnn(width=WIDTH, seed=2, noise_map=noise_map).train()
    masks = tgd_masks(model=base, phi=0.5, regrow=regrow)
    assert masks.regrow is regrow
    adapted = copy.deepcopy(base)
    losses = fine_tune(model=adapted, masks=masks, batches=batches(seed=3), steps=6, lr=1e-3, clip_norm=1.0)
    assert len(losses) == 6 and all(loss > 0 for loss in losses)
    assert not adapted.training
    assert_adapted_under(before=base, after=adapted, masks=masks)


def test_frozen_weights_survive_weight_decay_because_they_are_written_back() -> None:
    base = random_dncnn(width=WIDTH, seed=4)
    masks = manual_masks(model=base, trainable={1: [0, 1], 4: [6]})
    adapted = copy.deepcopy(base)
    fine_tune(model=adapted, masks=masks, batches=batches(seed=5), steps=3, lr=1e-3, weight_decay=0.5)
    assert_adapted_under(before=base, after=adapted, masks=masks)
    # The control: the same steps without the write-back let Adam's L2 decay move frozen weights.
    unguarded = copy.deepcopy(base)
    trainer = dataclasses.replace(tgd_trainer(model=unguarded, masks=masks, lr=1e-3, weight_decay=0.5), frozen={})
    for _, (x, y) in zip(range(3), batches(seed=5), strict=False):
        tgd_step(trainer=trainer, x=x, y=y)
    weight = trainer.masks["convs.1.weight"]
    assert not torch.equal(conv_weight(base, 1)[~weight], conv_weight(unguarded, 1)[~weight])


def test_tgd_n_recomputes_masks_on_the_adapted_network_and_keeps_the_rules() -> None:
    base = random_dncnn(width=WIDTH, seed=6)
    first_masks = tgd_masks(model=base, phi=0.5)
    first = copy.deepcopy(base)
    fine_tune(model=first, masks=first_masks, batches=batches(seed=7), steps=5, lr=1e-3)
    second_masks = tgd_masks(model=first, phi=0.5)
    changed = [not torch.equal(a, b) for a, b in zip(first_masks.scores, second_masks.scores, strict=True)]
    assert any(changed)
    for i, scores in enumerate(second_masks.scores):
        assert torch.equal(scores, kse_scores(weight=conv_weight(first, i + 1)))
    second = copy.deepcopy(first)
    fine_tune(model=second, masks=second_masks, batches=batches(seed=8), steps=5, lr=1e-3)
    assert_adapted_under(before=first, after=second, masks=second_masks)
    for (name, buffer), (_, other) in zip(base.named_buffers(), second.named_buffers(), strict=True):
        assert torch.equal(buffer, other), name  # no idle channel in this network: nothing restarted


def test_fine_tune_arguments_are_checked() -> None:
    model = random_dncnn(width=WIDTH)
    masks = manual_masks(model=model, trainable={1: [0]})
    with pytest.raises(ValueError, match="Argument 'steps'"):
        fine_tune(model=model, masks=masks, batches=batches(seed=0), steps=0, lr=1e-3)
    with pytest.raises(ValueError, match="Argument 'lr'"):
        fine_tune(model=model, masks=masks, batches=batches(seed=0), steps=1, lr=0.0)
    with pytest.raises(ValueError, match="Argument 'weight_decay'"):
        tgd_trainer(model=model, masks=masks, lr=1e-3, weight_decay=-1.0)
    two = [next(batches(seed=0))] * 2
    with pytest.raises(ValueError, match="Argument 'batches' ran out after 2 of 3"):
        fine_tune(model=model, masks=masks, batches=two, steps=3, lr=1e-3)


@pytest.mark.parametrize("module", ["models.kse", "models.tgd.masks", "models.tgd.regrow", "models.tgd.trainer"])
def test_all_lists_exactly_the_public_names(module: str) -> None:
    loaded = importlib.import_module(module)
    public = {
        name
        for name, value in vars(loaded).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module
    }
    assert set(loaded.__all__) >= public
    assert all(hasattr(loaded, name) for name in loaded.__all__)
