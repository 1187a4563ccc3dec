"""Finding the IEC spheres in a synthetic phantom turned and mirrored, with and without noise."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics.iec_layout import (
    IEC_SPHERE_DIAMETERS_MM,
    axis_cylinder_mask,
    background_level,
    locate_iec_spheres,
)
from tests.imaging.metrics.iec_phantom import AXIS_MM, SPACING_MM, build_phantom


@pytest.mark.parametrize(("rotation", "direction", "noise"), [(30.0, 1, 0.0), (200.0, -1, 0.15), (297.0, 1, 0.15)])
def test_the_six_spheres_are_found_in_order_whatever_the_turn_and_sense(
    rotation: float, direction: int, noise: float
) -> None:
    phantom = build_phantom(rotation_deg=rotation, direction=direction, noise_sd=noise, seed=7)
    layout = locate_iec_spheres(image=phantom.image, spacing_mm=SPACING_MM)
    assert layout.diameters_mm == IEC_SPHERE_DIAMETERS_MM
    assert layout.direction == direction
    assert abs((layout.rotation_deg - rotation + 180.0) % 360.0 - 180.0) <= 2.0
    assert np.abs(np.asarray(layout.centres_mm) - phantom.centres_mm).max() < 1.0
    assert np.abs(np.asarray(layout.axis_mm) - np.asarray(AXIS_MM)).max() < 1.0
    assert layout.background == pytest.approx(1.0, rel=0.05)


def test_the_background_level_is_the_histogram_mode_of_the_warm_voxels() -> None:
    image = np.zeros((4, 20, 20))
    image[:, 2:18, 2:18] = 3.0
    image[:, 8:10, 8:10] = 30.0
    assert background_level(smoothed=image) == pytest.approx(3.0, abs=0.3)


def test_the_axis_cylinder_is_the_same_disc_on_every_slice() -> None:
    mask = axis_cylinder_mask(shape=(3, 11, 11), spacing_mm=(5.0, 1.0, 1.0), axis_mm=(99.0, 5.0, 5.0), radius_mm=2.0)
    assert mask.shape == (3, 11, 11)
    assert (mask == mask[0]).all()
    assert mask[0].sum() == 13  # the pixels within 2 px of the centre
    assert mask[1, 5, 7] and not mask[1, 5, 8]


def test_an_image_too_small_for_the_ring_is_refused() -> None:
    with pytest.raises(InputError, match="too small"):
        locate_iec_spheres(image=np.ones((4, 16, 16)) + np.eye(16), spacing_mm=(2.0, 2.0, 2.0))
