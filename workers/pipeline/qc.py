"""Stage ``qc``: quantitative checks of a denoised volume against its input. Pure functions over arrays.

Body mask
    ``body = G_σ(input) > 0.1 × activity_scale(input)``: the input smoothed by a Gaussian of σ = 2 voxels, above
    a tenth of the typical tissue activity (:func:`imaging.intensity.activity_scale`). The smoothing keeps noise
    out of the decision, so the mask is the same region at any count level; it takes in the body and a margin of
    about 2 voxels of air around it.

Activity preservation
    ``suvmean_ratio_body = mean_body(out) / mean_body(in)``. Both means run over the same voxels, so this is also
    the ratio of the total activity in the body (a denoiser must move activity around, not create or lose it).
    The denoiser rescales its output to keep that total (:func:`models.inference.denoise_volume`), so the ratio
    is 1 up to rounding; the job adds ``activity_factor``, the factor that rescaling applied (the network alone
    would have given a ratio of ``1 / activity_factor``).
    SUVmax = max over the whole volume × the SUVbw factor (null when the factor is not computable).

Noise in a uniform region
    A cubic window of about 30 mm per side (``round(30 mm / spacing)`` voxels per axis, made odd, at least 3) is
    slid over the input smoothed to FWHM 12 mm (so noise does not drive the choice). Candidates: windows wholly in
    the body whose local mean is 0.5–2 × activity_scale(input) (typical tissue such as the liver; the upper bound
    keeps a hot, uniform bladder out, where Poisson CoV would read low). The chosen window has the lowest local
    CoV = std / mean of the smoothed input. ``noise_cov_in`` and ``noise_cov_out`` are then SD (N − 1) / mean of
    the raw input and of the output over that window, as fractions (0.1 = 10 %).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.intensity import BODY_FRACTION, BODY_SIGMA_VOXELS, activity_scale, body_mask
from imaging.metrics import coefficient_of_variation
from imaging.volume import PetVolume, Units

__all__ = [
    "BODY_FRACTION",
    "BODY_SIGMA_VOXELS",
    "REGION_MAX_FRACTION",
    "REGION_MIN_FRACTION",
    "SELECTION_FWHM_MM",
    "WINDOW_MM",
    "UniformRegion",
    "body_mask",
    "find_uniform_region",
    "quality_control",
    "region_cov",
    "window_voxels",
]

WINDOW_MM = 30.0
"""Side of the uniform-region window, mm."""
SELECTION_FWHM_MM = 12.0
"""FWHM of the Gaussian that smooths the input before the uniform region is chosen, mm."""
REGION_MIN_FRACTION = 0.5
"""A uniform-region window's local mean must reach this fraction of the activity scale."""
REGION_MAX_FRACTION = 2.0
"""... and stay at or below this one (no hot organ such as the bladder)."""

_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_TRUNCATE = 4.0  # the selection Gaussian's radius in σ (scipy's default)
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, kw_only=True)
class UniformRegion:
    """A box of voxels: ``size_voxels`` (odd, ``(z, y, x)``) around ``centre_voxel``; ``spacing_mm`` ``(z, y, x)``."""

    centre_voxel: tuple[int, int, int]
    size_voxels: tuple[int, int, int]
    spacing_mm: tuple[float, float, float]

    @property
    def size_mm(self) -> tuple[float, float, float]:
        """Side lengths, mm."""
        z, y, x = (n * s for n, s in zip(self.size_voxels, self.spacing_mm, strict=True))
        return (z, y, x)

    def mask(self, *, shape: tuple[int, ...]) -> BoolArray:
        """``shape`` bool array, True inside the box."""
        mask = np.zeros(shape, dtype=np.bool_)
        pairs = zip(self.centre_voxel, self.size_voxels, strict=True)
        mask[tuple(slice(c - n // 2, c + n // 2 + 1) for c, n in pairs)] = True
        return mask

    def to_json(self) -> dict[str, Any]:
        """``{centre_voxel, size_voxels, size_mm}`` as lists, ``[z, y, x]``."""
        return {
            "centre_voxel": list(self.centre_voxel),
            "size_voxels": list(self.size_voxels),
            "size_mm": [round(value, 4) for value in self.size_mm],
        }


def window_voxels(*, spacing_mm: Sequence[float], window_mm: float = WINDOW_MM) -> tuple[int, int, int]:
    """Odd window size per axis ``(z, y, x)`` closest to ``window_mm`` for ``spacing_mm``, at least 3."""
    if len(spacing_mm) != 3 or not all(s > 0 for s in spacing_mm) or not window_mm > 0:
        raise ValueError(f"Arguments 'spacing_mm' (3 > 0) and 'window_mm' (> 0) are required, got {spacing_mm}.")
    z, y, x = (max(3, 2 * round((window_mm / s - 1.0) / 2.0) + 1) for s in spacing_mm)
    return (z, y, x)


def _local_mean_and_cov(*, image: FloatArray, size: tuple[int, int, int]) -> tuple[FloatArray, FloatArray]:
    """Box mean and std / mean of ``image`` over ``size`` around every voxel (CoV is inf where mean ≤ 0)."""
    mean = ndi.uniform_filter(image, size=size, mode="constant")
    std = ndi.uniform_filter(image * image, size=size, mode="constant")  # the mean square, then the std in place
    std -= mean * mean
    np.sqrt(np.maximum(std, 0.0, out=std), out=std)
    cov = np.full(image.shape, np.inf)
    np.divide(std, mean, out=cov, where=mean > 0)
    return mean, cov


def _inner_centres(*, shape: tuple[int, ...], size: tuple[int, int, int]) -> BoolArray:
    """Centres whose ``size`` window lies wholly inside a ``shape`` volume."""
    inner = np.zeros(shape, dtype=np.bool_)
    inner[tuple(slice(n // 2, length - n // 2) for n, length in zip(size, shape, strict=True))] = True
    return inner


def _body_box(*, body: BoolArray, margin: Sequence[int]) -> tuple[slice, ...] | None:
    """The bounding box of ``body`` grown by ``margin`` voxels per axis (clipped to the volume); None when empty."""
    box = []
    for axis, (pad, length) in enumerate(zip(margin, body.shape, strict=True)):
        present = np.flatnonzero(body.any(axis=tuple(other for other in range(body.ndim) if other != axis)))
        if present.size == 0:
            return None
        box.append(slice(max(int(present[0]) - pad, 0), min(int(present[-1]) + 1 + pad, length)))
    return tuple(box)


def _windows_in_body(*, body: BoolArray, size: tuple[int, int, int]) -> BoolArray:
    """Centres whose ``size`` window lies wholly in ``body`` (nothing outside the array is body)."""
    inside: BoolArray = ndi.minimum_filter(body.view(np.uint8), size=size, mode="constant", cval=0) > 0
    return inside


def find_uniform_region(
    *,
    voxels: npt.NDArray[np.floating],
    body: BoolArray,
    spacing_mm: tuple[float, float, float],
    window_mm: float = WINDOW_MM,
    fwhm_mm: float = SELECTION_FWHM_MM,
    scale: float | None = None,
) -> UniformRegion | None:
    """The most uniform body window of ``voxels`` ``(z, y, x)`` (module docstring); None when no window qualifies.

    Only the body's bounding box, grown by the smoothing kernel's radius, is filtered: a window wholly in the
    body sees no smoothed value that depends on a voxel outside it, so the choice is the one over the whole volume.

    Args:
        voxels: ``(z, y, x)`` input activity, any unit.
        body: ``(z, y, x)`` bool body mask (:func:`body_mask`).
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        window_mm: window side, mm.
        fwhm_mm: FWHM of the smoothing applied before the choice, mm.
        scale: the volume's activity scale when the caller has it already.
    """
    size = window_voxels(spacing_mm=spacing_mm, window_mm=window_mm)
    if any(n > length for n, length in zip(size, voxels.shape, strict=True)):
        return None
    sigma = [fwhm_mm / _FWHM_PER_SIGMA / s for s in spacing_mm]
    box = _body_box(body=body, margin=[int(_TRUNCATE * s + 0.5) for s in sigma])
    if box is None:
        return None
    values = np.asarray(voxels[box], dtype=np.float64)
    mean, cov = _local_mean_and_cov(
        image=ndi.gaussian_filter(values, sigma, mode="nearest", truncate=_TRUNCATE), size=size
    )
    candidates = _windows_in_body(body=body[box], size=size) & _inner_centres(shape=values.shape, size=size)
    scale = activity_scale(voxels=voxels) if scale is None else scale
    candidates &= (mean >= REGION_MIN_FRACTION * scale) & (mean <= REGION_MAX_FRACTION * scale)
    if not candidates.any():
        return None
    best = np.unravel_index(int(np.argmin(np.where(candidates, cov, np.inf))), values.shape)
    z, y, x = (int(index) + part.start for index, part in zip(best, box, strict=True))
    return UniformRegion(centre_voxel=(z, y, x), size_voxels=size, spacing_mm=spacing_mm)


def region_cov(*, voxels: npt.NDArray[np.floating], region: UniformRegion) -> float | None:
    """SD (N − 1) / mean of ``voxels`` ``(z, y, x)`` over ``region``, a fraction; None when the mean is ≤ 0."""
    mask = region.mask(shape=voxels.shape)
    if float(np.mean(voxels[mask], dtype=np.float64)) <= 0:
        return None
    return coefficient_of_variation(image=voxels, mask=mask) / 100.0


def _maxima(*, before: PetVolume, after: PetVolume) -> dict[str, Any]:
    """Whole-volume maxima in Bq/ml (null unless BQML) and SUVmax (null without an SUV factor)."""
    maxima = (float(np.max(before.voxels)), float(np.max(after.voxels)))
    bqml = before.units is Units.BQML
    factor = before.suv.factor
    return {
        "units": before.units_raw if before.units is Units.OTHER else before.units.value,
        "suv_factor": factor,
        "suv_reason": before.suv.reason,
        "suvmax_in": maxima[0] * factor if factor is not None else None,
        "suvmax_out": maxima[1] * factor if factor is not None else None,
        "max_bqml_in": maxima[0] if bqml else None,
        "max_bqml_out": maxima[1] if bqml else None,
    }


def _body_ratio(*, before: PetVolume, after: PetVolume, body: BoolArray) -> dict[str, Any]:
    """Body size and the ratio of the mean (= total) activity in the body, out / in."""
    mean_in = float(np.mean(before.voxels[body], dtype=np.float64)) if body.any() else 0.0
    mean_out = float(np.mean(after.voxels[body], dtype=np.float64)) if body.any() else 0.0
    voxel_ml = math.prod(before.geometry.spacing_mm) / 1000.0
    return {
        "suvmean_ratio_body": mean_out / mean_in if mean_in > 0 else None,
        "body_voxels": int(body.sum()),
        "body_volume_ml": round(int(body.sum()) * voxel_ml, 3),
    }


def _noise(*, before: PetVolume, after: PetVolume, body: BoolArray, scale: float) -> dict[str, Any]:
    """CoV of input and output in the uniform region, or nulls and the reason there is none."""
    spacing = before.geometry.spacing_mm
    region = find_uniform_region(voxels=before.voxels, body=body, spacing_mm=spacing, scale=scale)
    if region is None:
        size = window_voxels(spacing_mm=spacing)
        reason = (
            f"no {WINDOW_MM:g} mm window ({size} voxels) lies in the body with a mean of at least "
            f"{REGION_MIN_FRACTION:g}-{REGION_MAX_FRACTION:g} x the activity scale"
        )
        empty = {"centre_voxel": None, "size_voxels": None, "size_mm": None, "reason": reason}
        return {"noise_cov_in": None, "noise_cov_out": None, "uniform_region": empty}
    return {
        "noise_cov_in": region_cov(voxels=before.voxels, region=region),
        "noise_cov_out": region_cov(voxels=after.voxels, region=region),
        "uniform_region": region.to_json(),
    }


def quality_control(
    *, before: PetVolume, after: PetVolume, scale: float | None = None, body: BoolArray | None = None
) -> dict[str, Any]:
    """The ``qc`` section of result.json for input ``before`` and denoised ``after`` (same grid and units).

    ``scale`` and ``body``: ``before``'s :func:`~imaging.intensity.activity_scale` and
    :func:`~imaging.intensity.body_mask` when the caller computed them already.
    """
    if before.shape != after.shape:
        raise ValueError(f"Arguments 'before' and 'after' should have one shape, got {before.shape}, {after.shape}.")
    scale = activity_scale(voxels=before.voxels) if scale is None else scale
    body = body_mask(voxels=before.voxels, scale=scale) if body is None else body
    return {
        **_maxima(before=before, after=after),
        **_body_ratio(before=before, after=after, body=body),
        **_noise(before=before, after=after, body=body, scale=scale),
    }
