"""PSNR and SSIM on hand-computable cases, and SSIM against scikit-image."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from imaging.errors import InputError
from imaging.metrics import psnr, ssim


def _ramp() -> np.ndarray:
    """(2, 3, 4) values 0..23... scaled so that max − min = 10."""
    return np.arange(24, dtype=np.float64).reshape(2, 3, 4) * (10.0 / 23.0)


def test_psnr_of_a_constant_offset_is_set_by_range_and_offset() -> None:
    reference = _ramp()
    # MSE = 2² = 4, L = 10 → PSNR = 10 log10(100 / 4) ≈ 13.98 dB
    assert psnr(image=reference + 2.0, reference=reference) == pytest.approx(10 * math.log10(100 / 4))


def test_psnr_uses_the_given_data_range() -> None:
    reference = _ramp()
    assert psnr(image=reference - 1.0, reference=reference, data_range=100.0) == pytest.approx(40.0)


def test_psnr_counts_only_masked_voxels_for_error_and_range() -> None:
    reference = np.zeros((1, 2, 2))
    reference[0, 0, 1] = 4.0
    reference[0, 1, 1] = 1000.0  # outside the mask: must not set the range
    image = reference.copy()
    image[0, 0, 0] = 1.0
    image[0, 1, 1] = -50.0  # outside the mask: must not count
    mask = np.array([[[True, True], [True, False]]])
    # inside: errors (1, 0, 0) → MSE = 1/3; range 4 → PSNR = 10 log10(16 · 3)
    assert psnr(image=image, reference=reference, mask=mask) == pytest.approx(10 * math.log10(48))


def test_psnr_of_identical_images_is_infinite() -> None:
    assert psnr(image=_ramp(), reference=_ramp()) == math.inf


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"image": np.zeros((2, 3, 3)), "reference": np.zeros((2, 3, 4))}, "'image'"),
        ({"image": np.zeros((3, 4)), "reference": np.zeros((3, 4))}, "'reference'"),
        ({"image": _ramp(), "reference": _ramp(), "mask": np.zeros((2, 3, 4), dtype=bool)}, "'mask'"),
        ({"image": _ramp(), "reference": _ramp(), "mask": np.ones((2, 3, 4))}, "'mask'"),
        ({"image": _ramp(), "reference": _ramp(), "data_range": 0.0}, "'data_range'"),
        ({"image": _ramp(), "reference": np.ones((2, 3, 4))}, "'reference'"),
        ({"image": _ramp() * np.nan, "reference": _ramp()}, "'image'"),
        ({"image": _ramp().astype(complex), "reference": _ramp()}, "'image'"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], argument: str) -> None:
    for metric in (psnr, ssim):
        with pytest.raises(InputError, match=argument):
            metric(**kwargs)  # type: ignore[operator]


def test_ssim_of_an_image_with_itself_is_one() -> None:
    image = np.random.default_rng(1).random((6, 12, 12))
    assert ssim(image=image, reference=image) == pytest.approx(1.0, abs=1e-12)


def test_ssim_of_two_constants_matches_the_luminance_term() -> None:
    # σ = 0 everywhere, so SSIM = (2·1·2 + C1) / (1 + 4 + C1) with C1 = (0.01 · 1)²
    c1 = 0.01**2
    value = ssim(image=np.full((4, 5, 5), 2.0), reference=np.ones((4, 5, 5)), data_range=1.0)
    assert value == pytest.approx((4 + c1) / (5 + c1))


def _interior(shape: tuple[int, ...], border: int, axes: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    index = tuple(slice(border, n - border) if axis in axes else slice(None) for axis, n in enumerate(shape))
    mask[index] = True
    return mask


def test_ssim_3d_matches_skimage_on_its_interior() -> None:
    rng = np.random.default_rng(7)
    reference = rng.random((16, 20, 20))
    image = reference + 0.3 * rng.standard_normal(reference.shape)
    expected = structural_similarity(
        image, reference, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
    )
    mask = _interior(reference.shape, border=5, axes=(0, 1, 2))  # skimage crops (11 − 1) / 2 voxels
    assert ssim(image=image, reference=reference, mask=mask, data_range=1.0) == pytest.approx(expected, abs=1e-9)


def test_ssim_over_every_voxel_matches_skimage_full_map_with_reflected_borders() -> None:
    rng = np.random.default_rng(9)
    reference = rng.random((12, 14, 14))
    image = reference + 0.3 * rng.standard_normal(reference.shape)
    _, full_map = structural_similarity(
        image, reference, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, full=True
    )
    assert ssim(image=image, reference=reference, data_range=1.0) == pytest.approx(full_map.mean(), abs=1e-9)


def test_ssim_per_slice_matches_the_mean_of_skimage_2d() -> None:
    rng = np.random.default_rng(8)
    reference = rng.random((3, 20, 20))
    image = reference + 0.2 * rng.standard_normal(reference.shape)
    expected = np.mean(
        [
            structural_similarity(
                image[z], reference[z], data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
            )
            for z in range(3)
        ]
    )
    mask = _interior(reference.shape, border=5, axes=(1, 2))
    value = ssim(image=image, reference=reference, mask=mask, data_range=1.0, per_slice=True)
    assert value == pytest.approx(expected, abs=1e-9)


def test_ssim_drops_with_noise() -> None:
    rng = np.random.default_rng(3)
    reference = rng.random((8, 16, 16))
    scores = [
        ssim(image=reference + level * rng.standard_normal(reference.shape), reference=reference)
        for level in (0.05, 0.2, 0.8)
    ]
    assert scores[0] > scores[1] > scores[2]
