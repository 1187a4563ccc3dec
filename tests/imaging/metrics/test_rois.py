"""Circular ROIs: pixel centres inside the circle."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics import circular_roi_mask
from imaging.metrics.rois import ball_voxels, slice_index


def test_circle_of_radius_one_pixel_is_a_plus_sign() -> None:
    # centre (4, 4) mm = pixel (2, 2) at 2 mm; radius 2 mm: the 4 neighbours are at 2 mm (in), diagonals at 2.83 (out)
    mask = circular_roi_mask(shape_yx=(5, 5), centre_mm_yx=(4.0, 4.0), diameter_mm=4.0, spacing_mm_yx=(2.0, 2.0))
    expected = np.zeros((5, 5), dtype=bool)
    expected[2, 1:4] = True
    expected[1:4, 2] = True
    np.testing.assert_array_equal(mask, expected)


def test_circle_respects_anisotropic_pixels() -> None:
    # Δy = 1 mm, Δx = 3 mm, radius 3 mm around pixel (3, 1): rows 0..6 in column 1, plus (3, 0) and (3, 2)
    mask = circular_roi_mask(shape_yx=(7, 3), centre_mm_yx=(3.0, 3.0), diameter_mm=6.0, spacing_mm_yx=(1.0, 3.0))
    assert mask[:, 1].all()
    assert mask[3, 0] and mask[3, 2]
    assert int(mask.sum()) == 9


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"centre_mm_yx": (100.0, 100.0), "diameter_mm": 2.0, "spacing_mm_yx": (1.0, 1.0)}, "'centre_mm_yx'"),
        ({"centre_mm_yx": (2.0, 2.0), "diameter_mm": 0.0, "spacing_mm_yx": (1.0, 1.0)}, "'diameter_mm'"),
        ({"centre_mm_yx": (2.0, 2.0), "diameter_mm": 2.0, "spacing_mm_yx": (1.0, -1.0)}, "'spacing_mm_yx'"),
        ({"centre_mm_yx": (2.0,), "diameter_mm": 2.0, "spacing_mm_yx": (1.0, 1.0)}, "'centre_mm_yx'"),
    ],
)
def test_bad_roi_arguments_are_named(kwargs: dict[str, object], argument: str) -> None:
    with pytest.raises(InputError, match=argument):
        circular_roi_mask(shape_yx=(5, 5), **kwargs)  # type: ignore[arg-type]


def test_empty_shape_is_refused() -> None:
    with pytest.raises(InputError, match="'shape_yx'"):
        circular_roi_mask(shape_yx=(0, 5), centre_mm_yx=(0.0, 0.0), diameter_mm=2.0, spacing_mm_yx=(1.0, 1.0))


def test_slice_index_rounds_to_the_nearest_slice_and_rejects_outside() -> None:
    assert slice_index(z_mm=7.4, spacing_mm_z=3.0, n_slices=4, name="z") == 2
    with pytest.raises(InputError, match="'where'"):
        slice_index(z_mm=-2.0, spacing_mm_z=3.0, n_slices=4, name="where")


def test_a_ball_holds_the_voxels_whose_centre_is_within_its_radius_clipped_to_the_volume() -> None:
    indices, positions = ball_voxels(
        shape=(5, 6, 7), spacing_mm=(2.0, 1.0, 1.0), centre_mm=(0.0, 0.0, 0.0), radius_mm=2.0
    )
    expected = {(z, y, x) for z in range(5) for y in range(6) for x in range(7) if (2 * z) ** 2 + y**2 + x**2 <= 4}
    assert {tuple(int(v) for v in row) for row in indices} == expected
    assert np.array_equal(positions, indices * np.array([2.0, 1.0, 1.0]))
    nothing, _ = ball_voxels(shape=(5, 6, 7), spacing_mm=(1, 1, 1), centre_mm=(100.0, 0, 0), radius_mm=2.0)
    assert nothing.shape == (0, 3)
