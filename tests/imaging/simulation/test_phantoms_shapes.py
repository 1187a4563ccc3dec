"""Shapes, partial-volume rasterisation and the painter's canvas."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.simulation.phantoms.canvas import new_canvas
from imaging.simulation.phantoms.shapes import (
    Cylinder,
    DSection,
    Ellipsoid,
    Intersection,
    rasterise,
    rotation_zyx,
)

GRID = (40, 48, 48)
SPACING = (2.0, 2.0, 2.0)
VOXEL_ML = 8.0


def _volume(
    shape: object, *, grid: tuple[int, int, int] = GRID, spacing: tuple[float, float, float] = SPACING
) -> float:
    raster = rasterise(shape=shape, grid_shape=grid, spacing_mm=spacing)  # type: ignore[arg-type]
    assert raster.fraction.dtype == np.float32
    assert raster.fraction.min() >= 0.0 and raster.fraction.max() <= 1.0
    return float(raster.fraction.sum()) * float(np.prod(spacing))


def test_sphere_volume_is_partial_volume_exact() -> None:
    sphere = Ellipsoid(centre_mm=(40.3, 47.1, 46.6), semi_axes_mm=(9.0, 9.0, 9.0))
    assert _volume(sphere) == pytest.approx(4 / 3 * np.pi * 9.0**3, rel=0.01)


def test_rotated_ellipsoid_keeps_its_volume_and_turns() -> None:
    semi = (6.0, 10.0, 25.0)
    plain = Ellipsoid(centre_mm=(40.0, 48.0, 48.0), semi_axes_mm=semi)
    turned = Ellipsoid(
        centre_mm=(40.0, 48.0, 48.0), semi_axes_mm=semi, rotation=rotation_zyx(angles_rad=(np.pi / 2, 0, 0))
    )
    expected = 4 / 3 * np.pi * np.prod(semi)
    assert _volume(plain) == pytest.approx(expected, rel=0.01)
    assert _volume(turned) == pytest.approx(expected, rel=0.01)
    a = rasterise(shape=plain, grid_shape=GRID, spacing_mm=SPACING)
    b = rasterise(shape=turned, grid_shape=GRID, spacing_mm=SPACING)
    span = [sl.stop - sl.start for sl in a.slices], [sl.stop - sl.start for sl in b.slices]
    assert span[0][2] > span[0][1] and span[1][1] > span[1][2]  # the long axis moved from x to y


def test_tube_thinner_than_a_voxel_is_not_lost() -> None:
    for centre in ((40.0, 47.0, 45.0), (40.0, 46.0, 46.0), (40.0, 45.3, 44.1)):
        tube = Cylinder(centre_mm=centre, semi_axes_mm=(30.0, 1.2, 1.2))
        volume = _volume(tube, spacing=(4.0, 4.0, 4.0), grid=(20, 24, 24))
        assert volume == pytest.approx(np.pi * 1.2**2 * 60.0, rel=0.06)


def test_d_section_area_and_intersection() -> None:
    d = DSection(centre_mm=(100.0, 160.0, 160.0), half_length_mm=10.0)
    area = np.pi * 147.0**2 / 2 + 6.0 * 147.0 + np.pi * 77.0**2 / 2 + 146.0 * 77.0
    assert _volume(d, grid=(50, 82, 82), spacing=(4.0, 4.0, 4.0)) == pytest.approx(area * 20.0, rel=0.01)
    half = Intersection(parts=(d, Cylinder(centre_mm=(100.0, 160.0, 160.0), semi_axes_mm=(5.0, 50.0, 50.0))))
    assert _volume(half, grid=(50, 82, 82), spacing=(4.0, 4.0, 4.0)) == pytest.approx(np.pi * 2500 * 10, rel=0.02)


def test_shape_outside_the_grid_rasterises_to_nothing() -> None:
    far = Ellipsoid(centre_mm=(-500.0, 0.0, 0.0), semi_axes_mm=(5.0, 5.0, 5.0))
    assert rasterise(shape=far, grid_shape=GRID, spacing_mm=SPACING).fraction.size == 0
    with pytest.raises(ValueError, match="supersample"):
        rasterise(shape=far, grid_shape=GRID, spacing_mm=SPACING, supersample=0)


def test_canvas_activity_is_the_sum_of_visible_fractions_times_levels() -> None:
    canvas = new_canvas(grid_shape=GRID, spacing_mm=SPACING)
    canvas.paint(
        label="a",
        shape=Ellipsoid(centre_mm=(40, 48, 48), semi_axes_mm=(30, 40, 40)),
        activity_bqml=100.0,
        mu_per_mm=0.0096,
    )
    canvas.paint(
        label="b",
        shape=Ellipsoid(centre_mm=(40, 40, 50), semi_axes_mm=(12, 9, 15)),
        activity_bqml=700.0,
        mu_per_mm=0.0025,
    )
    expected = 100.0 * canvas.visible["a"] + 700.0 * canvas.visible["b"]
    np.testing.assert_allclose(canvas.activity, expected, rtol=1e-5, atol=1e-3)
    assert float((canvas.visible["a"] + canvas.visible["b"]).max()) <= 1.0 + 1e-6
    assert canvas.pure("b").sum() > 0 and not (canvas.pure("a") & canvas.pure("b")).any()


def test_canvas_rejects_a_bad_grid() -> None:
    with pytest.raises(ValueError, match="'shape'"):
        new_canvas(grid_shape=(0, 4, 4), spacing_mm=SPACING)
    with pytest.raises(ValueError, match="'spacing_mm'"):
        new_canvas(grid_shape=(4, 4, 4), spacing_mm=(1.0, 0.0, 1.0))
