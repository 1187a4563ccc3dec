"""One robust intensity scale per PET volume, shared by the denoiser's training shards and its inference.

A network sees ``voxels / scale`` and its output is mapped back with ``* scale``: the scale only has to be a
typical tissue activity that does not move with the noise level, so that a 0.5 % and a 50 % count image of the
same patient land on the same normalised intensities. The scale is:

1. ``threshold`` = the mean of the whole volume (air included; unbiased under Poisson-like noise);
2. ``active`` = voxels whose Gaussian-smoothed value (σ = 3 voxels) exceeds ``threshold`` (the smoothing keeps
   noise spikes and noisy cold regions out, so the region is the same at every count level);
3. ``scale`` = the mean of the raw voxels in ``active``.

Means of many voxels are unbiased under zero-mean noise: on simulated torso and brain studies the scale moves by
≤ 4 % from 100 % to 0.5 % counts (the 99.5th percentile used before moved by a factor of five). It is homogeneous,
``scale(k·v) = k·scale(v)`` for ``k > 0``, so Bq/ml and SUV volumes are normalised alike.

The body mask (:func:`body_mask`) is ``G_σ(voxels) > 0.1 × scale`` with σ = 2 voxels: the body and a margin of
about 2 voxels of air, the same region at any count level. QC measures activity over it, and the denoiser
preserves the total activity inside it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

__all__ = ["BODY_FRACTION", "BODY_SIGMA_VOXELS", "SMOOTHING_SIGMA_VOXELS", "activity_scale", "body_mask"]

BoolArray = npt.NDArray[np.bool_]

BODY_SIGMA_VOXELS = 2.0
"""σ of the Gaussian that smooths the volume before the body threshold, voxels."""
BODY_FRACTION = 0.1
"""Body threshold as a fraction of the volume's activity scale."""

SMOOTHING_SIGMA_VOXELS = 3.0
"""σ of the Gaussian that smooths the volume before thresholding, voxels."""


def activity_scale(*, voxels: npt.NDArray[np.floating]) -> float:
    """The mean activity of ``voxels`` ``(z, y, x)`` over its active region (module docstring), in their units.

    Returns 1.0 when the volume has no positive mean (an empty or all-negative image), so dividing by it is safe.
    """
    if voxels.ndim != 3:
        raise ValueError(f"Argument 'voxels' should be a 3D (z, y, x) array, got shape {voxels.shape}.")
    values = np.asarray(voxels, dtype=np.float64)
    threshold = float(values.mean())
    if not np.isfinite(threshold) or threshold <= 0:
        return 1.0
    active = ndi.gaussian_filter(values, SMOOTHING_SIGMA_VOXELS, mode="nearest") > threshold
    scale = float(values[active].mean()) if active.any() else threshold
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def body_mask(*, voxels: npt.NDArray[np.floating], scale: float | None = None) -> BoolArray:
    """``(z, y, x)`` bool body mask of ``voxels`` ``(z, y, x)`` (any activity unit): see the module docstring.

    ``scale``: the volume's :func:`activity_scale` when the caller has it already.
    """
    values = np.asarray(voxels, dtype=np.float64)
    smoothed = ndi.gaussian_filter(values, BODY_SIGMA_VOXELS, mode="nearest")
    scale = activity_scale(voxels=values) if scale is None else scale
    mask: BoolArray = smoothed > BODY_FRACTION * scale
    return mask
