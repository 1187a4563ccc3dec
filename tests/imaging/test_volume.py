"""PetVolume and Geometry: invariants and derived geometry."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units


def _geometry(n: int, *, row: tuple[float, float, float] = (1.0, 0.0, 0.0)) -> Geometry:
    return Geometry(
        origin_mm=(-10.0, -20.0, 5.0),
        row_direction=row,
        column_direction=(0.0, 1.0, 0.0),
        spacing_mm=(3.0, 2.0, 2.0),
        slice_positions_mm=tuple(5.0 + 3.0 * k for k in range(n)),
    )


def _uids(n: int) -> SeriesUids:
    return SeriesUids(
        study_uid="1.2.1",
        series_uid="1.2.2",
        frame_of_reference_uid="1.2.3",
        sop_class_uid="1.2.840.10008.5.1.4.1.1.128",
        sop_instance_uids=tuple(f"1.2.4.{k}" for k in range(n)),
    )


def _volume(voxels: np.ndarray, n: int) -> PetVolume:
    return PetVolume(
        voxels=voxels, geometry=_geometry(n), units=Units.BQML, suv=SuvFactor(factor=None, reason="x"), uids=_uids(n)
    )


def test_slice_origin_moves_along_the_normal() -> None:
    geometry = _geometry(4)
    assert geometry.slice_direction == (0.0, 0.0, 1.0)
    assert geometry.slice_origin_mm(2) == (-10.0, -20.0, 11.0)
    assert geometry.image_orientation == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def test_oblique_normal_is_the_cross_product() -> None:
    c = float(np.cos(np.pi / 6))
    s = float(np.sin(np.pi / 6))
    geometry = _geometry(2, row=(c, 0.0, -s))
    normal = np.asarray(geometry.slice_direction)
    np.testing.assert_allclose(normal, np.cross((c, 0.0, -s), (0.0, 1.0, 0.0)))
    np.testing.assert_allclose(np.linalg.norm(normal), 1.0)


def test_volume_shape_and_validation() -> None:
    volume = _volume(np.zeros((4, 3, 2), np.float32), 4)
    assert volume.shape == (4, 3, 2)
    with pytest.raises(ValueError, match="'voxels' should be float32"):
        _volume(np.zeros((4, 3, 2), np.float64), 4)
    with pytest.raises(ValueError, match="3D"):
        _volume(np.zeros((3, 2), np.float32), 3)
    with pytest.raises(ValueError, match="one slice position per slice"):
        _volume(np.zeros((5, 3, 2), np.float32), 4)
