"""Per-slice int16 encoding: precision, signs, empty slices, dynamic range, DS-exact slopes."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.dicom import pixels
from imaging.dicom.pixels import INT16_MAX, decode_slices, encode_slices


def _slice_error_ratio(voxels: np.ndarray) -> np.ndarray:
    """Per slice: max |decoded - voxels| / max |voxels| (0 for an all-zero slice)."""
    decoded = decode_slices(encoded=encode_slices(voxels=voxels)).astype(np.float64)
    error = np.max(np.abs(decoded - voxels), axis=(1, 2))
    peak = np.max(np.abs(voxels.astype(np.float64)), axis=(1, 2))
    ratio: np.ndarray = np.divide(error, peak, out=np.zeros_like(error), where=peak > 0)
    return ratio


def test_error_stays_below_four_significant_digits_of_each_slice() -> None:
    rng = np.random.default_rng(7)
    voxels = rng.gamma(shape=2.0, scale=3000.0, size=(6, 16, 16)).astype(np.float32)
    ratio = _slice_error_ratio(voxels)
    assert np.all(ratio <= 1e-4)
    assert np.all(ratio <= 0.5 / INT16_MAX * 1.01)  # half a step of the full int16 range, plus float32 rounding


def test_huge_dynamic_range_between_slices_keeps_each_slice_precise() -> None:
    rng = np.random.default_rng(8)
    scales = np.array([1e-6, 1e-2, 1.0, 1e3, 1e7, 1e12], dtype=np.float64)
    voxels = (rng.uniform(0.0, 1.0, size=(6, 8, 8)) * scales[:, None, None]).astype(np.float32)
    assert np.all(_slice_error_ratio(voxels) <= 1e-4)


def test_negative_values_survive() -> None:
    rng = np.random.default_rng(9)
    voxels = rng.normal(0.0, 500.0, size=(3, 10, 10)).astype(np.float32)
    voxels[2] = -np.abs(voxels[2])  # an all-negative slice
    encoded = encode_slices(voxels=voxels)
    assert np.all(encoded.intercepts == 0.0)
    assert encoded.stored[2].min() == -INT16_MAX
    decoded = decode_slices(encoded=encoded)
    assert np.all(np.sign(decoded[np.abs(voxels) > 1.0]) == np.sign(voxels[np.abs(voxels) > 1.0]))
    assert np.all(_slice_error_ratio(voxels) <= 1e-4)


def test_all_zero_slice_gets_slope_one_and_decodes_to_zero() -> None:
    voxels = np.zeros((2, 4, 4), dtype=np.float32)
    voxels[0, 1, 1] = 5.0
    encoded = encode_slices(voxels=voxels)
    assert encoded.slopes[1] == 1.0
    assert encoded.slope_strings[1] == "1"
    assert not np.any(encoded.stored[1])
    assert not np.any(decode_slices(encoded=encoded)[1])


def test_slopes_are_exactly_their_decimal_strings_and_use_the_int16_range() -> None:
    rng = np.random.default_rng(10)
    voxels = (rng.uniform(0.1, 1.0, size=(5, 6, 6)) * np.float32(np.pi * 1e4)).astype(np.float32)
    encoded = encode_slices(voxels=voxels)
    assert encoded.stored.dtype == np.int16
    assert encoded.slopes.dtype == np.float64
    for text, slope in zip(encoded.slope_strings, encoded.slopes, strict=True):
        assert len(text) <= 16
        assert float(text) == slope
    assert np.all(np.max(np.abs(encoded.stored), axis=(1, 2)) == INT16_MAX)


@pytest.mark.parametrize(
    ("voxels", "message"),
    [
        (np.zeros((2, 3, 3), dtype=np.float64), "float32"),
        (np.zeros((3, 3), dtype=np.float32), "3D"),
        (np.full((1, 2, 2), np.nan, dtype=np.float32), "finite"),
        (np.full((1, 2, 2), np.inf, dtype=np.float32), "finite"),
    ],
)
def test_rejects_bad_voxels_naming_the_argument(voxels: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=rf"Argument 'voxels'.*{message}"):
        encode_slices(voxels=voxels)


def test_public_names() -> None:
    assert set(pixels.__all__) == {"INT16_MAX", "EncodedSlices", "decode_slices", "encode_slices"}
    assert all(hasattr(pixels, name) for name in pixels.__all__)
