"""The figures of the TGD experiments, pure functions over numpy arrays (all against the noise-free reference).

* :func:`drop_figures`: how much dropping kernels changes a denoised volume (kernel-drop experiment);
* :func:`ensemble_figures`: ensemble lesion bias per lesion, their mean absolute value, and the liver CoV over R
  realisations (TGD paper eq. 10–11, through :mod:`bench.denoise.scores`);
* :func:`roi_relative_error`: mean absolute error inside an ROI relative to the ROI's reference mean (online
  learning: the out-of-distribution catheter or bladder).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bench.denoise.scores import lesion_biases, liver_cov
from imaging.intensity import activity_scale
from imaging.metrics import psnr
from imaging.simulation.phantom import Phantom

__all__ = ["DropFigures", "EnsembleFigures", "drop_figures", "ensemble_figures", "roi_relative_error"]

FloatArray = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, kw_only=True)
class DropFigures:
    """One volume denoised by the base network and by the network with kernels dropped.

    Attributes:
        psnr_base_db, psnr_dropped_db: PSNR in the body vs the noise-free reference, dB.
        change_pct: mean |dropped − base| in the body, percent of the noisy input's activity scale.
        of_correction_pct: mean |dropped − base| over mean |base − noisy input| in the body, percent: how much of
            what the network does to the image moved.
    """

    psnr_base_db: float
    psnr_dropped_db: float
    change_pct: float
    of_correction_pct: float


def drop_figures(
    *, noisy: FloatArray, base: FloatArray, dropped: FloatArray, reference: FloatArray, body: BoolArray
) -> DropFigures:
    """Figures (:class:`DropFigures`) of ``(z, y, x)`` volumes in one unit (e.g. Bq/ml) inside the ``body`` mask."""
    shapes = {a.shape for a in (noisy, base, dropped, reference, body)}
    if len(shapes) != 1 or not body.any():
        raise ValueError(f"Arguments should share one (z, y, x) shape and a non-empty 'body', got {sorted(shapes)}.")
    change = float(np.mean(np.abs(dropped[body].astype(np.float64) - base[body])))
    correction = float(np.mean(np.abs(base[body].astype(np.float64) - noisy[body])))
    return DropFigures(
        psnr_base_db=psnr(image=base, reference=reference, mask=body),
        psnr_dropped_db=psnr(image=dropped, reference=reference, mask=body),
        change_pct=change / activity_scale(voxels=noisy) * 100.0,
        of_correction_pct=change / correction * 100.0 if correction > 0 else float("nan"),
    )


@dataclass(frozen=True, kw_only=True)
class EnsembleFigures:
    """Ensemble figures of one method on one study over R realisations.

    Attributes:
        lesion_bias_pct: lesion name → ensemble bias (eq. 10), percent of the reference's lesion mean.
        mean_abs_bias_pct: mean over lesions of |bias|, percent (NaN without lesions).
        liver_cov_pct: ensemble voxel CoV in the liver (eq. 11), percent; None without a liver.
    """

    lesion_bias_pct: dict[str, float]
    mean_abs_bias_pct: float
    liver_cov_pct: float | None


def ensemble_figures(*, images: FloatArray, reference: FloatArray, phantom: Phantom) -> EnsembleFigures:
    """:class:`EnsembleFigures` of ``images (R, z, y, x)``, R ≥ 2, against ``reference (z, y, x)`` (same unit)."""
    biases, _ = lesion_biases(images=images, reference=reference, phantom=phantom)
    mean_abs = float(np.mean(np.abs(list(biases.values())))) if biases else float("nan")
    return EnsembleFigures(
        lesion_bias_pct=biases, mean_abs_bias_pct=mean_abs, liver_cov_pct=liver_cov(images=images, phantom=phantom)
    )


def roi_relative_error(*, images: FloatArray, reference: FloatArray, mask: BoolArray) -> float:
    """Mean over realisations of mean_{v∈ROI} |x_r,v − ref_v|, over mean_{v∈ROI} ref_v, percent.

    ``images (R, z, y, x)`` (R ≥ 1) and ``reference (z, y, x)`` in one unit; ``mask (z, y, x)`` bool, the ROI.
    """
    if images.ndim != 4 or images.shape[1:] != reference.shape or mask.shape != reference.shape:
        raise ValueError(
            f"Arguments 'images' (R, z, y, x), 'reference' and 'mask' (z, y, x) should match, got {images.shape}, "
            f"{reference.shape} and {mask.shape}."
        )
    true_mean = float(np.mean(reference[mask], dtype=np.float64)) if mask.any() else 0.0
    if not true_mean > 0:
        raise ValueError("Argument 'mask' should be a non-empty ROI with a positive reference mean.")
    errors = np.abs(images[:, mask].astype(np.float64) - reference[mask]).mean(axis=1)
    return float(errors.mean() / true_mean * 100.0)
