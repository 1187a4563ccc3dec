"""How well predicted scores agree with reference scores: MAE, % exact, % within ±0.5, Spearman, per metric."""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from scipy import stats

from models.iqa.labels import METRICS, round_to_grid

__all__ = ["agreement", "spearman"]


def spearman(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Spearman's rank correlation of ``a`` and ``b``; NaN when either is constant or shorter than 3."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.spearmanr(x, y).statistic)


def agreement(
    *, predicted: npt.NDArray[np.floating], reference: npt.NDArray[np.floating]
) -> dict[str, dict[str, float]]:
    """Per metric of ``(n, 3)`` unrounded ``predicted`` against ``(n, 3)`` ``reference`` scores.

    The reference is a label on the 0.5 grid (a clinician's score, or the observer's rounded as its labels are);
    the prediction is compared as reported, rounded to the grid: ``mae``, ``exact`` (%) and ``within_half`` (%)
    of the rounded prediction against the rounded reference; ``spearman`` of the unrounded values."""
    rounded, truth = round_to_grid(predicted), round_to_grid(reference)
    result = {}
    for i, metric in enumerate(METRICS):
        error = np.abs(rounded[:, i] - truth[:, i])
        result[metric] = {
            "mae": float(error.mean()),
            "exact": float(100.0 * np.mean(error < 1e-9)),
            "within_half": float(100.0 * np.mean(error <= 0.5 + 1e-9)),
            "spearman": spearman(predicted[:, i], np.asarray(reference)[:, i]),
        }
    return result
