"""The hottest separated spots: found, ordered by peak, separated, bounded by their box, only in the body."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from imaging.hot_regions import hottest_regions

SHAPE = (40, 64, 64)


def _ball(*, centre: tuple[int, int, int], radius: float) -> npt.NDArray[np.bool_]:
    z, y, x = np.indices(SHAPE)
    inside = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2 <= radius**2
    return np.asarray(inside, dtype=np.bool_)


def _torso(*, seed: int = 0) -> npt.NDArray[np.float32]:
    """A warm noisy background (1000) with three hot spheres of 3 voxels' radius at 8, 5 and 3 : 1."""
    rng = np.random.default_rng(seed)
    volume = 1000.0 + rng.normal(0.0, 50.0, size=SHAPE)
    for centre, ratio in (((20, 20, 20), 5.0), ((10, 44, 40), 8.0), ((30, 40, 16), 3.0)):
        volume[_ball(centre=centre, radius=3.0)] = 1000.0 * ratio
    return volume.astype(np.float32)


BODY = np.ones(SHAPE, dtype=np.bool_)


def test_hot_spheres_are_found_hottest_first() -> None:
    regions = hottest_regions(voxels=_torso(), body=BODY, count=3)
    assert [region.peak_voxel for region in regions] == [(10, 44, 40), (20, 20, 20), (30, 40, 16)]
    assert [region.peak for region in regions] == sorted((region.peak for region in regions), reverse=True)
    volume = int(_ball(centre=(20, 20, 20), radius=3.0).sum())  # 123 voxels
    for region in regions:
        assert 0.6 * volume < region.voxels <= 1.5 * volume  # the 3:1 one takes a shell of its warm surround
        where = np.zeros(SHAPE, dtype=np.bool_)
        where[region.box] = region.mask
        assert region.values(_torso()).size == region.voxels
        assert np.all(where[_ball(centre=region.peak_voxel, radius=2.0)])  # the sphere's core ...
        assert not np.any(where & ~_ball(centre=region.peak_voxel, radius=5.0))  # ... and no farther than its edge


def test_five_at_most_and_none_twice() -> None:
    regions = hottest_regions(voxels=_torso(), body=BODY)
    assert len(regions) == 5  # the three spheres, then two background maxima
    peaks = np.array([region.peak_voxel for region in regions])
    distances = np.abs(peaks[:, None, :] - peaks[None, :, :]).max(axis=2)
    assert np.all(distances[~np.eye(5, dtype=bool)] > 7)  # separated by more than the half box


def test_a_second_maximum_within_the_box_is_not_another_spot() -> None:
    volume = np.zeros(SHAPE, dtype=np.float32)
    volume[_ball(centre=(20, 30, 30), radius=2.0)] = 10.0
    volume[_ball(centre=(20, 30, 35), radius=2.0)] = 9.0  # its own maximum, 5 voxels away
    volume[_ball(centre=(20, 30, 50), radius=2.0)] = 8.0  # 20 voxels away: separate
    regions = hottest_regions(voxels=volume, body=BODY)
    assert [region.peak_voxel for region in regions] == [(20, 30, 30), (20, 30, 50)]


def test_a_large_hot_organ_is_cut_at_the_box() -> None:
    volume = np.zeros(SHAPE, dtype=np.float32)
    volume[5:35, 10:54, 10:54] = 100.0
    (region,) = hottest_regions(voxels=volume, body=BODY, count=1, half_box=4)
    assert region.voxels <= 9**3 and all(part.stop - part.start <= 9 for part in region.box)


def test_only_the_body_is_searched_and_an_empty_body_finds_nothing() -> None:
    volume = _torso()
    body = np.zeros(SHAPE, dtype=np.bool_)
    body[:, 30:, 30:] = True  # holds the 8:1 sphere only
    regions = hottest_regions(voxels=volume, body=body, count=1)
    assert [region.peak_voxel for region in regions] == [(10, 44, 40)]
    assert hottest_regions(voxels=volume, body=np.zeros(SHAPE, dtype=np.bool_)) == []
    assert hottest_regions(voxels=np.zeros(SHAPE, dtype=np.float32), body=BODY) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"count": -1}, "count"), ({"fraction": 0.0}, "fraction"), ({"half_box": 0}, "half_box")],
)
def test_bad_arguments_are_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hottest_regions(voxels=np.zeros((4, 4, 4), np.float32), body=np.ones((4, 4, 4), bool), **arguments)
    with pytest.raises(ValueError, match="'body'"):
        hottest_regions(voxels=np.zeros((4, 4, 4), np.float32), body=np.ones((4, 4, 5), bool))
