"""Contrast recovery vs background noise, for CRC-vs-STD trade-off curves (Gong et al. 2019, IEEE TRPMS, Eq. 6–7).

For realisations ``r = 1..R`` (R = 1 for a single image), lesion ROIs ``l = 1..L`` and background ROIs
``k = 1..K``, with ``a_r,l`` and ``b_r,k`` the ROI means::

    ā_r = (1/L) Σ_l a_r,l          b̄_r = (1/K) Σ_k b_r,k
    CRC = (1/R) Σ_r (ā_r / b̄_r − 1) / (a_true / b_true − 1)                                  (Eq. 6)
    STD = (1/R) Σ_r sqrt( Σ_k (b_r,k − b̄_r)² / (K − 1) ) / b̄_r                             (Eq. 7, ROI form)

STD is the spread of the background *ROI means* (not of voxels) relative to the background mean, per
realisation, then averaged. This ROI form is implemented because it is defined for a single image (a denoised
clinical-like study has one realisation) and it measures noise at the lesion's scale, like NEMA's background
variability; a per-voxel SD would reward a denoiser for removing grain finer than any lesion. Both figures are
fractions (CRC = 1 is perfect recovery; multiply STD by 100 for percent).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError
from imaging.metrics._checks import BoolArray, FloatArray, as_image, as_mask, positive

__all__ = ["CrcStdPoint", "background_std", "contrast_recovery", "crc_std_curve"]


@dataclass(frozen=True, kw_only=True)
class CrcStdPoint:
    """One point of a CRC-vs-STD curve.

    Attributes:
        setting: the reconstruction or denoising parameter the images were made with (iterations, β, FWHM...).
        crc: contrast recovery coefficient, fraction (Eq. 6).
        std: background standard deviation relative to the background mean, fraction (Eq. 7, ROI form).
    """

    setting: float
    crc: float
    std: float


def _realisations(value: npt.ArrayLike) -> FloatArray:
    stack = as_image(value=value, name="image", ndim=(3, 4))
    return stack[np.newaxis] if stack.ndim == 3 else stack


def _roi_means(*, stack: FloatArray, masks: Sequence[npt.ArrayLike], name: str, minimum: int) -> FloatArray:
    """``(R, n_rois)`` ROI means of each realisation."""
    if len(masks) < minimum:
        raise InputError(f"Argument '{name}' should hold at least {minimum} ROI masks, got {len(masks)}.", check="roi")
    checked: list[BoolArray] = [as_mask(value=mask, name=name, shape=stack.shape[1:]) for mask in masks]
    return np.stack([stack[:, mask].mean(axis=1) for mask in checked], axis=1)


def _background_means(*, stack: FloatArray, background_masks: Sequence[npt.ArrayLike]) -> FloatArray:
    means = _roi_means(stack=stack, masks=background_masks, name="background_masks", minimum=1)
    if np.any(means.mean(axis=1) <= 0):
        raise InputError("Argument 'image' should have a positive mean in 'background_masks'.", check="roi")
    return means


def contrast_recovery(
    *,
    image: npt.ArrayLike,
    lesion_masks: Sequence[npt.ArrayLike],
    background_masks: Sequence[npt.ArrayLike],
    true_ratio: float,
) -> float:
    """Contrast recovery coefficient CRC (Eq. 6), averaged over lesions then realisations.

    Args:
        image: ``(z, y, x)`` or ``(R, z, y, x)`` activity, any unit.
        lesion_masks: bool ``(z, y, x)`` lesion ROIs, all of true ratio ``true_ratio`` to the background.
        background_masks: bool ``(z, y, x)`` background ROIs.
        true_ratio: ``a_true / b_true``, ≠ 1.

    Returns:
        CRC, fraction (1 = full recovery).
    """
    stack = _realisations(image)
    if positive(value=true_ratio, name="true_ratio") == 1.0:
        raise InputError("Argument 'true_ratio' should differ from 1 (no contrast to recover).", check="true_ratio")
    lesion = _roi_means(stack=stack, masks=lesion_masks, name="lesion_masks", minimum=1).mean(axis=1)
    background = _background_means(stack=stack, background_masks=background_masks).mean(axis=1)
    return float(np.mean((lesion / background - 1.0) / (true_ratio - 1.0)))


def background_std(*, image: npt.ArrayLike, background_masks: Sequence[npt.ArrayLike]) -> float:
    """Relative background standard deviation STD (Eq. 7, ROI form), averaged over realisations.

    Args:
        image: ``(z, y, x)`` or ``(R, z, y, x)`` activity, any unit.
        background_masks: at least 2 bool ``(z, y, x)`` background ROIs.

    Returns:
        SD (K − 1) of the background ROI means divided by their mean, fraction.
    """
    stack = _realisations(image)
    if len(background_masks) < 2:
        raise InputError("Argument 'background_masks' should hold at least 2 ROI masks.", check="roi")
    means = _background_means(stack=stack, background_masks=background_masks)
    return float(np.mean(means.std(axis=1, ddof=1) / means.mean(axis=1)))


def crc_std_curve(
    *,
    images_by_setting: Mapping[float, npt.ArrayLike],
    lesion_masks: Sequence[npt.ArrayLike],
    background_masks: Sequence[npt.ArrayLike],
    true_ratio: float,
) -> tuple[CrcStdPoint, ...]:
    """CRC and STD for each setting of a reconstruction or denoising parameter, sorted by setting.

    Args:
        images_by_setting: setting → ``(z, y, x)`` or ``(R, z, y, x)`` image(s) made with it.
        lesion_masks, background_masks, true_ratio: as in :func:`contrast_recovery`.

    Returns:
        One :class:`CrcStdPoint` per setting, in increasing setting order.
    """
    if not images_by_setting:
        raise InputError("Argument 'images_by_setting' should hold at least one setting.", check="curve")
    return tuple(
        CrcStdPoint(
            setting=float(setting),
            crc=contrast_recovery(
                image=images, lesion_masks=lesion_masks, background_masks=background_masks, true_ratio=true_ratio
            ),
            std=background_std(image=images, background_masks=background_masks),
        )
        for setting, images in sorted(images_by_setting.items())
    )
