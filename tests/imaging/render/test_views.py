"""Views of a volume: the hottest slice, axial slices, the coronal MIP (head up) and the on-screen size."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.render.views import axial_slice, coronal_mip, display_size, hottest_slice


@pytest.fixture
def voxels() -> np.ndarray:
    return np.random.default_rng(3).uniform(0.0, 1.0, size=(6, 7, 9)).astype(np.float32)


def test_hottest_slice_holds_the_maximum(voxels: np.ndarray) -> None:
    voxels[4, 2, 3] = 5.0
    assert hottest_slice(voxels=voxels) == 4


def test_axial_slice_is_the_slice_as_stored(voxels: np.ndarray) -> None:
    image = axial_slice(voxels=voxels.astype(np.float64), index=2)
    assert image.dtype == np.float32 and image.shape == (7, 9)
    assert np.array_equal(image, voxels[2])
    with pytest.raises(ValueError, match="Argument 'index'"):
        axial_slice(voxels=voxels, index=6)


def test_coronal_mip_is_the_maximum_along_y_with_the_head_on_top(voxels: np.ndarray) -> None:
    voxels[5, 3, 4] = 9.0  # the highest slice: at the head when z increases towards it
    feet_first = coronal_mip(voxels=voxels, head_at_high_z=False)
    head_up = coronal_mip(voxels=voxels, head_at_high_z=True)
    assert feet_first.shape == head_up.shape == (6, 9) and head_up.dtype == np.float32
    assert np.array_equal(feet_first, voxels.max(axis=1))
    assert np.array_equal(head_up, feet_first[::-1])
    assert head_up[0, 4] == 9.0 and head_up.flags.c_contiguous


def test_display_size_keeps_the_true_aspect() -> None:
    height, width = display_size(shape=(12, 48), spacing_mm=(4.0, 10.0), px_per_mm=0.75)
    assert width == round(48 * 10.0 * 0.75)
    assert height / width == pytest.approx((12 * 4.0) / (48 * 10.0), rel=0.05)
    assert display_size(shape=(1, 1), spacing_mm=(0.1, 0.1), px_per_mm=0.1) == (1, 1)


@pytest.mark.parametrize("shape", [(0, 3, 3), (3, 3)])
def test_rejects_what_is_not_a_volume(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="Argument 'voxels'"):
        hottest_slice(voxels=np.zeros(shape, dtype=np.float32))


def test_display_size_rejects_non_positive_sizes() -> None:
    with pytest.raises(ValueError, match="'spacing_mm'"):
        display_size(shape=(2, 2), spacing_mm=(0.0, 1.0), px_per_mm=1.0)
