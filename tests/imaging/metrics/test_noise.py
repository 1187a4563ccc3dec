"""Coefficient of variation, and the autocorrelation FWHM of white and Gaussian-filtered noise."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from imaging.errors import InputError
from imaging.metrics import coefficient_of_variation, noise_autocorrelation_fwhm
from imaging.metrics.noise import autocorrelation

SIGMA_TO_FWHM = 2 * math.sqrt(2 * math.log(2))


def test_cov_is_sample_sd_over_mean_in_percent() -> None:
    image = np.array([[[1.0, 2.0, 3.0, 50.0]]])
    mask = np.array([[[True, True, True, False]]])
    assert coefficient_of_variation(image=image, mask=mask) == pytest.approx(50.0)  # SD 1 / mean 2


@pytest.mark.parametrize(
    ("image", "mask", "argument"),
    [
        (np.ones((1, 1, 2)), np.array([[[True, False]]]), "'mask'"),
        (-np.ones((1, 1, 2)), np.ones((1, 1, 2), dtype=bool), "'image'"),
        (np.ones((1, 1, 2)), np.zeros((1, 1, 2), dtype=bool), "'mask'"),
    ],
)
def test_bad_cov_arguments_are_named(image: np.ndarray, mask: np.ndarray, argument: str) -> None:
    with pytest.raises(InputError, match=argument):
        coefficient_of_variation(image=image, mask=mask)


def test_autocorrelation_of_a_hand_sequence() -> None:
    # n = (1, −1, 1, −1): lag 0: 4/4 = 1; lag 1: −3/3 = −1; lag 2: 2/2 = 1; lag 3: −1/1 = −1
    rho = autocorrelation(noise=np.array([1.0, -1.0, 1.0, -1.0]), axis=0)
    np.testing.assert_allclose(rho, [1.0, -1.0, 1.0, -1.0], atol=1e-12)


def test_white_noise_has_a_one_voxel_grain() -> None:
    noise = np.random.default_rng(11).standard_normal((32, 32, 32))
    assert noise_autocorrelation_fwhm(noise=noise, spacing_mm=(3.0, 2.0, 2.0), axis=0) == pytest.approx(3.0, rel=0.05)


def test_filtered_noise_grain_grows_with_the_filter_and_matches_theory() -> None:
    rng = np.random.default_rng(12)
    spacing = (2.0, 2.0, 2.0)
    measured = []
    for sigma in (1.5, 2.5, 3.5):
        noise = ndimage.gaussian_filter(rng.standard_normal((48, 48, 48)), sigma=sigma, mode="wrap")
        fwhm = noise_autocorrelation_fwhm(noise=noise, spacing_mm=spacing, axis=2)
        expected = math.sqrt(2) * SIGMA_TO_FWHM * sigma * spacing[2]
        assert fwhm == pytest.approx(expected, rel=0.15)
        measured.append(fwhm)
    assert measured[0] < measured[1] < measured[2]


def test_grain_is_measured_along_the_requested_axis() -> None:
    rng = np.random.default_rng(13)
    noise = ndimage.gaussian_filter(rng.standard_normal((40, 40, 40)), sigma=(0.0, 0.0, 3.0), mode="wrap")
    along_x = noise_autocorrelation_fwhm(noise=noise, spacing_mm=(1.0, 1.0, 1.0), axis=-1)
    along_y = noise_autocorrelation_fwhm(noise=noise, spacing_mm=(1.0, 1.0, 1.0), axis=1)
    assert along_y == pytest.approx(1.0, rel=0.1)
    assert along_x > 5 * along_y


@pytest.mark.parametrize(
    ("noise", "spacing", "axis", "argument"),
    [
        (np.ones((4, 4)), (1.0, 1.0), 0, "'noise'"),
        (np.arange(8.0).reshape(2, 4), (1.0, 1.0), 0, "'noise'"),
        (np.arange(8.0).reshape(2, 4), (1.0,), 1, "'spacing_mm'"),
        (np.arange(8.0).reshape(2, 4), (1.0, 1.0), 2, "'axis'"),
        # each line constant, lines differ: correlated beyond the line length, never falls to half
        (np.array([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0]]), (1.0, 1.0), 1, "'noise'"),
    ],
)
def test_bad_grain_arguments_are_named(noise: np.ndarray, spacing: tuple[float, ...], axis: int, argument: str) -> None:
    with pytest.raises(InputError, match=argument):
        noise_autocorrelation_fwhm(noise=noise, spacing_mm=spacing, axis=axis)
