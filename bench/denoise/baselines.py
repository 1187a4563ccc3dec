"""Classical denoisers the quality benchmark compares petiq with: a 3D Gaussian post-filter and non-local means.

Both take and return ``(z, y, x) float32`` activity (e.g. Bq/ml) and are pure functions of their arguments.

Non-local means (Buades et al. 2005) runs slice by slice in 2D (scikit-image ``denoise_nl_means``, fast mode) on
the volume divided by :func:`imaging.intensity.activity_scale`, with filtering strength ``h = k · σ̂``. ``σ̂`` is
:func:`robust_noise_sigma`: a median-absolute-deviation estimate from neighbouring-voxel differences inside the
active region. Reconstructed PET noise is spatially correlated, so ``σ̂`` underestimates the per-voxel noise SD
(by a factor of ~2–3 on v1 reconstructions); it serves to make ``k`` comparable across count levels and
studies, and the benchmark sweeps ``k``. (scikit-image's ``estimate_sigma`` needs PyWavelets, which petiq does
not install, and its median over the whole field of view would be dominated by the air around the body.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi
from skimage.restoration import denoise_nl_means

from imaging.intensity import SMOOTHING_SIGMA_VOXELS, activity_scale
from imaging.simulation.filters import gaussian_postfilter

__all__ = [
    "DEFAULT_FWHM_SWEEP_MM",
    "DEFAULT_NLM_STRENGTHS",
    "MAD_TO_SD",
    "NlmSettings",
    "gaussian_baseline",
    "nlm_baseline",
    "robust_noise_sigma",
]

FloatArray = npt.NDArray[np.float32]

DEFAULT_FWHM_SWEEP_MM: tuple[float, ...] = (0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 20.0)
"""Gaussian FWHMs (mm) applied on top of the protocol's own post-filter; 0 is the input itself."""

DEFAULT_NLM_STRENGTHS: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0, 12.0, 16.0)
"""Multiples ``k`` of ``σ̂`` used as the NLM filtering strength ``h``."""

MAD_TO_SD = 1.4826
"""SD of a normal distribution over its median absolute deviation."""


@dataclass(frozen=True, kw_only=True)
class NlmSettings:
    """Non-local means window sizes, in voxels of a transverse slice.

    Attributes:
        patch_size: side of the square patches compared.
        patch_distance: half-side of the search window (``2·d + 1`` voxels wide).
    """

    patch_size: int = 5
    patch_distance: int = 5

    def __post_init__(self) -> None:
        if self.patch_size < 1 or self.patch_distance < 1:
            raise ValueError(
                f"Arguments 'patch_size' and 'patch_distance' should be ≥ 1, got {self.patch_size} and "
                f"{self.patch_distance}."
            )


def _check_volume(voxels: npt.NDArray[np.floating]) -> None:
    if voxels.ndim != 3:
        raise ValueError(f"Argument 'voxels' should be a 3D (z, y, x) array, got shape {voxels.shape}.")


def robust_noise_sigma(*, voxels: npt.NDArray[np.floating]) -> float:
    """``σ̂ = 1.4826 · median|v[x+1] − v[x]| / √2`` over neighbouring pairs along x inside the active region.

    The active region is :mod:`imaging.intensity`'s: voxels whose Gaussian-smoothed value (σ = 3 voxels) exceeds
    the volume mean; a pair counts when both voxels are in it. For white noise of SD σ on a locally flat image
    ``σ̂ → σ``; correlated noise gives less (module docstring).

    Args:
        voxels: ``(z, y, x)`` real array, any unit.

    Returns:
        ``σ̂`` in the unit of ``voxels``; 0.0 when fewer than two voxels are active.
    """
    _check_volume(voxels)
    values = np.asarray(voxels, dtype=np.float64)
    active = ndi.gaussian_filter(values, SMOOTHING_SIGMA_VOXELS, mode="nearest") > values.mean()
    pairs = active[..., 1:] & active[..., :-1]
    if not pairs.any():
        return 0.0
    differences = np.abs(np.diff(values, axis=2)[pairs])
    return float(MAD_TO_SD * np.median(differences) / math.sqrt(2.0))


def gaussian_baseline(
    *, voxels: npt.NDArray[np.floating], fwhm_mm: float, spacing_mm: tuple[float, float, float]
) -> FloatArray:
    """The benchmark's Gaussian: the simulator's isotropic 3D post-filter applied once more.

    Args:
        voxels: ``(z, y, x)`` activity, e.g. Bq/ml.
        fwhm_mm: FWHM in mm, ≥ 0 (0 returns a float32 copy).
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.

    Returns:
        ``(z, y, x) float32`` in the unit of ``voxels``.
    """
    _check_volume(voxels)
    return gaussian_postfilter(images=np.asarray(voxels, dtype=np.float32), fwhm_mm=fwhm_mm, spacing_mm=spacing_mm)


def nlm_baseline(
    *, voxels: npt.NDArray[np.floating], strength: float, settings: NlmSettings | None = None
) -> FloatArray:
    """Slice-wise 2D non-local means with ``h = strength · σ̂`` on the activity-scaled volume (module docstring).

    Args:
        voxels: ``(z, y, x)`` activity, e.g. Bq/ml.
        strength: ``k ≥ 0``; 0 returns a float32 copy.
        settings: patch and search-window sizes; None for :class:`NlmSettings` defaults.

    Returns:
        ``(z, y, x) float32`` in the unit of ``voxels``.
    """
    _check_volume(voxels)
    if not math.isfinite(strength) or strength < 0:
        raise ValueError(f"Argument 'strength' should be a finite number ≥ 0, got {strength}.")
    chosen = settings or NlmSettings()
    scale = activity_scale(voxels=voxels)
    normalised = np.asarray(voxels, dtype=np.float64) / scale
    sigma = robust_noise_sigma(voxels=normalised)
    if strength == 0 or sigma == 0:
        return np.array(voxels, dtype=np.float32)
    slices = [
        denoise_nl_means(
            plane,
            h=strength * sigma,
            sigma=sigma,
            patch_size=chosen.patch_size,
            patch_distance=chosen.patch_distance,
            fast_mode=True,
            channel_axis=None,
        )
        for plane in normalised
    ]
    return np.asarray(np.stack(slices) * scale, dtype=np.float32)
