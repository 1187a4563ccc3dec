"""Where the six hot spheres of a NEMA IEC body phantom lie in a reconstruction, found from the image alone.

The IEC 61675-1 / NEMA NU 2 body phantom holds six spheres of inner diameter 37, 28, 22, 17, 13 and 10 mm whose
centres lie on a circle of radius 57.2 mm around the phantom's lung insert (a cold cylinder, 50 mm across),
60° apart, in one transverse plane, in order of size. :func:`locate_iec_spheres` finds them in three steps, on
the image minus its background level and smoothed (Gaussian, ``smoothing_fwhm_mm``):

1. **Plane and ring centre.** Each transverse slice is cross-correlated (FFT) with a zero-mean ring template:
   positive on the annulus within 10 mm of the 57.2 mm circle, negative inside 35 mm and between 80 and 95 mm
   of its centre, so that a uniformly raised slice scores zero. The best slice and position give the plane and
   the ring centre (the phantom's axis, assumed parallel to z).
2. **Rotation and handedness.** The smoothed plane is sampled along the circle every 1°, and circularly
   correlated with the profile the six blurred spheres would give, taken clockwise and counter-clockwise;
   the best gives the angle of the 37 mm sphere and the sense in which the sizes decrease.
3. **Each centre.** The centre of mass of the voxels ≥ 50 % of the local maximum within ``R + 8 mm`` of each
   predicted centre (on the smoothed image, above background).

Angles are in the array's ``(y, x)`` plane, from +x towards +y. Positions are array mm (``index × spacing``,
from the centre of voxel 0), ``(z, y, x)``. The background level is the mode of a 100-bin histogram of the
smoothed voxels above 5 % of the smoothed maximum (the warm background fills most of the phantom).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft as sfft
import scipy.ndimage as ndi

from imaging.errors import InputError
from imaging.metrics._checks import BoolArray, FloatArray, as_image, as_spacing, positive
from imaging.metrics.rois import ball_voxels
from imaging.metrics.sphere_fit import FWHM_PER_SIGMA, blurred_sphere_profile

__all__ = [
    "IEC_LUNG_INSERT_DIAMETER_MM",
    "IEC_RING_RADIUS_MM",
    "IEC_SPHERE_DIAMETERS_MM",
    "IecLayout",
    "axis_cylinder_mask",
    "background_level",
    "locate_iec_spheres",
]

IEC_SPHERE_DIAMETERS_MM: tuple[float, ...] = (37.0, 28.0, 22.0, 17.0, 13.0, 10.0)
"""Inner sphere diameters of the IEC body phantom, mm, largest first (their order around the ring)."""

IEC_RING_RADIUS_MM = 57.2
"""Radius of the circle of sphere centres around the phantom's axis, mm."""

IEC_LUNG_INSERT_DIAMETER_MM = 50.0
"""Outer diameter of the cold lung insert on the phantom's axis, mm."""

RESOLUTION_GUESS_FWHM_MM = 6.0
"""A typical whole-body PET resolution (FWHM, mm), used only to shape the rotation template."""


@dataclass(frozen=True, kw_only=True)
class IecLayout:
    """The spheres found in an image.

    Attributes:
        centres_mm: one ``(z, y, x)`` array-mm centre per sphere, in the order of ``diameters_mm``.
        diameters_mm: inner sphere diameters, mm.
        axis_mm: the ring centre in the sphere plane, ``(z, y, x)`` array mm (a point on the phantom's axis).
        rotation_deg: angle of the first (largest) sphere about the axis, degrees, from +x towards +y.
        direction: +1 when the sizes decrease towards +y from +x (increasing angle), −1 otherwise.
        background: the background level the search used (histogram mode), the image's unit.
    """

    centres_mm: tuple[tuple[float, float, float], ...]
    diameters_mm: tuple[float, ...]
    axis_mm: tuple[float, float, float]
    rotation_deg: float
    direction: int
    background: float


def background_level(*, smoothed: FloatArray) -> float:
    """The mode of a 100-bin histogram of the voxels above 5 % of the maximum (module docstring), image unit."""
    values = smoothed[smoothed > 0.05 * float(smoothed.max())]
    if values.size == 0:
        raise InputError("Argument 'image' has no positive voxels to take a background level from.", check="image")
    counts, edges = np.histogram(values, bins=100)
    peak = int(np.argmax(counts))
    return float(0.5 * (edges[peak] + edges[peak + 1]))


def _centred_distance(*, shape_yx: tuple[int, int], spacing_yx: tuple[float, ...]) -> FloatArray:
    """Distance in mm of each pixel from pixel ``(ny // 2, nx // 2)``."""
    y = (np.arange(shape_yx[0]) - shape_yx[0] // 2) * spacing_yx[0]
    x = (np.arange(shape_yx[1]) - shape_yx[1] // 2) * spacing_yx[1]
    return np.asarray(np.hypot(y[:, None], x[None, :]), dtype=np.float64)


def _ring_plane(*, excess: FloatArray, spacing: tuple[float, ...], ring_radius: float) -> tuple[int, float, float]:
    """Step 1: the slice index and the ring centre ``(y, x)`` mm that best match the zero-mean ring template."""
    rho = _centred_distance(shape_yx=(excess.shape[1], excess.shape[2]), spacing_yx=spacing[1:])
    ring = np.abs(rho - ring_radius) <= 10.0
    outside = (rho <= ring_radius - 22.0) | ((rho >= ring_radius + 23.0) & (rho <= ring_radius + 38.0))
    if not ring.any() or not outside.any():
        raise InputError("Argument 'image' is too small in y and x to hold the IEC sphere ring.", check="shape")
    template = np.fft.ifftshift(ring / ring.sum() - outside / outside.sum())
    spectrum = sfft.rfft2(excess, axes=(1, 2)) * np.conj(sfft.rfft2(template))
    score = sfft.irfft2(spectrum, s=excess.shape[1:], axes=(1, 2))
    z, y, x = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(z), float(y * spacing[1]), float(x * spacing[2])


def _ring_rotation(
    *,
    plane: FloatArray,
    spacing: tuple[float, ...],
    centre_yx: tuple[float, float],
    diameters: Sequence[float],
    ring_radius: float,
    fwhm: float,
) -> tuple[float, int]:
    """Step 2: the first sphere's angle (radians) and the direction of decreasing size, ±1."""
    angles = np.deg2rad(np.arange(0.0, 360.0, 1.0))
    rows = (centre_yx[0] + ring_radius * np.sin(angles)) / spacing[1]
    columns = (centre_yx[1] + ring_radius * np.cos(angles)) / spacing[2]
    samples = ndi.map_coordinates(plane, [rows, columns], order=1, mode="nearest")
    best = (-math.inf, 0.0, 1)
    for direction in (1, -1):
        template = np.zeros_like(angles)
        for k, diameter in enumerate(diameters):
            offset = np.angle(np.exp(1j * (angles - direction * k * math.pi / 3.0)))
            chord = 2.0 * ring_radius * np.abs(np.sin(offset / 2.0))
            template += blurred_sphere_profile(r_mm=chord, radius_mm=diameter / 2.0, fwhm_mm=fwhm)
        # score[s] = Σ_j samples[j] · template[j − s]: the template turned by s degrees
        score = np.real(np.fft.ifft(np.fft.fft(samples) * np.conj(np.fft.fft(template - template.mean()))))
        shift = int(np.argmax(score))
        if score[shift] > best[0]:
            best = (float(score[shift]), float(angles[shift]), direction)
    return best[1], best[2]


def _refine(*, excess: FloatArray, spacing: tuple[float, ...], centre: FloatArray, radius: float) -> FloatArray:
    """Step 3: centre of mass of the voxels ≥ 50 % of the maximum within ``radius + 8 mm`` of ``centre``."""
    voxels, mm = ball_voxels(shape=excess.shape, spacing_mm=spacing, centre_mm=centre, radius_mm=radius + 8.0)
    if voxels.shape[0] == 0:
        raise InputError("Argument 'image' puts an IEC sphere outside the volume.", check="roi")
    values = excess[tuple(voxels.T)]
    peak = float(values.max())
    if peak <= 0:
        return centre
    weights = np.where(values >= 0.5 * peak, values, 0.0)
    return np.asarray((weights[:, None] * mm).sum(axis=0) / weights.sum(), dtype=np.float64)


def locate_iec_spheres(
    *,
    image: npt.ArrayLike,
    spacing_mm: Sequence[float],
    diameters_mm: Sequence[float] = IEC_SPHERE_DIAMETERS_MM,
    ring_radius_mm: float = IEC_RING_RADIUS_MM,
    smoothing_fwhm_mm: float = 7.0,
) -> IecLayout:
    """Find the IEC phantom's spheres (module docstring).

    Args:
        image: ``(z, y, x)`` activity, e.g. Bq/ml, with the spheres hotter than the background.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        diameters_mm: inner diameters of the spheres in their order around the ring, mm.
        ring_radius_mm: radius of the circle of sphere centres, mm.
        smoothing_fwhm_mm: FWHM of the Gaussian applied before the search, mm.

    Returns:
        The :class:`IecLayout`.
    """
    volume = as_image(value=image, name="image")
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    sigma = positive(value=smoothing_fwhm_mm, name="smoothing_fwhm_mm") / FWHM_PER_SIGMA
    smoothed = ndi.gaussian_filter(volume, sigma / np.asarray(spacing), mode="nearest")
    background = background_level(smoothed=smoothed)
    excess = smoothed - background
    ring = positive(value=ring_radius_mm, name="ring_radius_mm")
    z, cy, cx = _ring_plane(excess=excess, spacing=spacing, ring_radius=ring)
    fwhm = math.hypot(smoothing_fwhm_mm, RESOLUTION_GUESS_FWHM_MM)
    angle, direction = _ring_rotation(
        plane=excess[z], spacing=spacing, centre_yx=(cy, cx), diameters=diameters_mm, ring_radius=ring, fwhm=fwhm
    )
    centres = []
    for k, diameter in enumerate(diameters_mm):
        at = angle + direction * k * math.pi / 3.0
        guess = np.array([z * spacing[0], cy + ring * math.sin(at), cx + ring * math.cos(at)])
        centres.append(_refine(excess=excess, spacing=spacing, centre=guess, radius=diameter / 2.0))
    found = np.asarray(centres)
    axis = found.mean(axis=0) if len(diameters_mm) == 6 else np.array([z * spacing[0], cy, cx])
    return IecLayout(
        centres_mm=tuple((float(a), float(b), float(c)) for a, b, c in found),
        diameters_mm=tuple(float(d) for d in diameters_mm),
        axis_mm=(float(axis[0]), float(axis[1]), float(axis[2])),
        rotation_deg=float(np.rad2deg(angle)) % 360.0,
        direction=direction,
        background=background,
    )


def axis_cylinder_mask(
    *, shape: tuple[int, int, int], spacing_mm: Sequence[float], axis_mm: Sequence[float], radius_mm: float
) -> BoolArray:
    """The voxels within ``radius_mm`` of the phantom's axis (the z line through ``axis_mm``), every slice.

    Args:
        shape: ``(z, y, x)`` of the image.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        axis_mm: a point of the axis, ``(z, y, x)`` array mm (only y and x are used).
        radius_mm: cylinder radius, mm.

    Returns:
        ``(z, y, x)`` bool mask.
    """
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    y = np.arange(shape[1])[:, None] * spacing[1] - float(axis_mm[1])
    x = np.arange(shape[2])[None, :] * spacing[2] - float(axis_mm[2])
    disc = np.hypot(y, x) <= positive(value=radius_mm, name="radius_mm")
    return np.asarray(np.broadcast_to(disc, shape), dtype=np.bool_)
