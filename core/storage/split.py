"""The split-series rule: which stored series is a half-count split reconstruction of which other series.

A PACS may send, next to the full-count PET series, two reconstructions of the same list-mode acquisition with
half of the counts each (A and B, the Noise2Noise pair). Nothing in a header says "split" in a standard way, so
petiq uses a documented rule. Series S is a split of series P of the same study when

1. S's SeriesDescription matches the configured pattern (``split_description_pattern``) and P's does not;
2. they share the Frame of Reference UID, Rows, Columns, ImageOrientationPatient (within 1e-4), PixelSpacing
   (within 1e-3 mm) and the same slice positions along the slice normal (same count, each within 0.01 mm);
3. their earliest AcquisitionDate + AcquisitionTime are present and equal (the same acquisition).

Only series of images qualify, as S or as P (never an SR). When several series qualify as P, the one whose
description equals S's with the matched words removed (case and spacing ignored) wins; if that does not single
one out, S is left unpaired (a job never guesses its N2N pair).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from core.storage.models import SeriesIndex

__all__ = ["find_split_parent", "slice_positions_mm", "split_pairs"]

_ORIENTATION_TOLERANCE = 1e-4
_SPACING_TOLERANCE_MM = 1e-3
_POSITION_TOLERANCE_MM = 0.01


def slice_positions_mm(*, index: SeriesIndex) -> np.ndarray:
    """Sorted positions of the series' slices along the slice normal, ``(n,) float64``, mm."""
    if index.series.image_orientation is None:
        raise ValueError("Argument 'index' should be a series of images (with ImageOrientationPatient).")
    orientation = np.asarray(index.series.image_orientation, dtype=np.float64)
    normal = np.cross(orientation[:3], orientation[3:])
    positions = np.asarray([record.image_position for record in index.instances.values()], dtype=np.float64)
    return np.sort(positions.reshape(-1, 3) @ normal)


def _acquisition(index: SeriesIndex) -> str:
    return min((record.acquisition for record in index.instances.values() if record.acquisition), default="")


def _same_grid(first: SeriesIndex, second: SeriesIndex) -> bool:
    a, b = first.series, second.series
    if a.image_orientation is None or b.image_orientation is None or a.pixel_spacing is None or b.pixel_spacing is None:
        return False  # a series without images (an SR)
    return (
        a.frame_of_reference_uid == b.frame_of_reference_uid
        and (a.rows, a.columns) == (b.rows, b.columns)
        and np.allclose(a.image_orientation, b.image_orientation, rtol=0.0, atol=_ORIENTATION_TOLERANCE)
        and np.allclose(a.pixel_spacing, b.pixel_spacing, rtol=0.0, atol=_SPACING_TOLERANCE_MM)
    )


def _same_slices(first: SeriesIndex, second: SeriesIndex) -> bool:
    a, b = slice_positions_mm(index=first), slice_positions_mm(index=second)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= _POSITION_TOLERANCE_MM))


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def find_split_parent(*, candidate: SeriesIndex, others: Sequence[SeriesIndex], pattern: re.Pattern[str]) -> str | None:
    """The SeriesInstanceUID of the series ``candidate`` is a half-count split of, or None (module docstring).

    Args:
        candidate: the series that may be a split.
        others: the other series of the same study.
        pattern: the split pattern, compiled (``Settings.split_regex``).
    """
    match = pattern.search(candidate.series.series_description)
    acquisition = _acquisition(candidate)
    if match is None or not acquisition:
        return None
    parents = [
        other
        for other in others
        if other.series.series_uid != candidate.series.series_uid
        and pattern.search(other.series.series_description) is None
        and _acquisition(other) == acquisition
        and _same_grid(candidate, other)
        and _same_slices(candidate, other)
    ]
    if len(parents) > 1:
        stem = _normalised(pattern.sub(" ", candidate.series.series_description))
        parents = [other for other in parents if _normalised(other.series.series_description) == stem]
    return parents[0].series.series_uid if len(parents) == 1 else None


def split_pairs(*, study: Sequence[SeriesIndex], pattern: re.Pattern[str]) -> dict[str, str]:
    """Every split of ``study`` (all its series) mapped to its parent: ``{split series UID: parent series UID}``."""
    pairs: dict[str, str] = {}
    for candidate in study:
        parent = find_split_parent(candidate=candidate, others=study, pattern=pattern)
        if parent is not None:
            pairs[candidate.series.series_uid] = parent
    return pairs
