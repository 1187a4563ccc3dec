"""RC_max and RC_a50 on hand-made VOIs, and the EARL 2 bands."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics.iec_layout import IEC_SPHERE_DIAMETERS_MM
from imaging.metrics.recovery import EARL2_BANDS, EarlBand, sphere_recovery

SPACING = (2.0, 2.0, 2.0)


def _cube_image() -> np.ndarray:
    """Background 1; a 5³ cube at 10 with one voxel at 12 (centre voxel 10, 10, 10 → 20 mm); a lone voxel at 8
    inside the search ball but not touching the cube."""
    image = np.ones((21, 21, 21))
    image[8:13, 8:13, 8:13] = 10.0
    image[10, 10, 11] = 12.0
    image[10, 10, 15] = 8.0
    return image


def test_max_and_the_background_adapted_a50_contour_connected_to_the_max() -> None:
    found = sphere_recovery(
        image=_cube_image(),
        spacing_mm=SPACING,
        centre_mm=(20.0, 20.0, 20.0),
        diameter_mm=10.0,
        background=1.0,
        true_activity=10.0,
        search_margin_mm=4.0,
    )
    assert found.max_value == 12.0 and found.rc_max == pytest.approx(1.2)
    assert found.a50_threshold == pytest.approx(1.0 + 0.5 * 11.0)
    assert found.a50_voxels == 125  # the cube; the lone 8 is above 6.5 but not connected
    assert found.a50_mean == pytest.approx((124 * 10.0 + 12.0) / 125)
    assert found.rc_a50 == pytest.approx(found.a50_mean / 10.0)


def test_the_search_ball_limits_where_the_max_is_taken() -> None:
    image = _cube_image()
    image[0, 0, 0] = 100.0  # far outside the ball
    found = sphere_recovery(
        image=image,
        spacing_mm=SPACING,
        centre_mm=(20.0, 20.0, 20.0),
        diameter_mm=10.0,
        background=1.0,
        true_activity=10.0,
    )
    assert found.max_value == 12.0


def test_a_higher_background_raises_the_a50_threshold() -> None:
    image = _cube_image()
    image[9:12, 9:12, 9:12] = 11.0  # a hotter core
    image[10, 10, 11] = 12.0
    low = sphere_recovery(
        image=image, spacing_mm=SPACING, centre_mm=(20, 20, 20), diameter_mm=10.0, background=0.0, true_activity=1.0
    )
    high = sphere_recovery(
        image=image, spacing_mm=SPACING, centre_mm=(20, 20, 20), diameter_mm=10.0, background=9.0, true_activity=1.0
    )
    assert low.a50_threshold == 6.0 and high.a50_threshold == 10.5
    assert (low.a50_voxels, high.a50_voxels) == (125, 27)
    assert high.rc_a50 > low.rc_a50


def test_a_sphere_outside_the_image_is_refused() -> None:
    with pytest.raises(InputError, match="outside"):
        sphere_recovery(
            image=np.ones((5, 5, 5)),
            spacing_mm=SPACING,
            centre_mm=(500.0, 0.0, 0.0),
            diameter_mm=10.0,
            background=1.0,
            true_activity=1.0,
        )


def test_the_earl2_bands_cover_the_iec_spheres_and_include_their_ends() -> None:
    assert sorted(EARL2_BANDS) == sorted(IEC_SPHERE_DIAMETERS_MM)
    assert EARL2_BANDS[37.0].rc_a50 == EarlBand(low=0.85, high=1.00)
    assert EARL2_BANDS[10.0].rc_max == EarlBand(low=0.52, high=0.88)
    band = EARL2_BANDS[22.0].rc_max
    assert band.contains(1.01) and band.contains(1.32) and not band.contains(1.33) and not band.contains(1.0)
    assert all(b.rc_a50.low < b.rc_a50.high < b.rc_max.high for b in EARL2_BANDS.values())
