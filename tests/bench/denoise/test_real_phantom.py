"""The real-phantom analysis end to end: on a synthetic IEC phantom of known activity, and on the real scan."""

from __future__ import annotations

import numpy as np
import pytest

from bench.denoise.real_phantom import analyse_phantom, matched_gaussian, measure_image
from imaging.dicom.reader import read_pet_series
from imaging.metrics.iec_background import background_cov
from imaging.metrics.recovery import sphere_recovery
from imaging.metrics.sphere_fit import hot_sphere_model
from tests.conftest import SHARED_DATA
from tests.imaging.metrics.iec_phantom import SPACING_MM, build_phantom

REAL = SHARED_DATA / "pet-nema-iec-real"


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_the_rcs_of_a_known_phantom_match_those_with_its_true_activity(noise: float) -> None:
    phantom = build_phantom(rotation_deg=75.0, direction=-1, activity=8.0, wall_mm=1.5, noise_sd=noise, seed=5)
    analysis = analyse_phantom(voxels=phantom.image, spacing_mm=SPACING_MM)
    assert np.abs(np.asarray(analysis.fit.centres_mm) - phantom.centres_mm).max() < 0.5
    assert analysis.fit.activity == pytest.approx(8.0, rel=0.02)
    figures = measure_image(voxels=phantom.image, spacing_mm=SPACING_MM, analysis=analysis)
    assert figures.background.cov_pct == pytest.approx(noise * 100, abs=0.6)
    for found, centre in zip(figures.spheres, phantom.centres_mm, strict=True):
        truth = sphere_recovery(
            image=phantom.image,
            spacing_mm=SPACING_MM,
            centre_mm=centre,
            diameter_mm=found.diameter_mm,
            background=1.0,
            true_activity=8.0,
        )
        assert found.rc_max == pytest.approx(truth.rc_max, rel=0.02)
        assert found.rc_a50 == pytest.approx(truth.rc_a50, rel=0.02)


def test_noise_free_recoveries_follow_the_blurred_sphere_model() -> None:
    phantom = build_phantom(activity=8.0, wall_mm=1.5)
    analysis = analyse_phantom(voxels=phantom.image, spacing_mm=SPACING_MM)
    spheres = measure_image(voxels=phantom.image, spacing_mm=SPACING_MM, analysis=analysis).spheres
    fwhm = analysis.fit.fwhm_mm
    for found in spheres:
        peak = hot_sphere_model(
            r_mm=0.0, radius_mm=found.diameter_mm / 2, fwhm_mm=fwhm, activity=1.0, background=1 / 8, wall_mm=1.5
        )
        assert found.rc_max == pytest.approx(float(peak), abs=0.03)  # the max sits within half a voxel of centre
    assert spheres[0].rc_max == pytest.approx(1.0, abs=0.02)
    a50 = [s.rc_a50 for s in spheres]
    assert a50 == sorted(a50, reverse=True) and 0.3 < a50[-1] < a50[0] < 1.0


def test_the_matched_gaussian_reaches_the_target_cov_and_says_when_it_cannot() -> None:
    phantom = build_phantom(noise_sd=0.1, seed=2)
    analysis = analyse_phantom(voxels=phantom.image, spacing_mm=SPACING_MM)

    def cov_of(image: np.ndarray) -> float:
        return background_cov(image=image, spacing_mm=SPACING_MM, centres_mm=analysis.background_centres_mm).cov_pct

    matched = matched_gaussian(voxels=phantom.image, spacing_mm=SPACING_MM, cov_of=cov_of, target_pct=3.0)
    assert matched.bracketed and 3.0 - 0.05 <= matched.cov_pct <= 3.0
    assert matched.sigma_mm == pytest.approx(matched.fwhm_mm / 2.3548, rel=1e-3)
    wider = matched_gaussian(voxels=phantom.image, spacing_mm=SPACING_MM, cov_of=cov_of, target_pct=2.0)
    assert wider.fwhm_mm > matched.fwhm_mm
    unreachable = matched_gaussian(
        voxels=phantom.image, spacing_mm=SPACING_MM, cov_of=cov_of, target_pct=1e-6, widest_mm=16.0
    )
    assert not unreachable.bracketed and unreachable.fwhm_mm == 16.0


def test_the_real_scan_shows_six_spheres_with_sane_recoveries() -> None:
    if not REAL.is_dir():
        pytest.skip(f"real NEMA IEC series not found at {REAL}")
    volume = read_pet_series(source=REAL).volume
    analysis = analyse_phantom(voxels=volume.voxels, spacing_mm=volume.geometry.spacing_mm)
    centres = np.asarray(analysis.fit.centres_mm)
    assert centres.shape == (6, 3)
    radii = np.hypot(*(centres[:, 1:] - np.asarray(analysis.layout.axis_mm[1:])).T)
    assert np.abs(radii - 57.2).max() < 2.0  # on the IEC ring
    assert np.ptp(centres[:, 0]) < 5.0  # in one plane
    figures = measure_image(voxels=volume.voxels, spacing_mm=volume.geometry.spacing_mm, analysis=analysis)
    assert 2.0 < analysis.fit.fwhm_mm < 12.0
    assert 5.0 < analysis.fit.activity / figures.background.mean < 15.0  # a 10 : 1-ish phantom
    assert 5.0 < figures.background.cov_pct < 40.0
    for found in figures.spheres:
        assert 0.3 < found.rc_a50 < 1.3 and found.rc_a50 < found.rc_max < 2.0
    assert figures.spheres[0].rc_a50 == pytest.approx(1.0, abs=0.15)
