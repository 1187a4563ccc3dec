"""The lesion-weighted training loss."""

from __future__ import annotations

import pytest
import torch

from models.training.loss import contrast_weights, input_contrast_weights, weighted_mse


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


def test_level_balance_makes_each_patch_count_relative_to_its_input_error() -> None:
    target = _target()
    noise = torch.zeros_like(target)
    noise[0] = 0.1 * torch.randn(1, 32, 32, generator=torch.Generator().manual_seed(0))  # a 'high-count' patch
    noise[1] = 1.0 * torch.randn(1, 32, 32, generator=torch.Generator().manual_seed(1))  # a 'low-count' patch
    noisy = target + noise
    half = target + noise / 2  # each patch's error halved
    balanced = weighted_mse(prediction=half, target=target, strength=0.0, sigma=3.0, noisy=noisy)
    torch.testing.assert_close(balanced, torch.tensor(0.25))  # each patch keeps 1/4 of its input's squared error
    plain = weighted_mse(prediction=half, target=target, strength=0.0, sigma=3.0)
    high_only = torch.mean((half[0] - target[0]) ** 2) / 2
    assert float(high_only) < 0.01 * float(plain)  # unbalanced, the low-count patch is almost all of the loss
    assert float(weighted_mse(prediction=noisy, target=target, strength=0.0, sigma=3.0, noisy=noisy)) == 1.0


def test_input_weights_come_from_the_smoothed_centre_slice_only() -> None:
    centre = _target()
    inputs = torch.cat([torch.zeros_like(centre), centre, torch.zeros_like(centre)], dim=1)  # (2, 3, 32, 32)
    weights = input_contrast_weights(inputs=inputs, strength=8.0, sigma=3.0)
    assert weights.shape == (2, 1, 32, 32)
    assert float(weights[0, 0, 16, 16]) > 5.0 and float(weights[0, 0, 2, 2]) == pytest.approx(1.0, abs=1e-5)
    spiky = inputs.clone()
    spiky[:, 1, 4, 4] += 4.0  # a one-voxel spike weighs far less than the 4-voxel-wide lesion after smoothing
    spiked = input_contrast_weights(inputs=spiky, strength=8.0, sigma=3.0)
    assert float(spiked[0, 0, 4, 4]) < 0.5 * float(weights[0, 0, 16, 16])
    assert torch.equal(input_contrast_weights(inputs=inputs, strength=0.0, sigma=3.0), torch.ones_like(centre))


def test_relative_weights_treat_a_lesion_alike_whatever_its_background() -> None:
    liver = _target()  # 4:1 on a background of 1
    soft = _target() * 0.3  # the same contrast on a background of 0.3
    absolute = [contrast_weights(target=t, strength=8.0, sigma=3.0)[0, 0, 16, 16] for t in (liver, soft)]
    relative = [contrast_weights(target=t, strength=8.0, sigma=3.0, relative=True)[0, 0, 16, 16] for t in (liver, soft)]
    assert float(absolute[1]) < 0.5 * float(absolute[0])
    assert float(relative[1]) == pytest.approx(float(relative[0]), rel=1e-4)
    flat = contrast_weights(target=torch.full((1, 1, 16, 16), 0.01), strength=8.0, sigma=3.0, relative=True)
    torch.testing.assert_close(flat, torch.ones_like(flat))  # no excess, weight 1 even below the floor


def test_half_balance_divides_each_patch_by_the_root_of_its_input_error() -> None:
    target = _target()
    noise = torch.zeros_like(target)
    noise[0] = 0.1 * torch.randn(1, 32, 32, generator=torch.Generator().manual_seed(2))
    noise[1] = 1.0 * torch.randn(1, 32, 32, generator=torch.Generator().manual_seed(3))
    noisy = target + noise
    half = target + noise / 2
    loss = weighted_mse(prediction=half, target=target, strength=0.0, sigma=3.0, noisy=noisy, balance=0.5)
    input_error = torch.mean(noise**2, dim=(1, 2, 3))
    expected = torch.mean(0.25 * input_error / input_error**0.5)  # each keeps 1/4 of its error, over √error
    torch.testing.assert_close(loss, expected)


def test_lesion_consistency_is_zero_for_a_faithful_output_and_prices_a_flattened_lesion() -> None:
    from models.training.loss import lesion_consistency

    target = torch.ones((2, 1, 16, 16))
    labels = torch.zeros((2, 1, 16, 16), dtype=torch.uint8)
    target[0, 0, 4:8, 4:8] = 4.0
    labels[0, 0, 4:8, 4:8] = 1
    labels[1, 0, 0, 0] = 2  # a single voxel: below min_voxels, not counted
    assert float(lesion_consistency(prediction=target.clone(), target=target, labels=labels)) == 0.0
    flattened = target.clone()
    flattened[0, 0, 4:8, 4:8] = 3.0  # −25 % mean, peak and max
    value = float(lesion_consistency(prediction=flattened, target=target, labels=labels))
    assert abs(value - 3 * 0.25**2) < 1e-6
    prediction = flattened.clone().requires_grad_(True)
    lesion_consistency(prediction=prediction, target=target, labels=labels).backward()
    assert prediction.grad is not None and float(prediction.grad[0, 0, 4:8, 4:8].sum()) < 0  # pushes the lesion up
    assert torch.isfinite(prediction.grad).all()


def test_lesion_consistency_without_lesions_is_zero_with_a_gradient_path() -> None:
    from models.training.loss import lesion_consistency

    prediction = torch.rand((1, 1, 8, 8), requires_grad=True)
    value = lesion_consistency(prediction=prediction, target=torch.ones((1, 1, 8, 8)), labels=torch.zeros((1, 1, 8, 8)))
    value.backward()
    assert float(value.detach()) == 0.0
