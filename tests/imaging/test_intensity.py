"""The shared intensity scale: homogeneous, noise-robust, safe on empty volumes."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.intensity import activity_scale


def _body(*, value: float) -> np.ndarray:
    volume = np.zeros((12, 24, 24), dtype=np.float32)
    volume[2:10, 4:20, 4:20] = value
    return volume


def test_scale_is_the_active_region_mean_of_a_uniform_body() -> None:
    volume = _body(value=5000.0)
    # the active region is the block plus the part of its smoothed shell that exceeds the global mean
    assert 0.4 * 5000.0 < activity_scale(voxels=volume) <= 5000.0


def test_scale_is_homogeneous_of_degree_one() -> None:
    volume = np.random.default_rng(0).gamma(2.0, 100.0, size=(6, 16, 16)).astype(np.float32)
    assert activity_scale(voxels=3.5 * volume) == pytest.approx(3.5 * activity_scale(voxels=volume), rel=1e-6)


def test_scale_barely_moves_with_poisson_noise_at_low_counts() -> None:
    rng = np.random.default_rng(1)
    clean = _body(value=1.0)
    clean[4:6, 10:14, 10:14] = 8.0  # a hot lesion
    scales = [activity_scale(voxels=rng.poisson(clean * counts).astype(np.float32) / counts) for counts in (2, 20, 200)]
    assert max(scales) / min(scales) < 1.03


@pytest.mark.parametrize("volume", [np.zeros((3, 4, 4)), -np.ones((3, 4, 4))])
def test_scale_is_one_without_positive_activity(volume: np.ndarray) -> None:
    assert activity_scale(voxels=volume) == 1.0


def test_scale_refuses_a_non_volume() -> None:
    with pytest.raises(ValueError, match="Argument 'voxels'"):
        activity_scale(voxels=np.ones((4, 4)))
