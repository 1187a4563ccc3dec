"""The classical baselines: noise estimate, Gaussian and non-local means on small synthetic volumes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import scipy.ndimage as ndi

from bench.denoise.baselines import NlmSettings, gaussian_baseline, nlm_baseline, robust_noise_sigma

SPACING = (4.0, 4.0, 4.0)


def _truth() -> npt.NDArray[np.float32]:
    """A (12, 40, 40) 'body' of 2.0 on 0, with a 4.0 square insert: piecewise flat, Bq/ml-like."""
    volume = np.zeros((12, 40, 40), dtype=np.float32)
    volume[:, 6:34, 6:34] = 2.0
    volume[:, 15:23, 15:23] = 4.0
    return volume


def _noisy(sigma: float, seed: int = 0) -> npt.NDArray[np.float32]:
    rng = np.random.default_rng(seed)
    return (_truth() + rng.normal(0.0, sigma, _truth().shape)).astype(np.float32)


def _rmse(image: npt.NDArray[np.float32]) -> float:
    body = _truth() > 0
    return float(np.sqrt(np.mean((image[body] - _truth()[body]) ** 2)))


def test_robust_noise_sigma_recovers_white_noise_inside_the_active_region() -> None:
    for sigma in (0.1, 0.3):
        assert robust_noise_sigma(voxels=_noisy(sigma)) == pytest.approx(sigma, rel=0.08)


def test_robust_noise_sigma_underestimates_correlated_noise() -> None:
    rng = np.random.default_rng(1)
    white = rng.normal(0.0, 1.0, _truth().shape)
    correlated = ndi.gaussian_filter(white, 1.5)
    correlated *= 0.3 / correlated.std()
    assert robust_noise_sigma(voxels=_truth() + correlated) < 0.5 * 0.3


def test_robust_noise_sigma_is_zero_without_an_active_region() -> None:
    assert robust_noise_sigma(voxels=np.zeros((4, 8, 8), dtype=np.float32)) == 0.0


@pytest.mark.parametrize("method", ["gaussian", "nlm"])
def test_baselines_keep_shape_and_dtype_and_reduce_noise(method: str) -> None:
    noisy = _noisy(0.4)
    if method == "gaussian":
        out = gaussian_baseline(voxels=noisy, fwhm_mm=6.0, spacing_mm=SPACING)
    else:
        out = nlm_baseline(voxels=noisy, strength=1.0)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert _rmse(out) < 0.6 * _rmse(noisy)


@pytest.mark.parametrize("method", ["gaussian", "nlm"])
def test_baselines_at_zero_strength_return_an_unchanged_copy(method: str) -> None:
    noisy = _noisy(0.2).astype(np.float64)
    if method == "gaussian":
        out = gaussian_baseline(voxels=noisy, fwhm_mm=0.0, spacing_mm=SPACING)
    else:
        out = nlm_baseline(voxels=noisy, strength=0.0)
    np.testing.assert_array_equal(out, noisy.astype(np.float32))
    assert out.dtype == np.float32 and out is not noisy


def test_nlm_is_homogeneous_in_the_activity_unit() -> None:
    noisy = _noisy(0.3, seed=2)
    settings = NlmSettings(patch_size=3, patch_distance=3)
    base = nlm_baseline(voxels=noisy, strength=3.0, settings=settings)
    scaled = nlm_baseline(voxels=noisy * 1000.0, strength=3.0, settings=settings)
    np.testing.assert_allclose(scaled, base * 1000.0, rtol=1e-4, atol=1e-2)


def test_stronger_nlm_smooths_more() -> None:
    noisy = _noisy(0.3, seed=3)
    mild, strong = (nlm_baseline(voxels=noisy, strength=k) for k in (0.25, 1.0))
    flat = ndi.binary_erosion(_truth() == 2.0, iterations=3)  # away from the edges, where NLM may blur
    assert np.std(strong[flat]) < np.std(mild[flat]) < np.std(noisy[flat])


def test_baselines_reject_bad_arguments() -> None:
    with pytest.raises(ValueError, match="voxels"):
        nlm_baseline(voxels=np.zeros((8, 8), dtype=np.float32), strength=1.0)
    with pytest.raises(ValueError, match="strength"):
        nlm_baseline(voxels=_noisy(0.1), strength=-1.0)
    with pytest.raises(ValueError, match="voxels"):
        robust_noise_sigma(voxels=np.zeros((8, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="patch_size"):
        NlmSettings(patch_size=0)
