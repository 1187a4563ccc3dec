"""The split uncertainty: it recovers a known noise level, is 0 where the halves agree, and its summary."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from imaging.uncertainty import split_uncertainty, summarise_uncertainty

SHAPE = (16, 40, 40)


def _halves(*, sigma_full: npt.NDArray[np.float64] | float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two denoised halves of one signal whose errors are independent, each of SD √2 · ``sigma_full`` (half the
    counts: twice the variance of the full-count output)."""
    rng = np.random.default_rng(seed)
    signal = np.full(SHAPE, 8000.0)
    noise = np.sqrt(2.0) * np.broadcast_to(sigma_full, SHAPE)
    a = signal + rng.normal(size=SHAPE) * noise
    b = signal + rng.normal(size=SHAPE) * noise
    return a.astype(np.float32), b.astype(np.float32)


def test_a_known_noise_level_is_recovered() -> None:
    a, b = _halves(sigma_full=120.0, seed=1)
    u = split_uncertainty(denoised_a=a, denoised_b=b)
    assert u.dtype == np.float32 and u.shape == SHAPE and np.all(u >= 0)
    assert float(np.mean(u)) == pytest.approx(120.0, rel=0.03)  # ½ · sqrt(2 · 2σ²) = σ, less a small Jensen bias
    assert float(np.sqrt(np.mean(np.square(u)))) == pytest.approx(120.0, rel=0.01)
    assert 0.05 < float(np.std(u) / np.mean(u)) < 0.2  # the estimate's own noise (about 45 voxels averaged)


def test_a_noise_level_that_changes_across_the_volume_is_followed() -> None:
    sigma = np.where(np.arange(SHAPE[2]) < SHAPE[2] // 2, 50.0, 400.0)[None, None, :]
    u = split_uncertainty(denoised_a=(pair := _halves(sigma_full=sigma, seed=2))[0], denoised_b=pair[1])
    left, right = u[:, :, 2:16], u[:, :, 24:38]  # away from the step, where the local mean mixes both
    assert float(np.median(left)) == pytest.approx(50.0, rel=0.08)
    assert float(np.median(right)) == pytest.approx(400.0, rel=0.08)


def test_halves_that_agree_give_zero() -> None:
    a, _ = _halves(sigma_full=100.0, seed=3)
    assert np.array_equal(split_uncertainty(denoised_a=a, denoised_b=a.copy()), np.zeros(SHAPE, dtype=np.float32))


def test_it_is_symmetric_and_scales_with_the_unit() -> None:
    a, b = _halves(sigma_full=80.0, seed=4)
    u = split_uncertainty(denoised_a=a, denoised_b=b)
    assert np.array_equal(u, split_uncertainty(denoised_a=b, denoised_b=a))
    scaled = split_uncertainty(denoised_a=a / 1000.0, denoised_b=b / 1000.0)  # e.g. Bq/ml to kBq/ml
    np.testing.assert_allclose(scaled, u / 1000.0, rtol=1e-3)


def test_the_local_mean_is_a_gaussian_of_one_voxel() -> None:
    a = np.zeros((9, 9, 9), dtype=np.float32)
    b = a.copy()
    b[4, 4, 4] = 2.0  # one differing voxel: u = ½ · sqrt(4 · g(r)), g the normalised Gaussian (σ = 1)
    u = split_uncertainty(denoised_a=a, denoised_b=b)
    g0 = (2 * np.pi) ** -1.5  # the 3D Gaussian's centre weight, close to the sampled kernel's
    assert float(u[4, 4, 4]) == pytest.approx(0.5 * np.sqrt(4.0 * g0), rel=0.05)
    assert float(u[4, 4, 5]) == pytest.approx(float(u[4, 4, 4]) * np.exp(-0.25), rel=0.02)  # sqrt(e^(−r²/2)), r = 1
    assert split_uncertainty(denoised_a=a, denoised_b=b, sigma_voxels=2.0)[4, 4, 4] < u[4, 4, 4]


@pytest.mark.parametrize(("a_shape", "b_shape"), [((4, 5, 6), (4, 5, 7)), ((5, 6), (5, 6))])
def test_halves_of_other_shapes_are_refused(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="'denoised_a' and 'denoised_b'"):
        split_uncertainty(denoised_a=np.zeros(a_shape, np.float32), denoised_b=np.zeros(b_shape, np.float32))
    with pytest.raises(ValueError, match="sigma_voxels"):
        split_uncertainty(denoised_a=np.zeros((3, 3, 3)), denoised_b=np.zeros((3, 3, 3)), sigma_voxels=0.0)


def test_the_summary_reads_the_body_and_the_hot_spots() -> None:
    output = np.full((20, 40, 40), 100.0, dtype=np.float32)
    output[8:13, 18:23, 18:23] = 5000.0  # a hot cube
    uncertainty = np.full(output.shape, 10.0, dtype=np.float32)
    uncertainty[8:13, 18:23, 18:23] = 400.0
    body = np.zeros(output.shape, dtype=bool)
    body[2:18, 5:35, 5:35] = True
    summary = summarise_uncertainty(output=output, uncertainty=uncertainty, body=body, count=1)
    assert summary.mean_body == pytest.approx(float(uncertainty[body].mean()))
    (hot,) = summary.regions
    assert hot.peak_voxel == (10, 20, 20) and 80 < hot.voxels <= 125  # the cube less its smoothed corners
    assert (hot.mean_output, hot.mean_uncertainty) == (5000.0, 400.0) and hot.percent == pytest.approx(8.0)
    empty = summarise_uncertainty(output=output, uncertainty=uncertainty, body=np.zeros_like(body))
    assert (empty.mean_body, empty.regions) == (None, ())
    with pytest.raises(ValueError, match="'uncertainty'"):
        summarise_uncertainty(output=output, uncertainty=uncertainty[1:], body=body)
