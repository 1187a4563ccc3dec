"""The blurred-sphere profile against direct integration, and the joint fit on a phantom drawn without it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from imaging.errors import InputError
from imaging.metrics.iec_layout import IEC_SPHERE_DIAMETERS_MM, axis_cylinder_mask
from imaging.metrics.sphere_fit import SphereFit, blurred_sphere_profile, fit_sphere_activity, hot_sphere_model
from tests.imaging.metrics.iec_phantom import AXIS_MM, SPACING_MM, build_phantom


def _integrated(r: float, radius: float, sigma: float) -> float:
    """The ball's blurred value at distance ``r``, by integrating the Gaussian over spherical shells of radius ρ:
    a shell's mean 3D Gaussian density at distance r from its centre, times its area 4πρ²."""

    def shell(rho: float) -> float:
        if r == 0:
            density = math.exp(-(rho**2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2) ** 3
            return 4 * math.pi * rho**2 * density
        lateral = math.exp(-((r - rho) ** 2) / (2 * sigma**2)) - math.exp(-((r + rho) ** 2) / (2 * sigma**2))
        return rho / (r * math.sqrt(2 * math.pi) * sigma) * lateral

    return float(quad(shell, 0.0, radius, limit=200)[0])


@pytest.mark.parametrize("radius", [5.0, 18.5])
@pytest.mark.parametrize("fwhm", [3.0, 8.0])
def test_the_closed_form_profile_matches_direct_integration(radius: float, fwhm: float) -> None:
    sigma = fwhm / (2 * math.sqrt(2 * math.log(2)))
    r = np.array([0.0, 1e-9, 1.0, radius - 2.0, radius, radius + 3.0, radius + 15.0])
    expected = [_integrated(float(v), radius, sigma) for v in r]
    assert blurred_sphere_profile(r_mm=r, radius_mm=radius, fwhm_mm=fwhm) == pytest.approx(expected, abs=1e-7)


def test_the_profile_tends_to_one_inside_a_large_sphere_and_zero_far_away() -> None:
    profile = blurred_sphere_profile(r_mm=[0.0, 500.0], radius_mm=100.0, fwhm_mm=6.0)
    assert profile == pytest.approx([1.0, 0.0], abs=1e-12)
    half = blurred_sphere_profile(r_mm=100.0, radius_mm=100.0, fwhm_mm=6.0)
    assert float(half) == pytest.approx(0.5, abs=0.02)  # a flat edge blurred: half way


def test_the_hot_sphere_model_is_the_activity_inside_and_the_background_outside() -> None:
    values = hot_sphere_model(r_mm=[0.0, 80.0], radius_mm=30.0, fwhm_mm=4.0, activity=8.0, background=2.0, wall_mm=1.0)
    assert values == pytest.approx([8.0, 2.0], abs=1e-9)
    walled = hot_sphere_model(r_mm=30.5, radius_mm=30.0, fwhm_mm=0.5, activity=8.0, background=2.0, wall_mm=1.0)
    assert float(walled) < 0.5  # inside the cold wall, at a sharp resolution


def _fit(image: np.ndarray, centres: np.ndarray, wall_mm: float) -> SphereFit:
    insert = axis_cylinder_mask(shape=image.shape, spacing_mm=SPACING_MM, axis_mm=AXIS_MM, radius_mm=33.0)
    return fit_sphere_activity(
        image=image,
        spacing_mm=SPACING_MM,
        centres_mm=centres,
        diameters_mm=IEC_SPHERE_DIAMETERS_MM,
        wall_mm=wall_mm,
        exclude=insert,
    )


def test_the_joint_fit_recovers_activity_background_psf_and_centres() -> None:
    phantom = build_phantom(activity=4.0, background=1.0, wall_mm=1.0)
    shifted = phantom.centres_mm + np.array([1.5, -2.0, 2.0])  # a start 3.2 mm off
    fit = _fit(phantom.image, shifted, wall_mm=1.0)
    assert fit.activity == pytest.approx(4.0, rel=0.005)
    assert fit.background == pytest.approx(1.0, rel=0.005)
    assert 5.8 <= fit.fwhm_mm <= 6.6  # the 6 mm PSF and the drawing's box averages
    assert np.abs(np.asarray(fit.centres_mm) - phantom.centres_mm).max() < 0.3
    assert fit.n_voxels > 1000


def test_the_joint_fit_holds_within_two_percent_in_ten_percent_noise() -> None:
    phantom = build_phantom(activity=4.0, background=1.0, wall_mm=1.0, noise_sd=0.1, seed=3)
    fit = _fit(phantom.image, phantom.centres_mm, wall_mm=1.0)
    assert fit.activity == pytest.approx(4.0, rel=0.02)
    assert fit.rms_residual == pytest.approx(0.1, rel=0.15)  # the residual is the noise


def test_a_thicker_model_wall_than_the_truth_raises_the_activity() -> None:
    phantom = build_phantom(activity=4.0, background=1.0, wall_mm=0.0)
    thin, thick = _fit(phantom.image, phantom.centres_mm, 0.0), _fit(phantom.image, phantom.centres_mm, 1.5)
    assert thin.activity == pytest.approx(4.0, rel=0.005)
    assert thick.activity > thin.activity * 1.02


def test_centres_that_do_not_match_the_diameters_are_refused() -> None:
    with pytest.raises(InputError, match="centres_mm"):
        fit_sphere_activity(
            image=np.ones((10, 10, 10)), spacing_mm=(1, 1, 1), centres_mm=[[5.0, 5.0, 5.0]], diameters_mm=[4.0, 3.0]
        )
