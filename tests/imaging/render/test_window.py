"""The shared display window: chosen on the input, robust to a few hot voxels, applied alike to input and output."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.render.window import Window, apply_window, shared_window


def test_a_single_hot_voxel_does_not_set_the_window() -> None:
    rng = np.random.default_rng(0)
    voxels = rng.uniform(0.0, 10.0, size=(10, 40, 40)).astype(np.float32)
    voxels[5, 20, 20] = 1000.0
    window = shared_window(voxels=voxels)
    assert window.low == 0.0
    assert 9.0 < window.high < 10.0  # the hot voxel saturates; the uniform background keeps its grey levels
    assert np.mean(voxels <= window.high) >= 0.999


def test_the_top_follows_the_percentile() -> None:
    voxels = np.random.default_rng(1).exponential(2.0, size=(4, 30, 30)).astype(np.float32)
    lower, upper = (shared_window(voxels=voxels, percentile=p).high for p in (90.0, 99.9))
    assert lower < upper <= float(voxels.max())
    assert shared_window(voxels=voxels, percentile=100.0).high == pytest.approx(float(voxels.max()))


def test_degenerate_volumes_still_get_a_usable_window() -> None:
    mostly_empty = np.zeros((4, 40, 40), dtype=np.float32)
    mostly_empty[0, 0, 0] = 7.0
    assert shared_window(voxels=mostly_empty).high == 7.0  # the percentile is 0: the maximum is used
    assert shared_window(voxels=np.zeros((2, 3, 3), dtype=np.float32)) == Window(low=0.0, high=1.0)
    assert shared_window(voxels=np.full((2, 3, 3), np.nan, dtype=np.float32)) == Window(low=0.0, high=1.0)


def test_inverted_grey_maps_low_to_white_and_high_to_black_with_clipping() -> None:
    window = Window(low=0.0, high=4.0)
    image = np.array([[-1.0, 0.0, 2.0, 4.0, 9.0, np.nan]])
    inverted = apply_window(image=image, window=window)
    plain = apply_window(image=image, window=window, invert=False)
    assert inverted.dtype == np.uint8 and inverted.shape == image.shape
    assert inverted[0, 0] == inverted[0, 1] == inverted[0, 5] == 255 and inverted[0, 3] == inverted[0, 4] == 0
    assert np.array_equal(plain, 255 - inverted)
    assert 126 <= inverted[0, 2] <= 129


def test_one_window_shows_a_lower_output_as_paler() -> None:
    before = np.random.default_rng(2).uniform(0.0, 8.0, size=(3, 16, 16)).astype(np.float32)
    after = before * 0.5
    window = shared_window(voxels=before)
    grey_before, grey_after = (apply_window(image=v, window=window) for v in (before, after))
    assert np.all(grey_after >= grey_before) and np.mean(grey_after) > np.mean(grey_before) + 50


def test_rejects_an_empty_or_reversed_window_and_a_bad_percentile() -> None:
    with pytest.raises(ValueError, match="Arguments 'low' and 'high'"):
        Window(low=2.0, high=2.0)
    with pytest.raises(ValueError, match="Argument 'percentile'"):
        shared_window(voxels=np.ones((1, 2, 2), dtype=np.float32), percentile=0.0)
