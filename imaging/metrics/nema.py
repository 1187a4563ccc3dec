"""NEMA NU 2-2018 §7 image-quality analysis: hot-sphere contrast recovery and background variability.

For each sphere ``j`` of inner diameter ``d_j`` (NEMA NU 2-2018, §7.4.2)::

    Q_H,j = (C_H,j / C_B,j − 1) / (a_H / a_B − 1) × 100      percent contrast, hot sphere j
    N_j   = SD_j / C_B,j × 100                              percent background variability

``C_H,j``: mean in a circular ROI of diameter ``d_j`` centred on the sphere in the transverse slice through its
centre. ``C_B,j``: mean of the background ROI means of diameter ``d_j`` — the 12 ROI centres drawn on the central
slice, repeated on the slices at ±10 mm and ±20 mm (60 ROIs). ``SD_j``: their standard deviation,
``sqrt(Σ_k (C_B,j,k − C_B,j)² / (K − 1))``. ``a_H / a_B``: true sphere : background activity ratio.

Positions are array mm (``index × spacing``, from the centre of voxel 0); each ROI lies in the slice nearest to
its z, and contains the pixels whose centre is inside its circle (no partial-pixel weighting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError
from imaging.metrics._checks import FloatArray, as_image, as_spacing, positive
from imaging.metrics.rois import circular_roi_mask, slice_index

__all__ = ["BACKGROUND_SLICE_OFFSETS_MM", "NemaSphereResult", "background_roi_means", "nema_image_quality"]

BACKGROUND_SLICE_OFFSETS_MM = (-20.0, -10.0, 0.0, 10.0, 20.0)


@dataclass(frozen=True, kw_only=True)
class NemaSphereResult:
    """The NEMA NU 2 image-quality figures of one hot sphere.

    Attributes:
        diameter_mm: inner sphere diameter, also the ROI diameter.
        contrast_recovery_pct: ``Q_H,j``, percent.
        background_variability_pct: ``N_j``, percent.
        sphere_mean: ``C_H,j`` in the image unit.
        background_mean: ``C_B,j`` in the image unit.
        background_sd: ``SD_j`` in the image unit (K − 1 normalisation).
        n_background_rois: ``K``, the number of background ROIs averaged (60 for the standard layout).
    """

    diameter_mm: float
    contrast_recovery_pct: float
    background_variability_pct: float
    sphere_mean: float
    background_mean: float
    background_sd: float
    n_background_rois: int


def _roi_mean(
    *, image: FloatArray, spacing_mm: tuple[float, ...], centre_mm: Sequence[float], diameter_mm: float, name: str
) -> float:
    """Mean of the circular ROI of ``diameter_mm`` centred at ``centre_mm`` (z, y, x) in the slice nearest its z."""
    index = slice_index(z_mm=float(centre_mm[0]), spacing_mm_z=spacing_mm[0], n_slices=image.shape[0], name=name)
    mask = circular_roi_mask(
        shape_yx=(image.shape[1], image.shape[2]),
        centre_mm_yx=(float(centre_mm[1]), float(centre_mm[2])),
        diameter_mm=diameter_mm,
        spacing_mm_yx=spacing_mm[1:],
    )
    return float(image[index][mask].mean())


def _centres(*, value: npt.ArrayLike, name: str) -> FloatArray:
    centres = np.asarray(value, dtype=np.float64)
    if centres.ndim != 2 or centres.shape[1] != 3 or centres.shape[0] == 0:
        raise InputError(
            f"Argument '{name}' should be an (n, 3) array of (z, y, x) mm, got {centres.shape}.", check="roi"
        )
    return centres


def background_roi_means(
    *,
    image: FloatArray,
    spacing_mm: tuple[float, ...],
    background_centres_mm: FloatArray,
    diameter_mm: float,
    slice_offsets_mm: Sequence[float] = BACKGROUND_SLICE_OFFSETS_MM,
) -> FloatArray:
    """The means of every background ROI of ``diameter_mm``: each centre repeated at each z offset, ``(K,)``."""
    means = [
        _roi_mean(
            image=image,
            spacing_mm=spacing_mm,
            centre_mm=(centre[0] + offset, centre[1], centre[2]),
            diameter_mm=diameter_mm,
            name="background_centres_mm",
        )
        for offset in slice_offsets_mm
        for centre in background_centres_mm
    ]
    return np.asarray(means, dtype=np.float64)


def nema_image_quality(
    *,
    image: npt.ArrayLike,
    spacing_mm: Sequence[float],
    sphere_centres_mm: npt.ArrayLike,
    sphere_diameters_mm: Sequence[float],
    background_centres_mm: npt.ArrayLike,
    activity_ratio: float,
    slice_offsets_mm: Sequence[float] = BACKGROUND_SLICE_OFFSETS_MM,
) -> tuple[NemaSphereResult, ...]:
    """NEMA NU 2-2018 percent contrast ``Q_H,j`` and background variability ``N_j`` of each hot sphere.

    Args:
        image: ``(z, y, x)`` activity, any unit (e.g. Bq/ml).
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        sphere_centres_mm: ``(S, 3)`` sphere centres, (z, y, x) array mm.
        sphere_diameters_mm: ``(S,)`` inner sphere diameters, mm.
        background_centres_mm: ``(K0, 3)`` background ROI centres on the central slice, (z, y, x) array mm
            (NEMA: 12); each is repeated at every ``slice_offsets_mm``.
        activity_ratio: true ``a_H / a_B`` (e.g. 4.0), > 1.
        slice_offsets_mm: z offsets of the background slices from the central slice, mm.

    Returns:
        One :class:`NemaSphereResult` per sphere, in the input order.
    """
    volume = as_image(value=image, name="image")
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    spheres = _centres(value=sphere_centres_mm, name="sphere_centres_mm")
    background = _centres(value=background_centres_mm, name="background_centres_mm")
    _check_layout(
        n_spheres=spheres.shape[0],
        sphere_diameters_mm=sphere_diameters_mm,
        n_background_rois=background.shape[0] * len(slice_offsets_mm),
        activity_ratio=activity_ratio,
    )
    results = []
    for centre, diameter in zip(spheres, sphere_diameters_mm, strict=True):
        hot = _roi_mean(
            image=volume, spacing_mm=spacing, centre_mm=centre, diameter_mm=diameter, name="sphere_centres_mm"
        )
        means = background_roi_means(
            image=volume,
            spacing_mm=spacing,
            background_centres_mm=background,
            diameter_mm=diameter,
            slice_offsets_mm=slice_offsets_mm,
        )
        results.append(_sphere_result(diameter=float(diameter), hot=hot, means=means, ratio=activity_ratio))
    return tuple(results)


def _check_layout(
    *, n_spheres: int, sphere_diameters_mm: Sequence[float], n_background_rois: int, activity_ratio: float
) -> None:
    if len(sphere_diameters_mm) != n_spheres:
        raise InputError("Argument 'sphere_diameters_mm' should give one diameter per sphere centre.", check="roi")
    if positive(value=activity_ratio, name="activity_ratio") <= 1.0:
        raise InputError(
            f"Argument 'activity_ratio' should be > 1 for hot spheres, got {activity_ratio}.", check="activity_ratio"
        )
    if n_background_rois < 2:
        raise InputError("Argument 'background_centres_mm' should give at least 2 ROIs in all.", check="roi")


def _sphere_result(*, diameter: float, hot: float, means: FloatArray, ratio: float) -> NemaSphereResult:
    mean_b, sd_b = float(means.mean()), float(means.std(ddof=1))
    if mean_b <= 0:
        raise InputError(f"Argument 'image' should have a positive background mean, got {mean_b}.", check="roi")
    return NemaSphereResult(
        diameter_mm=diameter,
        contrast_recovery_pct=(hot / mean_b - 1.0) / (ratio - 1.0) * 100.0,
        background_variability_pct=sd_b / mean_b * 100.0,
        sphere_mean=hot,
        background_mean=mean_b,
        background_sd=sd_b,
        n_background_rois=int(means.size),
    )
