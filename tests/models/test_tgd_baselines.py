"""Dropping masked kernels and whole-layer masks (the baselines of the TGD experiments)."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from models.dncnn import DnCNN
from models.tgd.drop import drop_kernels
from models.tgd.layer_masks import last_layers, layer_masks
from models.tgd.masks import TgdMasks, parameter_masks, tgd_masks, trainable_parameter_count
from models.tgd.trainer import fine_tune
from tests.models.test_tgd import batches, random_dncnn

WIDTH = 8


def conv(model: DnCNN, index: int) -> nn.Conv2d:
    layer = model.convs[index]
    assert isinstance(layer, nn.Conv2d)
    return layer


def features(model: DnCNN, x: torch.Tensor) -> list[torch.Tensor]:
    """The post-ReLU feature maps of convs 0 … depth − 2."""
    found = []
    for index, (layer, norm) in enumerate(zip(model.convs, model.norms, strict=True)):
        x = norm(layer(x))
        if index < len(model.convs) - 1:
            x = torch.relu(x)
            found.append(x)
    return found


def some_masks(model: DnCNN) -> TgdMasks:
    masks = tgd_masks(model=model, phi=0.5)
    assert any(bool(mask.any()) for mask in masks.trainable[:-1])
    return masks


def test_dropped_kernels_output_exactly_zero_and_the_original_is_untouched() -> None:
    model = random_dncnn(width=WIDTH, seed=11)
    before = copy.deepcopy(model.state_dict())
    masks = some_masks(model)
    dropped = drop_kernels(model=model, masks=masks)
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        maps, original = features(dropped, x), features(model, x)
    for index, (found, mask) in enumerate(zip(maps, masks.trainable, strict=False)):
        assert bool((found[:, mask] == 0).all()), index
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert not dropped.training
    assert any(bool((o[:, m] != 0).any()) for o, m in zip(original, masks.trainable, strict=False))


def test_dropping_a_kernel_equals_cutting_its_input_to_the_next_layer() -> None:
    model = random_dncnn(width=WIDTH, seed=12)
    masks = some_masks(model)
    cut = copy.deepcopy(model)
    with torch.no_grad():
        for index, mask in enumerate(masks.trainable[:-1]):
            conv(cut, index + 1).weight[:, mask] = 0.0
    x = torch.rand(3, 3, 20, 20)
    with torch.no_grad():
        torch.testing.assert_close(drop_kernels(model=model, masks=masks)(x), cut(x), rtol=0, atol=1e-6)


def test_weight_rows_alone_do_not_silence_a_channel_behind_batchnorm() -> None:
    model = random_dncnn(width=WIDTH, seed=13)
    masks = some_masks(model)
    rows_only = copy.deepcopy(model)
    with torch.no_grad():
        for index, mask in enumerate(masks.trainable[:-1]):
            conv(rows_only, index).weight[mask] = 0.0
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        alive = [f[:, m] for f, m in zip(features(rows_only, x), masks.trainable, strict=False) if bool(m.any())]
    assert any(bool((a != 0).any()) for a in alive)


def test_dropping_nothing_changes_nothing_and_foreign_masks_are_refused() -> None:
    model = random_dncnn(width=WIDTH, seed=14)
    none = tgd_masks(model=model, phi=0.0)
    x = torch.rand(2, 3, 16, 16)
    with torch.no_grad():
        assert torch.equal(drop_kernels(model=model, masks=none)(x), model(x))
    with pytest.raises(ValueError, match="Argument 'masks'"):
        drop_kernels(model=random_dncnn(width=WIDTH + 2), masks=none)


def test_layer_masks_train_exactly_the_named_layers() -> None:
    model = random_dncnn(width=WIDTH, seed=15)
    layers = last_layers(model=model, count=3)
    assert layers == (5, 6, 7)
    masks = layer_masks(model=model, layers=layers)
    assert [bool(mask.all()) for mask in masks.trainable] == [False] * 5 + [True] * 3
    assert not any(bool(mask.any()) for mask in masks.trainable[:5])
    expected = sum(p.numel() for i in layers for m in (model.convs[i], model.norms[i]) for p in m.parameters())
    assert trainable_parameter_count(model=model, masks=masks)[0] == expected


def test_fine_tuning_under_layer_masks_moves_the_last_conv_and_nothing_before_the_layers() -> None:
    base = random_dncnn(width=WIDTH, seed=16)
    masks = layer_masks(model=base, layers=last_layers(model=base, count=3))
    tuned = copy.deepcopy(base)
    fine_tune(model=tuned, masks=masks, batches=batches(seed=17), steps=3, lr=1e-3)
    element = parameter_masks(model=base, masks=masks)
    old, new = dict(base.named_parameters()), dict(tuned.named_parameters())
    for name, mask in element.items():
        assert torch.equal(old[name][~mask], new[name][~mask]), name
    assert not torch.equal(old["convs.7.weight"], new["convs.7.weight"])
    assert not torch.equal(old["convs.5.weight"], new["convs.5.weight"])
    for (name, buffer), (_, other) in zip(base.named_buffers(), tuned.named_buffers(), strict=True):
        assert torch.equal(buffer, other), name


def test_every_layer_can_be_trained_and_bad_layers_are_refused() -> None:
    model = random_dncnn(width=WIDTH, seed=18)
    everything = layer_masks(model=model, layers=range(8))
    trainable, total = trainable_parameter_count(model=model, masks=everything)
    assert trainable == total
    with pytest.raises(ValueError, match="Argument 'layers'"):
        layer_masks(model=model, layers=[])
    with pytest.raises(ValueError, match="Argument 'layers'"):
        layer_masks(model=model, layers=[8])
    with pytest.raises(ValueError, match="Argument 'count'"):
        last_layers(model=model, count=0)
