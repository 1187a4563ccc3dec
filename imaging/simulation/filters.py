"""Image-space filters of the simulator: the clinical Gaussian post-filter."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

__all__ = ["gaussian_postfilter"]

FloatArray = npt.NDArray[np.float32]


def gaussian_postfilter(*, images: FloatArray, fwhm_mm: float, spacing_mm: tuple[float, float, float]) -> FloatArray:
    """Isotropic 3D Gaussian post-filter.

    Args:
        images: ``(z, y, x) float32``, e.g. Bq/ml.
        fwhm_mm: full width at half maximum, mm; 0 returns a float32 copy.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.

    Returns:
        ``(z, y, x) float32`` in the units of ``images`` (edges replicate the border voxels).
    """
    if images.ndim != 3:
        raise ValueError(f"Argument 'images' should be a 3D (z, y, x) array, got shape {images.shape}.")
    if fwhm_mm < 0 or any(s <= 0 for s in spacing_mm):
        raise ValueError(f"Arguments 'fwhm_mm' and 'spacing_mm' should be ≥ 0 and > 0, got {fwhm_mm} and {spacing_mm}.")
    out = np.array(images, dtype=np.float32)
    if fwhm_mm == 0:
        return out
    sigma = [fwhm_mm / (2.0 * math.sqrt(2.0 * math.log(2.0))) / s for s in spacing_mm]
    return np.asarray(ndi.gaussian_filter(out, sigma, mode="nearest"), dtype=np.float32)
