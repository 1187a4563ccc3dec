"""Per-study pairs and TGD-N2N adaptation: pair semantics, budgets, frozen kernels untouched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imaging.errors import InputError
from imaging.intensity import activity_scale
from models.adaptation.online import AdaptationSettings, adapt_network
from models.adaptation.pairs import _subsample_pair, body_centres, hot_weights, split_batches, subsample_batches
from models.tgd.layer_masks import layer_masks
from models.tgd.masks import parameter_masks, tgd_masks
from tests.models.factories import random_dncnn


def _volumes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    clean = np.zeros((6, 40, 40), dtype=np.float32)
    clean[:, 8:32, 8:32] = 1000.0
    # continuous noise everywhere: no voxel value of A occurs in B
    return (clean + rng.normal(0, 50, clean.shape)).astype(np.float32), (clean + rng.normal(0, 50, clean.shape)).astype(
        np.float32
    )


def test_split_pairs_take_input_and_target_from_different_halves() -> None:
    a, b = _volumes()
    scale = activity_scale(voxels=(a.astype(np.float64) + b) / 2.0)
    x, y = next(split_batches(a=a, b=b, patch=16, batch=24, rng=np.random.default_rng(1)))
    assert x.shape == (24, 3, 16, 16) and y.shape == (24, 1, 16, 16) and x.dtype == torch.float32
    values_a, values_b = {float(v) for v in (a / scale).ravel()}, {float(v) for v in (b / scale).ravel()}
    directions = set()
    for centre, target in zip(x[:, 1], y[:, 0], strict=True):
        # whatever the dihedral transform, the centre slice and the target come from different halves
        assert not torch.equal(centre, target)
        directions.add(float(centre.flatten()[0]) in values_a and float(target.flatten()[0]) in values_b)
    assert len(directions) == 2  # both A→B and B→A occur


def test_a_clean_volume_replaces_every_target_and_inputs_stay_noisy_halves() -> None:
    a, b = _volumes()
    clean = np.zeros_like(a)
    clean[:, 8:32, 8:32] = 1000.0
    scale = activity_scale(voxels=(a.astype(np.float64) + b) / 2.0)
    x, y = next(split_batches(a=a, b=b, patch=16, batch=16, rng=np.random.default_rng(1), clean=clean))
    assert set(np.unique(y.numpy())) <= {0.0, np.float32(1000.0 / scale)}  # every target is the clean volume
    values = {float(v) for v in np.concatenate([(a / scale).ravel(), (b / scale).ravel()])}
    assert all(float(v) in values for v in x[:, 1].flatten()[:50])
    with pytest.raises(InputError, match="one shape"):
        next(split_batches(a=a, b=b, patch=16, batch=2, rng=np.random.default_rng(1), clean=clean[:-1]))


def _hot_volumes() -> tuple[np.ndarray, np.ndarray]:
    """:func:`_volumes` with a small very hot spot (20× the tissue) at slice 3, (30, 30)."""
    a, b = _volumes()
    for volume in (a, b):
        volume[3, 29:31, 29:31] += 20_000.0
    return a, b


def test_hot_weights_favour_centres_near_hot_structure() -> None:
    a, b = _hot_volumes()
    centres = body_centres(voxels=a + b, patch=16)
    weights = hot_weights(voxels=(a + b) / 2, centres=centres, patch=16)
    assert weights.shape == (len(centres),) and weights.sum() == pytest.approx(1.0)
    near = (centres[:, 0] == 3) & (np.abs(centres[:, 1] - 30) <= 3) & (np.abs(centres[:, 2] - 30) <= 3)
    far = (centres[:, 0] != 3) | (np.abs(centres[:, 1] - 30) > 6) | (np.abs(centres[:, 2] - 30) > 6)
    assert weights[near].min() > 3 * weights[far].max()


def test_hot_share_makes_patches_hold_the_hot_spot_more_often() -> None:
    a, b = _hot_volumes()
    scale = activity_scale(voxels=(a.astype(np.float64) + b) / 2.0)

    def holding(share: float) -> float:
        batches = split_batches(a=a, b=b, patch=16, batch=2000, rng=np.random.default_rng(6), hot_share=share)
        x, _ = next(batches)
        return float((x[:, 1].amax(dim=(1, 2)) > 8_000.0 / scale).float().mean())

    uniform, half, hot = holding(0.0), holding(0.5), holding(1.0)
    assert uniform < half < hot and hot > 3 * uniform


def test_split_pairs_refuse_mismatched_halves() -> None:
    a, b = _volumes()
    with pytest.raises(InputError, match="one shape"):
        next(split_batches(a=a, b=b[:-1], patch=16, batch=2, rng=np.random.default_rng(1)))


def test_subsampled_pairs_use_two_different_pixels_of_each_cell() -> None:
    stack = np.arange(3 * 8 * 8, dtype=np.float32).reshape(3, 8, 8)
    g1, g2 = _subsample_pair(stack=stack, rng=np.random.default_rng(2))
    assert g1.shape == (3, 4, 4) and g2.shape == (1, 4, 4)
    for i in range(4):
        for j in range(4):
            cell = stack[1, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].ravel().tolist()
            assert g1[1, i, j] in cell and g2[0, i, j] in cell and g1[1, i, j] != g2[0, i, j]
    # the neighbour slices use the centre slice's choice of pixel
    np.testing.assert_array_equal(g1[0] + 64, g1[1])


def test_subsampled_batches_have_the_patch_size() -> None:
    a, _ = _volumes()
    x, y = next(subsample_batches(volume=a, patch=8, batch=3, rng=np.random.default_rng(3)))
    assert x.shape == (3, 3, 8, 8) and y.shape == (3, 1, 8, 8)


def test_adaptation_moves_only_unfrozen_kernels_and_keeps_the_base() -> None:
    base = random_dncnn(width=8)
    before = {key: value.clone() for key, value in base.state_dict().items()}
    a, b = _volumes()
    batches = split_batches(a=a, b=b, patch=16, batch=4, rng=np.random.default_rng(4))
    settings = AdaptationSettings(steps=5, patch=16, batch=4, phi=0.5)
    adapted, report = adapt_network(base=base, batches=batches, settings=settings)
    assert all(torch.equal(before[key], value) for key, value in base.state_dict().items())
    assert report.steps == 5 and 0 < report.trainable_kernel_fraction < 1
    masks = tgd_masks(model=base, phi=0.5)
    assert masks.regrow  # the shipped form: flagged channels' consumer columns move too, the last conv's included
    old, new = dict(base.named_parameters()), dict(adapted.named_parameters())
    for name, trainable in parameter_masks(model=base, masks=masks).items():
        assert torch.equal(old[name][~trainable], new[name][~trainable]), name
    assert torch.equal(base.convs[-1].bias, adapted.convs[-1].bias)
    assert any(not torch.equal(base.convs[i].weight, adapted.convs[i].weight) for i in range(len(base.convs) - 1))
    assert report.rounds[0].regrown_channels == 0  # every channel of this network is live


def test_other_masks_and_a_weighted_loss_can_be_given() -> None:
    base = random_dncnn(width=8)
    a, b = _hot_volumes()
    settings = AdaptationSettings(steps=3, patch=16, batch=4, contrast_weight=8.0, hot_share=0.5)
    batches = split_batches(a=a, b=b, patch=16, batch=4, rng=np.random.default_rng(7), hot_share=0.5)
    everything = layer_masks(model=base, layers=range(len(base.convs)))
    adapted, report = adapt_network(base=base, batches=batches, settings=settings, masks=everything)
    assert report.trainable_kernel_fraction == 1.0 and report.steps == 3
    assert not torch.equal(base.convs[-1].weight, adapted.convs[-1].weight)  # the last layer moved too


def test_the_time_budget_stops_adaptation_early() -> None:
    a, b = _volumes()
    batches = split_batches(a=a, b=b, patch=16, batch=2, rng=np.random.default_rng(5))
    settings = AdaptationSettings(steps=10_000, max_seconds=0.3, patch=16, batch=2)
    _, report = adapt_network(base=random_dncnn(width=8), batches=batches, settings=settings)
    assert 1 <= report.steps < 10_000 and report.seconds < 5.0


def test_weight_averaging_gives_the_moving_average_and_keeps_frozen_kernels_bit_identical() -> None:
    base = random_dncnn(width=8)
    a, b = _volumes()

    def adapted(decay: float) -> torch.nn.Module:
        settings = AdaptationSettings(steps=1, patch=16, batch=4, phi=0.5, average_decay=decay)
        batches = split_batches(a=a, b=b, patch=16, batch=4, rng=np.random.default_rng(4))
        return adapt_network(base=base, batches=batches, settings=settings)[0]

    last, averaged = adapted(0.0), adapted(0.75)
    masks = tgd_masks(model=base, phi=0.5)
    old, new, end = dict(base.named_parameters()), dict(averaged.named_parameters()), dict(last.named_parameters())
    for name, trainable in parameter_masks(model=base, masks=masks).items():
        assert torch.equal(old[name][~trainable], new[name][~trainable]), name
        if bool(trainable.any()):
            # one step from the base: the average is 0.75·base + 0.25·(the step's weights)
            expected = 0.75 * old[name][trainable] + 0.25 * end[name][trainable]
            torch.testing.assert_close(new[name][trainable], expected)
    assert not torch.equal(new["convs.1.weight"], end["convs.1.weight"])


@pytest.mark.parametrize(
    "overrides",
    [
        {"phi": 0.0},
        {"steps": 0},
        {"max_seconds": 0.0},
        {"patch": 4},
        {"hot_share": 1.5},
        {"contrast_weight": -1.0},
        {"average_decay": 1.0},
        {"average_decay": -0.1},
        {"focus_share": 1.5},
        {"focus_weight": -1.0},
        {"rounds": 0},
        {"rounds": 5},
    ],
)
def test_impossible_settings_are_refused(overrides: dict[str, float]) -> None:
    with pytest.raises(InputError, match="Adaptation settings"):
        AdaptationSettings(**overrides)  # type: ignore[arg-type]
