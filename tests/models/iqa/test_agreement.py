"""Agreement figures: MAE, % exact and % within ±0.5 on the 0.5 grid; Spearman of the raw values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.iqa.agreement import agreement, spearman


def test_figures_on_the_grid() -> None:
    reference = np.asarray([[1.0, 2.0, 3.0], [2.0, 2.0, 0.5], [0.5, 1.5, 1.0], [3.0, 0.0, 2.0]])
    predicted = reference + np.asarray([[0.1, 0.6, -0.2], [0.0, -0.3, 0.0], [1.1, 0.0, 0.2], [0.0, 0.2, -0.9]])
    figures = agreement(predicted=predicted, reference=reference)
    # rounded predictions: gqr 1.0 2.0 1.5 3.0 / pr 2.5 1.5 1.5 0.0 / dc 3.0 0.5 1.0 1.0
    assert figures["gqr"] == pytest.approx({"mae": 0.25, "exact": 75.0, "within_half": 75.0, "spearman": 0.8})
    assert figures["pr"]["mae"] == pytest.approx(0.25) and figures["pr"]["within_half"] == 100.0
    assert figures["dc"]["exact"] == 75.0 and figures["dc"]["within_half"] == 75.0


def test_spearman_is_nan_when_undefined() -> None:
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3])) and math.isnan(spearman([1, 2], [1, 2]))
    assert spearman([1, 2, 3, 4], [10, 20, 40, 30]) == pytest.approx(0.8)
