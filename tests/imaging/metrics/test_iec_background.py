"""Background ROIs placed in a synthetic IEC phantom, and their pooled voxel CoV."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from imaging.errors import InputError
from imaging.metrics.iec_background import background_cov, background_roi_centres
from imaging.metrics.iec_layout import IecLayout, locate_iec_spheres
from tests.imaging.metrics.iec_phantom import AXIS_MM, SPACING_MM, SyntheticPhantom, build_phantom


@pytest.fixture(scope="module")
def noisy() -> tuple[SyntheticPhantom, IecLayout]:
    phantom = build_phantom(noise_sd=0.1, seed=11)
    return phantom, locate_iec_spheres(image=phantom.image, spacing_mm=SPACING_MM)


def test_the_rois_sit_in_the_warm_background_clear_of_spheres_insert_and_edge(
    noisy: tuple[SyntheticPhantom, IecLayout],
) -> None:
    phantom, layout = noisy
    centres = background_roi_centres(image=phantom.image, spacing_mm=SPACING_MM, layout=layout)
    assert 6 <= len(centres) <= 12
    assert np.allclose(centres[:, 0], centres[0, 0]) and abs(centres[0, 0] - AXIS_MM[0]) <= SPACING_MM[0] / 2
    yx = centres[:, 1:] - np.asarray(AXIS_MM[1:])
    # inside the 145 × 115 mm ellipse, ≥ the ROI radius + 15 mm from its edge (within a pixel: the edge is found
    # on the blurred image) …
    angles = np.linspace(0, 2 * np.pi, 3600)
    edge = np.stack([115 * np.sin(angles), 145 * np.cos(angles)], axis=1)
    assert (((yx[:, 0] / 115) ** 2 + (yx[:, 1] / 145) ** 2) < 1).all()
    assert np.linalg.norm(yx[:, None, :] - edge[None], axis=2).min() >= 18.5 + 15 - SPACING_MM[1]
    # … clear of the lung insert and of every sphere by 10 mm (within the 1 mm the centres were found to), and
    # not overlapping one another
    assert (np.hypot(yx[:, 0], yx[:, 1]) >= 18.5 + 25 + 10 - 1.0).all()
    for centre, diameter in zip(phantom.centres_mm, (37, 28, 22, 17, 13, 10), strict=True):
        assert (np.hypot(*(centres[:, 1:] - centre[1:]).T) >= 18.5 + diameter / 2 + 10 - 1.0).all()
    for a, b in itertools.combinations(centres[:, 1:], 2):
        assert np.hypot(*(a - b)) >= 37.0 - 1e-6


def test_the_pooled_cov_is_the_white_noise_level(noisy: tuple[SyntheticPhantom, IecLayout]) -> None:
    phantom, layout = noisy
    centres = background_roi_centres(image=phantom.image, spacing_mm=SPACING_MM, layout=layout)
    stats = background_cov(image=phantom.image, spacing_mm=SPACING_MM, centres_mm=centres)
    assert stats.n_rois == 5 * len(centres)
    assert stats.mean == pytest.approx(1.0, abs=0.01)
    assert stats.cov_pct == pytest.approx(10.0, abs=0.5)
    clean = background_cov(image=build_phantom().image, spacing_mm=SPACING_MM, centres_mm=centres)
    assert clean.cov_pct == pytest.approx(0.0, abs=1e-3)


def test_hand_set_roi_values_give_the_hand_computed_pooled_figures() -> None:
    image = np.ones((9, 20, 20))
    image[:, :, 10:] = 3.0  # the right ROI reads 3, the left 1
    centres = np.array([[20.0, 20.0, 8.0], [20.0, 20.0, 30.0]])  # (z, y, x) mm on 2 mm pixels, 5 mm slices
    stats = background_cov(image=image, spacing_mm=(5.0, 2.0, 2.0), centres_mm=centres, diameter_mm=8.0)
    # two equal ROIs (13 pixels each, 5 slices): mean 2, population SD 1
    assert (stats.mean, stats.sd, stats.cov_pct, stats.n_voxels, stats.n_rois) == pytest.approx((2, 1, 50, 130, 10))


def test_a_background_of_zero_is_refused() -> None:
    with pytest.raises(InputError, match="positive background"):
        background_cov(image=np.zeros((9, 20, 20)), spacing_mm=(5.0, 2.0, 2.0), centres_mm=[[20.0, 20.0, 20.0]])
