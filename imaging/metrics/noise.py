"""Noise level and noise grain: coefficient of variation in a uniform region, autocorrelation width.

::

    CoV = SD_{v∈M}(x_v) / mean_{v∈M}(x_v) × 100          SD with the |M| − 1 normalisation            [%]

    ρ(k) = [ Σ_i n_i n_{i+k} / (N − k) ] / [ Σ_i n_i² / N ]   normalised autocorrelation of the mean-free noise
                                                             n along one axis at lag k ≥ 0, summed over all
                                                             lines along that axis (unbiased lag weighting)
    FWHM = 2 · k½ · Δ,  ρ(k½) = 1/2 (linear interpolation between integer lags)                        [mm]

For noise made by filtering white noise with a Gaussian of standard deviation σ, ρ is a Gaussian of standard
deviation √2 σ, so FWHM = √2 × the filter's FWHM; white noise gives one voxel (ρ(1) = 0 → k½ = 1/2).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import fft

from imaging.errors import InputError
from imaging.metrics._checks import FloatArray, as_image, as_mask, as_spacing

__all__ = ["autocorrelation", "coefficient_of_variation", "noise_autocorrelation_fwhm"]


def coefficient_of_variation(*, image: npt.ArrayLike, mask: npt.ArrayLike) -> float:
    """Coefficient of variation (%) of the voxels of ``mask`` in ``image``: SD (N − 1) / mean × 100.

    Args:
        image: ``(z, y, x)`` activity, any unit; ``mask`` should cover a region of uniform true activity.
        mask: ``(z, y, x)`` bool, at least 2 voxels.
    """
    volume = as_image(value=image, name="image")
    values = volume[as_mask(value=mask, name="mask", shape=volume.shape)]
    if values.size < 2:
        raise InputError("Argument 'mask' should select at least 2 voxels for a standard deviation.", check="mask")
    mean = float(values.mean())
    if mean <= 0:
        raise InputError(f"Argument 'image' should have a positive mean inside 'mask', got {mean}.", check="mask")
    return float(values.std(ddof=1)) / mean * 100.0


def autocorrelation(*, noise: FloatArray, axis: int) -> FloatArray:
    """Normalised autocorrelation ``ρ(k)``, ``k = 0..N−1``, of mean-free ``noise`` along ``axis`` (see above)."""
    length = noise.shape[axis]
    centred = noise - noise.mean()
    size = fft.next_fast_len(2 * length)
    spectrum = fft.rfft(centred, n=size, axis=axis)
    lagged = fft.irfft(spectrum * np.conj(spectrum), n=size, axis=axis)
    summed = np.moveaxis(lagged, axis, 0)[:length].reshape(length, -1).sum(axis=1)
    unbiased = summed / (length - np.arange(length))
    result: FloatArray = unbiased / unbiased[0]
    return result


def noise_autocorrelation_fwhm(*, noise: npt.ArrayLike, spacing_mm: Sequence[float], axis: int) -> float:
    """FWHM (mm) of the normalised noise autocorrelation along one axis: the noise grain size.

    Args:
        noise: real array of any dimension, e.g. ``(z, y, x)`` image minus its truth or a uniform region
            minus its mean; the global mean is removed first.
        spacing_mm: voxel spacing per axis of ``noise``, mm.
        axis: the axis along which to correlate.

    Returns:
        ``2 · k½ · spacing_mm[axis]``, mm.
    """
    values = np.asarray(noise)
    array = as_image(value=values, name="noise", ndim=max(values.ndim, 1))
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=array.ndim)
    if not -array.ndim <= axis < array.ndim:
        raise InputError(
            f"Argument 'axis' should index one of the {array.ndim} axes of 'noise', got {axis}.", check="axis"
        )
    if array.shape[axis] < 3 or not np.any(array != array.mean()):
        raise InputError("Argument 'noise' should vary and have at least 3 samples along 'axis'.", check="noise")
    rho = autocorrelation(noise=array, axis=axis)
    below = np.flatnonzero(rho < 0.5)
    if below.size == 0:
        raise InputError(
            "Argument 'noise' is correlated beyond its length along 'axis'; no half maximum.", check="noise"
        )
    k = int(below[0])
    half_lag = (k - 1) + (rho[k - 1] - 0.5) / (rho[k - 1] - rho[k])
    return float(2.0 * half_lag * spacing[axis % array.ndim])
