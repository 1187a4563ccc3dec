"""Background regions of a NEMA IEC body phantom, placed from the image, and their voxel coefficient of variation.

:func:`background_roi_centres` places circular ROIs (37 mm across, as NEMA NU 2's largest) in the warm
background of the sphere plane, the NEMA way in spirit: each ROI's edge at least ``edge_margin_mm`` (15 mm) from
the phantom's edge, and at least ``clearance_mm`` from every sphere and from the lung insert. The phantom's edge
is where the plane, smoothed (Gaussian, 7 mm FWHM), falls below half the background level (holes filled, largest
component kept). Among the allowed centres (every pixel), up to ``max_rois`` (12, as NEMA) are picked by
farthest-point sampling, starting from the allowed centre farthest from the axis, stopping when the next one
would overlap one already picked.

:func:`background_cov` pools every voxel of the ROIs, drawn on the sphere plane and repeated at the NEMA offsets
−20, −10, +10 and +20 mm: ``CoV = SD / mean × 100`` over those voxels (population SD). This is a voxel-noise
figure, not NEMA NU 2's background variability ``N_j`` (the SD of the ROI means, :mod:`imaging.metrics.nema`).

Positions are array mm (``index × spacing``, from the centre of voxel 0), ``(z, y, x)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.errors import InputError
from imaging.metrics._checks import BoolArray, FloatArray, as_image, as_spacing, positive
from imaging.metrics.iec_layout import IEC_LUNG_INSERT_DIAMETER_MM, IecLayout
from imaging.metrics.nema import BACKGROUND_SLICE_OFFSETS_MM
from imaging.metrics.rois import circular_roi_mask, slice_index
from imaging.metrics.sphere_fit import FWHM_PER_SIGMA

__all__ = ["BackgroundStats", "background_cov", "background_roi_centres"]

EDGE_SMOOTHING_FWHM_MM = 7.0
"""FWHM of the Gaussian applied to the sphere plane before finding the phantom's edge, mm."""


@dataclass(frozen=True, kw_only=True)
class BackgroundStats:
    """The pooled voxels of the background ROIs.

    Attributes:
        mean: mean voxel value, the image's unit (e.g. Bq/ml).
        sd: population standard deviation of the voxel values, same unit.
        cov_pct: ``sd / mean × 100``, percent.
        n_voxels: voxels pooled.
        n_rois: ROIs drawn (centres × slice offsets).
    """

    mean: float
    sd: float
    cov_pct: float
    n_voxels: int
    n_rois: int


def _phantom_plane(*, plane: FloatArray, spacing_yx: tuple[float, ...], background: float) -> BoolArray:
    """The phantom's cross-section: the smoothed plane above half the background, holes filled, largest part."""
    sigma = EDGE_SMOOTHING_FWHM_MM / FWHM_PER_SIGMA / np.asarray(spacing_yx)
    inside = ndi.binary_fill_holes(ndi.gaussian_filter(plane, sigma, mode="nearest") > 0.5 * background)
    labels, count = ndi.label(inside)
    if count == 0:
        raise InputError("Argument 'image' shows no phantom in the sphere plane.", check="roi")
    sizes = ndi.sum(inside, labels, range(1, count + 1))
    return np.asarray(labels == 1 + int(np.argmax(sizes)), dtype=np.bool_)


def _farthest_points(*, candidates: FloatArray, start: int, separation: float, limit: int) -> FloatArray:
    """Greedy farthest-point sampling from ``candidates[start]`` while the next is ≥ ``separation`` away."""
    chosen = [candidates[start]]
    nearest = np.linalg.norm(candidates - candidates[start], axis=1)
    while len(chosen) < limit:
        index = int(np.argmax(nearest))
        if nearest[index] < separation:
            break
        chosen.append(candidates[index])
        nearest = np.minimum(nearest, np.linalg.norm(candidates - candidates[index], axis=1))
    return np.asarray(chosen)


def background_roi_centres(
    *,
    image: npt.ArrayLike,
    spacing_mm: Sequence[float],
    layout: IecLayout,
    roi_diameter_mm: float = 37.0,
    edge_margin_mm: float = 15.0,
    clearance_mm: float = 10.0,
    insert_diameter_mm: float = IEC_LUNG_INSERT_DIAMETER_MM,
    max_rois: int = 12,
) -> FloatArray:
    """Background ROI centres on the sphere plane (module docstring).

    Args:
        image: ``(z, y, x)`` activity, e.g. Bq/ml.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        layout: the spheres (:func:`imaging.metrics.iec_layout.locate_iec_spheres`).
        roi_diameter_mm: ROI diameter, mm.
        edge_margin_mm: least distance from an ROI's edge to the phantom's edge, mm.
        clearance_mm: least distance from an ROI's edge to a sphere's or the lung insert's edge, mm.
        insert_diameter_mm: the lung insert's diameter, mm.
        max_rois: most ROIs placed.

    Returns:
        ``(K, 3)`` centres, ``(z, y, x)`` array mm, ``2 ≤ K ≤ max_rois``, all at the sphere plane's z.
    """
    volume = as_image(value=image, name="image")
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    radius = positive(value=roi_diameter_mm, name="roi_diameter_mm") / 2.0
    z = slice_index(z_mm=layout.axis_mm[0], spacing_mm_z=spacing[0], n_slices=volume.shape[0], name="layout")
    body = _phantom_plane(plane=volume[z], spacing_yx=spacing[1:], background=layout.background)
    allowed = ndi.distance_transform_edt(body, sampling=spacing[1:]) >= radius + edge_margin_mm
    rows, columns = np.indices(body.shape)
    y: FloatArray = np.asarray(rows * spacing[1], dtype=np.float64)
    x: FloatArray = np.asarray(columns * spacing[2], dtype=np.float64)
    for centre, diameter in zip(layout.centres_mm, layout.diameters_mm, strict=True):
        allowed &= np.hypot(y - centre[1], x - centre[2]) >= radius + diameter / 2.0 + clearance_mm
    from_axis = np.hypot(y - layout.axis_mm[1], x - layout.axis_mm[2])
    allowed &= from_axis >= radius + insert_diameter_mm / 2.0 + clearance_mm
    if allowed.sum() < 2:
        raise InputError("Argument 'image' leaves no room for background ROIs in the sphere plane.", check="roi")
    candidates = np.stack([y[allowed], x[allowed]], axis=1)
    start = int(np.argmax(from_axis[allowed]))
    picked = _farthest_points(candidates=candidates, start=start, separation=2 * radius, limit=max_rois)
    if len(picked) < 2:
        raise InputError("Argument 'image' leaves room for only one background ROI.", check="roi")
    plane_z = np.full((len(picked), 1), z * spacing[0])
    return np.asarray(np.hstack([plane_z, picked]), dtype=np.float64)


def background_cov(
    *,
    image: npt.ArrayLike,
    spacing_mm: Sequence[float],
    centres_mm: npt.ArrayLike,
    diameter_mm: float = 37.0,
    slice_offsets_mm: Sequence[float] = BACKGROUND_SLICE_OFFSETS_MM,
) -> BackgroundStats:
    """The pooled voxel mean, SD and CoV of the background ROIs (module docstring).

    Args:
        image: ``(z, y, x)`` activity, e.g. Bq/ml.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        centres_mm: ``(K, 3)`` ROI centres on the sphere plane, ``(z, y, x)`` array mm.
        diameter_mm: ROI diameter, mm.
        slice_offsets_mm: z offsets at which each ROI is repeated, mm.

    Returns:
        The :class:`BackgroundStats`.
    """
    volume = as_image(value=image, name="image")
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    centres = np.asarray(centres_mm, dtype=np.float64).reshape(-1, 3)
    values = []
    for offset in slice_offsets_mm:
        for centre in centres:
            z = slice_index(
                z_mm=centre[0] + offset, spacing_mm_z=spacing[0], n_slices=volume.shape[0], name="centres_mm"
            )
            mask = circular_roi_mask(
                shape_yx=(volume.shape[1], volume.shape[2]),
                centre_mm_yx=(centre[1], centre[2]),
                diameter_mm=diameter_mm,
                spacing_mm_yx=spacing[1:],
            )
            values.append(volume[z][mask])
    pooled = np.concatenate(values) if values else np.empty(0)
    mean = float(pooled.mean()) if pooled.size else 0.0
    if pooled.size < 2 or mean <= 0:
        raise InputError("Argument 'image' should have a positive background in its ROIs.", check="roi")
    sd = float(pooled.std())
    return BackgroundStats(mean=mean, sd=sd, cov_pct=sd / mean * 100.0, n_voxels=int(pooled.size), n_rois=len(values))
