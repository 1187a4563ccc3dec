"""Slice spacing: uniform within 1% of the spacing, with a 0.1 mm floor for header rounding at bed junctions."""

from __future__ import annotations

import numpy as np
import pytest

from imaging.dicom.slices import slice_spacing
from imaging.errors import SeriesError


def _positions(gaps: list[float]) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(gaps)])


def test_uniform_spacing_is_the_median_gap() -> None:
    assert slice_spacing(positions_mm=_positions([3.27] * 9), uid="1.2", fallback_mm=None) == pytest.approx(3.27)


def test_bed_junction_jitter_below_the_floor_is_accepted() -> None:
    # as in the real GE series: one 3.19 mm gap among 3.27 mm ones (0.08 mm, 2.4 %)
    gaps = [3.27] * 5 + [3.19] + [3.27] * 5
    assert slice_spacing(positions_mm=_positions(gaps), uid="1.2", fallback_mm=None) == pytest.approx(3.27)


@pytest.mark.parametrize(
    ("gaps", "index"),
    [
        ([10.0] * 4 + [10.3] + [10.0] * 4, 4),  # 3 % of a 10 mm spacing: over 1 %, over the floor
        ([2.0] * 4 + [2.15] + [2.0] * 4, 4),  # 0.15 mm at 2 mm: over the floor
        ([4.0] * 3 + [8.0] + [4.0] * 3, 3),  # a missing slice
    ],
)
def test_irregular_gap_is_named(gaps: list[float], index: int) -> None:
    with pytest.raises(SeriesError, match=f"between slices {index} and {index + 1}") as caught:
        slice_spacing(positions_mm=_positions(gaps), uid="1.2.3", fallback_mm=None)
    assert caught.value.check == "slice_spacing"
    assert caught.value.uid == "1.2.3"
