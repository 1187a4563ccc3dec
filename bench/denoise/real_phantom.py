"""The sphere analysis of a real NEMA IEC body phantom scan, for :mod:`bench.denoise.nema_real`.

:func:`analyse_phantom` runs once on the unprocessed image: it finds the spheres
(:func:`imaging.metrics.iec_layout.locate_iec_spheres`), fits their shared true activity, the PSF and the centres
(:func:`imaging.metrics.sphere_fit.fit_sphere_activity`, the voxels within 8 mm of the lung insert left out) and
places the background ROIs (:func:`imaging.metrics.iec_background.background_roi_centres`). Every image of the
phantom — input, petiq's output, a Gaussian — is then measured with those same centres, ROIs and true activity
(:func:`measure_image`): the true activity is a property of the phantom, not of the processing.

:func:`matched_gaussian` finds the Gaussian post-filter whose output has a given background CoV, by bisection
over its FWHM (mm).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.denoise.baselines import gaussian_baseline
from imaging.metrics.iec_background import BackgroundStats, background_cov, background_roi_centres
from imaging.metrics.iec_layout import IEC_LUNG_INSERT_DIAMETER_MM, IecLayout, axis_cylinder_mask, locate_iec_spheres
from imaging.metrics.recovery import SphereRecovery, sphere_recovery
from imaging.metrics.sphere_fit import FWHM_PER_SIGMA, SphereFit, fit_sphere_activity

__all__ = [
    "INSERT_MARGIN_MM",
    "ImageFigures",
    "MatchedGaussian",
    "PhantomAnalysis",
    "analyse_phantom",
    "matched_gaussian",
    "measure_image",
]

FloatArray = npt.NDArray[np.float32]
Spacing = tuple[float, float, float]

INSERT_MARGIN_MM = 8.0
"""The sphere fit leaves out the voxels within the lung insert's radius + this margin of the axis, mm."""


@dataclass(frozen=True, kw_only=True)
class PhantomAnalysis:
    """What the unprocessed image tells about the phantom: the spheres, their true activity, the background ROIs.

    Attributes:
        layout: the spheres as found.
        fit: the joint sphere fit; ``fit.activity`` is the true activity every RC divides by, ``fit.centres_mm``
            the sphere centres every image is measured at.
        background_centres_mm: ``(K, 3)`` background ROI centres on the sphere plane, ``(z, y, x)`` array mm.
    """

    layout: IecLayout
    fit: SphereFit
    background_centres_mm: npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class ImageFigures:
    """One image's figures: its background ROIs' pooled voxel statistics and each sphere's recovery."""

    background: BackgroundStats
    spheres: tuple[SphereRecovery, ...]


@dataclass(frozen=True, kw_only=True)
class MatchedGaussian:
    """The Gaussian at matched background CoV.

    Attributes:
        fwhm_mm: its FWHM, mm (``σ = FWHM / 2.3548``).
        sigma_mm: its standard deviation, mm.
        cov_pct: its output's background CoV, percent.
        image: its output, ``(z, y, x) float32``, the input's unit.
        bracketed: False when even the widest FWHM tried leaves the CoV above the target.
    """

    fwhm_mm: float
    sigma_mm: float
    cov_pct: float
    image: FloatArray
    bracketed: bool


def analyse_phantom(*, voxels: npt.NDArray[np.floating], spacing_mm: Spacing) -> PhantomAnalysis:
    """Find the spheres, fit their true activity and place the background ROIs on ``voxels`` ``(z, y, x)``
    (the unprocessed image, e.g. Bq/ml)."""
    layout = locate_iec_spheres(image=voxels, spacing_mm=spacing_mm)
    insert = axis_cylinder_mask(
        shape=(voxels.shape[0], voxels.shape[1], voxels.shape[2]),
        spacing_mm=spacing_mm,
        axis_mm=layout.axis_mm,
        radius_mm=IEC_LUNG_INSERT_DIAMETER_MM / 2.0 + INSERT_MARGIN_MM,
    )
    fit = fit_sphere_activity(
        image=voxels,
        spacing_mm=spacing_mm,
        centres_mm=layout.centres_mm,
        diameters_mm=layout.diameters_mm,
        exclude=insert,
    )
    centres = background_roi_centres(image=voxels, spacing_mm=spacing_mm, layout=layout)
    return PhantomAnalysis(layout=layout, fit=fit, background_centres_mm=centres)


def measure_image(*, voxels: npt.NDArray[np.floating], spacing_mm: Spacing, analysis: PhantomAnalysis) -> ImageFigures:
    """Background CoV and RC_max / RC_a50 of each sphere in ``voxels`` ``(z, y, x)``, at ``analysis``'s centres,
    ROIs and true activity; the A50 contour adapted to this image's own background mean."""
    background = background_cov(image=voxels, spacing_mm=spacing_mm, centres_mm=analysis.background_centres_mm)
    spheres = tuple(
        sphere_recovery(
            image=voxels,
            spacing_mm=spacing_mm,
            centre_mm=centre,
            diameter_mm=diameter,
            background=background.mean,
            true_activity=analysis.fit.activity,
        )
        for centre, diameter in zip(analysis.fit.centres_mm, analysis.layout.diameters_mm, strict=True)
    )
    return ImageFigures(background=background, spheres=spheres)


def matched_gaussian(
    *,
    voxels: npt.NDArray[np.floating],
    spacing_mm: Spacing,
    cov_of: Callable[[FloatArray], float],
    target_pct: float,
    tolerance_mm: float = 0.01,
    widest_mm: float = 64.0,
) -> MatchedGaussian:
    """The Gaussian FWHM whose output has ``cov_of(output) = target_pct``, by bisection (CoV falls with FWHM).

    Args:
        voxels: ``(z, y, x)`` the image to filter, e.g. Bq/ml.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        cov_of: the background CoV (percent) of an image.
        target_pct: the CoV to match, percent.
        tolerance_mm: stop when the FWHM bracket is narrower, mm.
        widest_mm: the widest FWHM tried, mm.

    Returns:
        The :class:`MatchedGaussian` at the bracket's upper end (its CoV ≤ the target, within the tolerance).
    """

    def filtered(fwhm: float) -> FloatArray:
        return gaussian_baseline(voxels=voxels, fwhm_mm=fwhm, spacing_mm=spacing_mm)

    low, high = 0.0, 8.0
    image = filtered(high)
    while cov_of(image) > target_pct and high < widest_mm:
        low, high = high, min(2.0 * high, widest_mm)
        image = filtered(high)
    bracketed = cov_of(image) <= target_pct
    while bracketed and high - low > tolerance_mm:
        middle = 0.5 * (low + high)
        candidate = filtered(middle)
        if cov_of(candidate) > target_pct:
            low = middle
        else:
            high, image = middle, candidate
    return MatchedGaussian(
        fwhm_mm=high, sigma_mm=high / FWHM_PER_SIGMA, cov_pct=cov_of(image), image=image, bracketed=bracketed
    )
