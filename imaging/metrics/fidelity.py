"""Fidelity to a noise-free reference: PSNR and SSIM over a (z, y, x) volume, optionally inside a mask.

Both default the data range ``L`` to the reference's dynamic range inside the mask, ``max(ref) − min(ref)``,
so that a PET volume in Bq/ml and the same volume in SUV give the same score.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.errors import InputError
from imaging.metrics._checks import FloatArray, as_image, as_mask, positive, same_shape

__all__ = ["psnr", "ssim"]

SSIM_SIGMA = 1.5
SSIM_TRUNCATE = 3.5


def _prepared(
    *, image: npt.ArrayLike, reference: npt.ArrayLike, mask: npt.ArrayLike | None, data_range: float | None
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_], float]:
    ref = as_image(value=reference, name="reference")
    img = as_image(value=image, name="image")
    same_shape(value=img, name="image", reference=ref, reference_name="reference")
    region = as_mask(value=mask, name="mask", shape=ref.shape)
    if data_range is None:
        inside = ref[region]
        span = float(inside.max() - inside.min())
        if span <= 0:
            raise InputError(
                "Argument 'reference' should vary inside 'mask' when 'data_range' is not given "
                "(its max − min is 0); pass 'data_range' explicitly.",
                check="data_range",
            )
        return img, ref, region, span
    return img, ref, region, positive(value=data_range, name="data_range")


def psnr(
    *,
    image: npt.ArrayLike,
    reference: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    data_range: float | None = None,
) -> float:
    """Peak signal-to-noise ratio of ``image`` against ``reference``, in dB.

    ``PSNR = 10 · log10(L² / MSE)``, ``MSE = (1/|M|) Σ_{v∈M} (image_v − reference_v)²`` (the standard definition,
    e.g. Wang et al. 2004, IEEE TIP 13:600, §I), ``M`` the mask.

    Args:
        image: ``(z, y, x)`` real array, any unit (the reference's).
        reference: ``(z, y, x)`` noise-free array, same shape and unit.
        mask: ``(z, y, x)`` bool, the voxels scored; None scores every voxel.
        data_range: ``L`` in the image unit; default ``max − min`` of the reference inside the mask.

    Returns:
        PSNR in dB; ``inf`` when the image equals the reference inside the mask.
    """
    img, ref, region, span = _prepared(image=image, reference=reference, mask=mask, data_range=data_range)
    mse = float(np.mean((img[region] - ref[region]) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(span**2 / mse)


def _ssim_map(
    *, image: FloatArray, reference: FloatArray, data_range: float, sigma: tuple[float, ...], k1: float, k2: float
) -> FloatArray:
    """Local SSIM at every voxel (Wang et al. 2004, Eq. 13) with Gaussian-weighted local statistics."""

    def smooth(values: FloatArray) -> FloatArray:
        result: FloatArray = ndimage.gaussian_filter(values, sigma=sigma, mode="reflect", truncate=SSIM_TRUNCATE)
        return result

    mu_x, mu_y = smooth(image), smooth(reference)
    var_x = smooth(image * image) - mu_x**2
    var_y = smooth(reference * reference) - mu_y**2
    cov_xy = smooth(image * reference) - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    numerator = (2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)
    denominator = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    result: FloatArray = numerator / denominator
    return result


def ssim(
    *,
    image: npt.ArrayLike,
    reference: npt.ArrayLike,
    mask: npt.ArrayLike | None = None,
    data_range: float | None = None,
    sigma_voxels: float = SSIM_SIGMA,
    k1: float = 0.01,
    k2: float = 0.03,
    per_slice: bool = False,
) -> float:
    """Mean structural similarity of ``image`` to ``reference`` (Wang et al. 2004, IEEE TIP 13:600, Eq. 13).

    At each voxel, with local means ``μ``, variances ``σ²`` and covariance ``σ_xy`` weighted by a Gaussian window
    (σ = ``sigma_voxels``, truncated at 3.5 σ, i.e. an 11-voxel window for σ = 1.5)::

        SSIM = (2 μ_x μ_y + C1)(2 σ_xy + C2) / ((μ_x² + μ_y² + C1)(σ_x² + σ_y² + C2)),
        C1 = (K1 L)², C2 = (K2 L)²

    and the score is the mean of that map over the mask. The window is 3D (isotropic in voxels) by default;
    ``per_slice=True`` uses a 2D window in each transverse slice (σ = 0 along z), which for a full mask equals
    the average of the per-slice 2D MSSIMs. Borders are handled by reflection (every voxel keeps a value);
    the statistics use the 1/N (not 1/(N−1)) normalisation, as Wang et al. do. The map equals the ``full`` map of
    ``skimage.metrics.structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)``;
    skimage's scalar averages it without a 5-voxel border, which a mask reproduces.

    Args:
        image: ``(z, y, x)`` real array in the reference's unit.
        reference: ``(z, y, x)`` noise-free array, same shape.
        mask: ``(z, y, x)`` bool, the voxels averaged; None averages every voxel.
        data_range: ``L``; default ``max − min`` of the reference inside the mask.
        sigma_voxels: Gaussian window standard deviation, voxels.
        k1, k2: the stabilising constants of Wang et al.
        per_slice: 2D windows in transverse slices instead of a 3D window.

    Returns:
        Mean SSIM, dimensionless, ≤ 1 (1 for identical images).
    """
    img, ref, region, span = _prepared(image=image, reference=reference, mask=mask, data_range=data_range)
    width = positive(value=sigma_voxels, name="sigma_voxels")
    for name, value in (("k1", k1), ("k2", k2)):
        positive(value=value, name=name)
    sigma = (0.0, width, width) if per_slice else (width, width, width)
    local = _ssim_map(image=img, reference=ref, data_range=span, sigma=sigma, k1=k1, k2=k2)
    return float(np.mean(local[region]))
