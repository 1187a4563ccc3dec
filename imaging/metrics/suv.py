"""Standardised uptake values in a region, and how well a processed image preserves them.

``SUV_v = x_v · f`` with ``x`` in Bq/ml and ``f`` the SUV factor (SUVbw per Bq/ml: body weight in g over the
decay-corrected injected activity in Bq, :class:`imaging.volume.SuvFactor`). In a mask ``M``::

    SUVmax  = f · max_{v∈M} x_v
    SUVmean = f · (1/|M|) Σ_{v∈M} x_v
    SUVpeak = f · max_{v∈M} mean_{u∈S(v)} x_u      S(v): voxels whose centre is within r of v's centre,
                                                   r = (3V / 4π)^(1/3), V = 1 cm³ → r = 6.20 mm

(SUVpeak after Wahl et al. 2009, PERCIST 1.0, J Nucl Med 50:122S: the highest mean of a 1 cm³ sphere; here the
sphere is centred on the voxels of ``M`` and may extend beyond ``M``; voxels outside the volume are left out.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.errors import InputError
from imaging.metrics._checks import BoolArray, FloatArray, as_image, as_mask, as_spacing, positive, same_shape

__all__ = ["SuvPreservation", "suv_max", "suv_mean", "suv_peak", "suv_preservation"]


def _prepared(*, image: npt.ArrayLike, mask: npt.ArrayLike, suv_factor: float) -> tuple[FloatArray, BoolArray, float]:
    volume = as_image(value=image, name="image")
    region = as_mask(value=mask, name="mask", shape=volume.shape)
    return volume, region, positive(value=suv_factor, name="suv_factor")


def suv_max(*, image: npt.ArrayLike, mask: npt.ArrayLike, suv_factor: float) -> float:
    """SUVmax in ``mask``: ``image`` ``(z, y, x)`` Bq/ml, ``mask`` bool ``(z, y, x)``, ``suv_factor`` SUV per Bq/ml."""
    volume, region, factor = _prepared(image=image, mask=mask, suv_factor=suv_factor)
    return float(volume[region].max()) * factor


def suv_mean(*, image: npt.ArrayLike, mask: npt.ArrayLike, suv_factor: float) -> float:
    """SUVmean in ``mask``: ``image`` ``(z, y, x)`` Bq/ml, ``mask`` bool ``(z, y, x)``, ``suv_factor`` SUV per Bq/ml."""
    volume, region, factor = _prepared(image=image, mask=mask, suv_factor=suv_factor)
    return float(volume[region].mean()) * factor


def sphere_kernel(*, spacing_mm: tuple[float, ...], volume_ml: float) -> BoolArray:
    """Bool ``(z, y, x)`` kernel: voxel offsets whose centre is within the radius of a ``volume_ml`` sphere."""
    radius_mm = (3.0 * volume_ml * 1000.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
    half = [int(radius_mm // step) for step in spacing_mm]
    grids = np.meshgrid(*[np.arange(-h, h + 1) * s for h, s in zip(half, spacing_mm, strict=True)], indexing="ij")
    kernel: BoolArray = sum(g**2 for g in grids) <= radius_mm**2
    return kernel


def suv_peak(
    *,
    image: npt.ArrayLike,
    mask: npt.ArrayLike,
    suv_factor: float,
    spacing_mm: Sequence[float],
    volume_ml: float = 1.0,
) -> float:
    """SUVpeak: the highest ``volume_ml`` sphere mean centred on a voxel of ``mask`` (see module docstring).

    Args:
        image: ``(z, y, x)`` activity, Bq/ml.
        mask: ``(z, y, x)`` bool, the voxels a sphere may be centred on (e.g. a lesion).
        suv_factor: SUV per Bq/ml.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        volume_ml: sphere volume, ml (cm³).

    Returns:
        SUVpeak, SUV.
    """
    volume, region, factor = _prepared(image=image, mask=mask, suv_factor=suv_factor)
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    kernel = sphere_kernel(spacing_mm=spacing, volume_ml=positive(value=volume_ml, name="volume_ml"))
    margin = [k // 2 for k in kernel.shape]
    where = np.argwhere(region)
    low = np.maximum(where.min(axis=0) - margin, 0)
    high = np.minimum(where.max(axis=0) + np.asarray(margin) + 1, volume.shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(low, high, strict=True))
    weights = kernel.astype(np.float64)
    sums = ndimage.correlate(volume[box], weights, mode="constant", cval=0.0)
    counts = ndimage.correlate(np.ones_like(volume[box]), weights, mode="constant", cval=0.0)
    return float((sums / counts)[region[box]].max()) * factor


@dataclass(frozen=True, kw_only=True)
class SuvPreservation:
    """SUVmax and SUVmean of a region before and after processing, and their ratios (after / before)."""

    suvmax_before: float
    suvmax_after: float
    suvmax_ratio: float
    suvmean_before: float
    suvmean_after: float
    suvmean_ratio: float


def suv_preservation(
    *, before: npt.ArrayLike, after: npt.ArrayLike, mask: npt.ArrayLike, suv_factor: float
) -> SuvPreservation:
    """How a processed image preserves SUVmax and SUVmean in ``mask``; 1.0 ratios mean perfectly preserved.

    Args:
        before: ``(z, y, x)`` activity before processing (e.g. denoising), Bq/ml.
        after: ``(z, y, x)`` activity after processing, Bq/ml, same shape.
        mask: ``(z, y, x)`` bool region (a lesion, the body...).
        suv_factor: SUV per Bq/ml.
    """
    same_shape(
        value=as_image(value=after, name="after"),
        name="after",
        reference=as_image(value=before, name="before"),
        reference_name="before",
    )
    max_in, max_out = (suv_max(image=x, mask=mask, suv_factor=suv_factor) for x in (before, after))
    mean_in, mean_out = (suv_mean(image=x, mask=mask, suv_factor=suv_factor) for x in (before, after))
    if max_in <= 0 or mean_in <= 0:
        raise InputError("Argument 'before' should have a positive SUVmax and SUVmean in 'mask'.", check="suv")
    return SuvPreservation(
        suvmax_before=max_in,
        suvmax_after=max_out,
        suvmax_ratio=max_out / max_in,
        suvmean_before=mean_in,
        suvmean_after=mean_out,
        suvmean_ratio=mean_out / mean_in,
    )
