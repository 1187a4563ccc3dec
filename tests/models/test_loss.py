"""The lesion-weighted training loss."""

from __future__ import annotations

import torch

from models.training.loss import contrast_weights, weighted_mse


def _target() -> torch.Tensor:
    target = torch.ones(2, 1, 32, 32)
    target[:, :, 14:18, 14:18] = 4.0  # a 4:1 lesion
    return target


def test_flat_regions_weigh_one_and_a_lesion_more() -> None:
    weights = contrast_weights(target=_target(), strength=4.0, sigma=3.0)
    assert weights.shape == (2, 1, 32, 32)
    torch.testing.assert_close(weights[:, :, :6, :6], torch.ones(2, 1, 6, 6))
    assert float(weights[0, 0, 16, 16]) > 1.0 + 4.0 * 2.0
    assert float(weights.min()) >= 1.0


def test_zero_strength_is_plain_mse() -> None:
    target, prediction = _target(), torch.rand(2, 1, 32, 32)
    loss = weighted_mse(prediction=prediction, target=target, strength=0.0, sigma=3.0)
    torch.testing.assert_close(loss, torch.mean((prediction - target) ** 2))


def test_flattening_a_lesion_costs_more_than_under_plain_mse() -> None:
    target = _target()
    flattened = torch.ones_like(target)
    plain = weighted_mse(prediction=flattened, target=target, strength=0.0, sigma=3.0)
    weighted = weighted_mse(prediction=flattened, target=target, strength=8.0, sigma=3.0)
    assert float(weighted) > 10.0 * float(plain)
