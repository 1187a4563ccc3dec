"""Patch sampling: sizes, counts per plane, the 1/8-of-the-mean threshold, padding, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.intensity import activity_scale
from models.iqa.patches import MEAN_FRACTION, Plane, sample_patches


def _volume(shape: tuple[int, int, int] = (90, 100, 110)) -> np.ndarray:
    rng = np.random.default_rng(0)
    volume = np.zeros(shape, dtype=np.float32)
    inner = tuple(slice(n // 8, n - n // 8) for n in shape)
    volume[inner] = rng.gamma(4.0, 1000.0, size=volume[inner].shape)
    return volume


def test_counts_shapes_and_planes() -> None:
    sample = sample_patches(volume=_volume(), seed=1, per_plane=20)
    assert sample.patches.shape == (60, 80, 80) and sample.patches.dtype == np.float32
    assert [int((sample.planes == plane).sum()) for plane in Plane] == [20, 20, 20]
    assert sample.origins.shape == (60, 3) and sample.seed == 1


def test_every_patch_obeys_the_mean_threshold_and_some_candidates_were_rejected() -> None:
    volume = _volume()
    sample = sample_patches(volume=volume, seed=2, per_plane=30)
    floor = volume.mean() / activity_scale(voxels=volume) * MEAN_FRACTION
    assert (sample.patches.mean(axis=(1, 2)) >= floor - 1e-6).all()
    # a uniform draw over the whole volume would often land in the empty border: the threshold did work
    rng = np.random.default_rng(0)
    means = [
        volume[z, r : r + 80, c : c + 80].mean()
        for z, r, c in zip(
            rng.integers(90, size=200), rng.integers(21, size=200), rng.integers(31, size=200), strict=True
        )
    ]
    assert min(means) / activity_scale(voxels=volume) < floor


def test_patches_are_normalised_by_the_activity_scale() -> None:
    volume = _volume()
    a = sample_patches(volume=volume, seed=3, per_plane=5)
    b = sample_patches(volume=volume * 7.5, seed=3, per_plane=5)
    np.testing.assert_allclose(a.patches, b.patches, rtol=1e-5)
    assert b.scale == pytest.approx(7.5 * a.scale, rel=1e-6)


def test_same_seed_same_patches_and_another_seed_differs() -> None:
    volume = _volume()
    first, again, other = (sample_patches(volume=volume, seed=s, per_plane=5) for s in (4, 4, 5))
    np.testing.assert_array_equal(first.origins, again.origins)
    assert not np.array_equal(first.origins, other.origins)


def test_short_axes_are_zero_padded_to_the_patch_size() -> None:
    volume = _volume(shape=(16, 100, 100))
    sample = sample_patches(volume=volume, seed=0, per_plane=10)
    coronal = sample.patches[sample.planes == Plane.CORONAL]
    assert coronal.shape == (10, 80, 80)
    assert (coronal[:, :20] == 0).all() or (coronal[:, -20:] == 0).all()


@pytest.mark.parametrize("volume", [np.zeros((90, 90, 90), np.float32), np.zeros((90, 90), np.float32)])
def test_unusable_volumes_are_refused(volume: np.ndarray) -> None:
    with pytest.raises(InputError) as caught:
        sample_patches(volume=volume, seed=0, per_plane=2, max_tries_per_patch=2)
    assert caught.value.check == "iqa_patches"


def test_a_known_scale_is_used_as_given() -> None:
    volume = _volume()
    computed = sample_patches(volume=volume, seed=6, per_plane=5)
    given = sample_patches(volume=volume, seed=6, per_plane=5, scale=computed.scale)
    np.testing.assert_array_equal(given.patches, computed.patches)
    doubled = sample_patches(volume=volume, seed=6, per_plane=5, scale=2 * computed.scale)
    assert doubled.scale == 2 * computed.scale
    np.testing.assert_allclose(doubled.patches, computed.patches / 2, rtol=1e-6)
