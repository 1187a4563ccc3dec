"""Ensemble figures over R noise realisations of the same study (TGD paper, Chen et al. 2021, Eq. 10–11).

With ``x_r`` the r-th of ``R`` reconstructions (independent noise, same truth ``f``)::

    Eq. 10  bias_L = ( (1/R) Σ_r mean_{v∈L} x_r,v  −  mean_{v∈L} f_v ) / mean_{v∈L} f_v × 100      [%]
    Eq. 11  CoV_V  = (1/|V|) Σ_{v∈V} [ SD_r(x_r,v) / ((1/R) Σ_r x_r,v) ] × 100                     [%]

``L`` a lesion ROI, ``V`` a uniform VOI (e.g. liver), ``SD_r`` the standard deviation over realisations with
the ``R − 1`` normalisation. Eq. 11 is the voxel-wise (ensemble) noise: it does not count true activity
variation inside ``V`` as noise, which a spatial SD in one image would.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError
from imaging.metrics._checks import FloatArray, as_image, as_mask

__all__ = ["ensemble_lesion_bias", "ensemble_voxel_cov"]


def _stack(value: npt.ArrayLike) -> FloatArray:
    stack = as_image(value=value, name="stack", ndim=4)
    if stack.shape[0] < 2:
        raise InputError(
            f"Argument 'stack' should hold at least 2 realisations on axis 0, got {stack.shape[0]}.", check="shape"
        )
    return stack


def ensemble_lesion_bias(*, stack: npt.ArrayLike, truth: npt.ArrayLike, lesion_mask: npt.ArrayLike) -> float:
    """Ensemble bias (%) of the lesion-ROI mean over realisations (Eq. 10 above).

    Args:
        stack: ``(R, z, y, x)`` reconstructions, R ≥ 2, unit of ``truth`` (e.g. Bq/ml).
        truth: ``(z, y, x)`` noise-free activity in the same unit.
        lesion_mask: ``(z, y, x)`` bool, the lesion ROI.

    Returns:
        Bias in percent of the true lesion mean (negative: underestimation).
    """
    images = _stack(stack)
    true = as_image(value=truth, name="truth")
    if true.shape != images.shape[1:]:
        raise InputError(
            f"Argument 'truth' should have the shape of one realisation {images.shape[1:]}, got {true.shape}.",
            check="shape",
        )
    lesion = as_mask(value=lesion_mask, name="lesion_mask", shape=true.shape)
    true_mean = float(true[lesion].mean())
    if true_mean == 0:
        raise InputError("Argument 'truth' should have a non-zero mean inside 'lesion_mask'.", check="truth")
    ensemble_mean = float(images[:, lesion].mean(axis=1).mean())
    return (ensemble_mean - true_mean) / true_mean * 100.0


def ensemble_voxel_cov(*, stack: npt.ArrayLike, voi_mask: npt.ArrayLike) -> float:
    """Ensemble voxel-wise coefficient of variation (%) in a VOI (Eq. 11 above).

    Args:
        stack: ``(R, z, y, x)`` reconstructions, R ≥ 2, any unit.
        voi_mask: ``(z, y, x)`` bool, the VOI (e.g. liver).

    Returns:
        Mean over VOI voxels of SD/mean over realisations, percent.
    """
    images = _stack(stack)
    voi = as_mask(value=voi_mask, name="voi_mask", shape=images.shape[1:])
    values = images[:, voi]
    means = values.mean(axis=0)
    if np.any(means <= 0):
        raise InputError(
            "Argument 'stack' should have a positive mean over realisations at every voxel of 'voi_mask'.",
            check="voi",
        )
    return float(np.mean(values.std(axis=0, ddof=1) / means) * 100.0)
