"""The true activity of hot spheres in a reconstruction: a joint least-squares fit of blurred uniform spheres.

A uniform ball of radius ``R`` (mm) and unit activity, convolved with an isotropic 3D Gaussian point-spread
function of standard deviation ``σ = FWHM / (2·sqrt(2·ln 2))``, has the radial profile (``r``: distance from its
centre, mm; ``u = (r − R) / (√2·σ)``, ``v = (r + R) / (√2·σ)``)::

    P(r; R, σ) = ½·(erf v − erf u) − σ / (√(2π)·r) · (exp(−u²) − exp(−v²))
    P(0; R, σ) = erf(R / (√2·σ)) − √(2/π)·(R/σ)·exp(−R² / (2σ²))

A hot sphere of activity ``S`` behind a cold wall of thickness ``w`` in a warm background ``B`` (Bq/ml, or the
image's unit) is then ``S·P(r; R, σ) + B·(1 − P(r; R + w, σ))``.

:func:`fit_sphere_activity` fits every sphere at once with one shared ``S``, ``B`` and FWHM (the phantom's spheres
hold one activity concentration) and a free centre shift per sphere, to the voxels within ``R + margin`` of each
sphere's starting centre (``scipy.optimize.least_squares``, trust-region reflective, equal weights). This follows
the idea of pynemaiqpet's whole-body analysis (a Gaussian-blurred glass sphere in a background, one signal shared
by the spheres, radii fixed to the nominal ones), but fits all spheres jointly where pynemaiqpet takes the signal
from the largest sphere alone and fixes the background to a background-ROI mean.

Positions are array mm (``index × spacing``, from the centre of voxel 0), ``(z, y, x)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares
from scipy.special import erf

from imaging.errors import InputError
from imaging.metrics._checks import BoolArray, FloatArray, as_image, as_mask, as_spacing, positive
from imaging.metrics.rois import ball_voxels

__all__ = ["SphereFit", "blurred_sphere_profile", "fit_sphere_activity", "hot_sphere_model"]

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
"""FWHM / σ of a Gaussian (≈ 2.3548)."""


def blurred_sphere_profile(*, r_mm: npt.ArrayLike, radius_mm: npt.ArrayLike, fwhm_mm: float) -> FloatArray:
    """``P(r; R, σ)`` (module docstring): a unit-activity ball of radius ``R`` blurred by a 3D Gaussian of FWHM.

    Args:
        r_mm: distances from the ball's centre, mm, ≥ 0.
        radius_mm: ball radius ``R``, mm (scalar or broadcastable to ``r_mm``).
        fwhm_mm: the Gaussian's FWHM, mm, > 0.

    Returns:
        The profile, dimensionless, between 0 and 1, with the broadcast shape of ``r_mm`` and ``radius_mm``.
    """
    sigma = positive(value=fwhm_mm, name="fwhm_mm") / FWHM_PER_SIGMA
    r, radius = np.broadcast_arrays(np.asarray(r_mm, dtype=np.float64), np.asarray(radius_mm, dtype=np.float64))
    scale = math.sqrt(2.0) * sigma
    u, v = (r - radius) / scale, (r + radius) / scale
    near = r < 1e-6 * sigma
    safe = np.where(near, 1.0, r)
    away = 0.5 * (erf(v) - erf(u)) - sigma / (math.sqrt(2.0 * math.pi) * safe) * (np.exp(-(u**2)) - np.exp(-(v**2)))
    centre = erf(radius / scale) - math.sqrt(2.0 / math.pi) * radius / sigma * np.exp(-(radius**2) / (2 * sigma**2))
    return np.asarray(np.where(near, centre, away), dtype=np.float64)


def hot_sphere_model(
    *,
    r_mm: npt.ArrayLike,
    radius_mm: npt.ArrayLike,
    fwhm_mm: float,
    activity: float,
    background: float,
    wall_mm: float = 0.0,
) -> FloatArray:
    """``S·P(r; R, σ) + B·(1 − P(r; R + w, σ))``: a blurred hot sphere with a cold wall in a warm background.

    Args:
        r_mm: distances from the sphere's centre, mm.
        radius_mm: inner radius ``R``, mm.
        fwhm_mm: PSF FWHM, mm.
        activity: ``S``, activity concentration inside the sphere (e.g. Bq/ml).
        background: ``B``, background activity concentration, same unit.
        wall_mm: cold wall thickness ``w``, mm, ≥ 0.

    Returns:
        The modelled image value at each ``r_mm``, in the unit of ``activity``.
    """
    inner = blurred_sphere_profile(r_mm=r_mm, radius_mm=radius_mm, fwhm_mm=fwhm_mm)
    outer = blurred_sphere_profile(r_mm=r_mm, radius_mm=np.asarray(radius_mm) + wall_mm, fwhm_mm=fwhm_mm)
    return np.asarray(activity * inner + background * (1.0 - outer), dtype=np.float64)


@dataclass(frozen=True, kw_only=True)
class SphereFit:
    """The joint fit of the hot spheres.

    Attributes:
        activity: ``S``, the fitted activity concentration shared by the spheres (the image's unit, e.g. Bq/ml).
        background: ``B``, the fitted background concentration, same unit.
        fwhm_mm: the fitted isotropic PSF FWHM, mm.
        centres_mm: the fitted sphere centres, ``(z, y, x)`` array mm, one per sphere, in the input order.
        n_voxels: voxels fitted.
        rms_residual: root-mean-square residual of the fit, the image's unit.
    """

    activity: float
    background: float
    fwhm_mm: float
    centres_mm: tuple[tuple[float, float, float], ...]
    n_voxels: int
    rms_residual: float


@dataclass(frozen=True, kw_only=True)
class _Samples:
    """The fitted voxels: positions ``(n, 3)`` mm, values ``(n,)``, sphere index and radius ``(n,)``."""

    positions: FloatArray
    values: FloatArray
    sphere: npt.NDArray[np.intp]
    radius: FloatArray


def _samples(
    *,
    image: FloatArray,
    spacing: tuple[float, ...],
    centres: FloatArray,
    radii: FloatArray,
    margin: float,
    keep: BoolArray,
) -> _Samples:
    """The voxels within ``radius + margin`` of each centre and in ``keep``, each tagged with its sphere."""
    positions, values, sphere = [], [], []
    for index, (centre, radius) in enumerate(zip(centres, radii, strict=True)):
        voxels, mm = ball_voxels(shape=image.shape, spacing_mm=spacing, centre_mm=centre, radius_mm=radius + margin)
        kept = keep[tuple(voxels.T)]
        positions.append(mm[kept])
        values.append(image[tuple(voxels[kept].T)])
        sphere.append(np.full(int(kept.sum()), index))
    index_array = np.concatenate(sphere).astype(np.intp)
    return _Samples(
        positions=np.concatenate(positions),
        values=np.concatenate(values),
        sphere=index_array,
        radius=radii[index_array],
    )


def _initial(samples: _Samples) -> tuple[float, float]:
    """Starting ``S`` and ``B``: the 99th and 10th percentiles of the fitted voxels."""
    high, low = np.percentile(samples.values, [99.0, 10.0])
    return float(high), float(low)


def fit_sphere_activity(
    *,
    image: npt.ArrayLike,
    spacing_mm: Sequence[float],
    centres_mm: npt.ArrayLike,
    diameters_mm: Sequence[float],
    wall_mm: float = 1.5,
    margin_mm: float = 12.0,
    max_shift_mm: float = 6.0,
    exclude: npt.ArrayLike | None = None,
) -> SphereFit:
    """Fit one activity ``S``, background ``B`` and PSF FWHM shared by all spheres, and each sphere's centre.

    Args:
        image: ``(z, y, x)`` activity, e.g. Bq/ml.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        centres_mm: ``(n, 3)`` starting sphere centres, ``(z, y, x)`` array mm.
        diameters_mm: ``(n,)`` inner sphere diameters, mm (held fixed).
        wall_mm: cold wall thickness, mm (held fixed; pynemaiqpet's default, 1.5 mm; 0 for none).
        margin_mm: the voxels within ``R + margin_mm`` of each starting centre are fitted.
        max_shift_mm: bound on each centre's shift from its start along each axis, mm.
        exclude: ``(z, y, x)`` bool mask of voxels to leave out (e.g. around a cold insert), or None.

    Returns:
        The :class:`SphereFit`.
    """
    volume = as_image(value=image, name="image")
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    centres = np.asarray(centres_mm, dtype=np.float64)
    radii = np.asarray([positive(value=d, name="diameters_mm") / 2.0 for d in diameters_mm])
    if centres.shape != (radii.size, 3) or radii.size == 0:
        raise InputError(
            f"Argument 'centres_mm' should be ({radii.size}, 3), one (z, y, x) per diameter, got {centres.shape}.",
            check="roi",
        )
    keep = np.ones(volume.shape, dtype=np.bool_)
    if exclude is not None:
        keep = ~as_mask(value=exclude, name="exclude", shape=volume.shape)
    margin = positive(value=margin_mm, name="margin_mm")
    samples = _samples(image=volume, spacing=spacing, centres=centres, radii=radii, margin=margin, keep=keep)
    if samples.values.size < 10 * (3 + 3 * radii.size):
        raise InputError("Argument 'centres_mm' leaves too few voxels to fit the spheres.", check="roi")
    return _solve(samples=samples, centres=centres, wall=wall_mm, shift=max_shift_mm)


def _solve(*, samples: _Samples, centres: FloatArray, wall: float, shift: float) -> SphereFit:
    """``least_squares`` over ``(S, B, FWHM, shifts…)``."""
    n = centres.shape[0]

    def residuals(params: FloatArray) -> FloatArray:
        moved = centres + params[3:].reshape(n, 3)
        r = np.linalg.norm(samples.positions - moved[samples.sphere], axis=1)
        model = hot_sphere_model(
            r_mm=r,
            radius_mm=samples.radius,
            fwhm_mm=params[2],
            activity=params[0],
            background=params[1],
            wall_mm=wall,
        )
        return model - samples.values

    activity, background = _initial(samples)
    start = np.concatenate([[activity, background, 8.0], np.zeros(3 * n)])
    lower = np.concatenate([[-np.inf, -np.inf, 0.5], np.full(3 * n, -shift)])
    upper = np.concatenate([[np.inf, np.inf, 50.0], np.full(3 * n, shift)])
    solution = least_squares(residuals, start, bounds=(lower, upper), x_scale="jac")
    moved = centres + solution.x[3:].reshape(n, 3)
    return SphereFit(
        activity=float(solution.x[0]),
        background=float(solution.x[1]),
        fwhm_mm=float(solution.x[2]),
        centres_mm=tuple((float(z), float(y), float(x)) for z, y, x in moved),
        n_voxels=int(samples.values.size),
        rms_residual=float(np.sqrt(np.mean(solution.fun**2))),
    )
