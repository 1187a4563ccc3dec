"""Which slices of a stored PET series are missing? A pure function over its index.

The series states its size in Number of Slices (0054,0081). The missing slices are named by their slice index
(1..N), found from the first of these that numbers every stored instance distinctly within 1..N:

1. ImageIndex (0054,1330), which the PET Image module defines as exactly that index;
2. InstanceNumber (0020,0013);
3. the positions along the slice normal: stored slices are numbered from the lowest one at the median spacing, so
   a gap of two spacings is one missing slice. Slices missing beyond either end cannot be located this way; they
   are counted as "not located".

Example of :meth:`SliceCount.describe`: ``"266 of 267 slices stored: slice index 133 missing"``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from core.storage.models import InstanceRecord, SeriesIndex

__all__ = ["MAX_LISTED", "SliceBasis", "SliceCount", "count_slices"]

MAX_LISTED = 10
"""At most this many missing indices are written out in a description (then "…")."""


class SliceBasis(enum.StrEnum):
    """What the slice indices were derived from."""

    IMAGE_INDEX = "image_index"
    INSTANCE_NUMBER = "instance_number"
    POSITION = "position"


@dataclass(frozen=True, kw_only=True)
class SliceCount:
    """Stored and expected slices of a series, the missing slice indices (1-based, ascending) and their basis
    (None when nothing is missing or they cannot be told); ``expected`` None when NumberOfSlices is not stated."""

    stored: int
    expected: int | None
    missing: tuple[int, ...] = ()
    basis: SliceBasis | None = None

    @property
    def complete(self) -> bool:
        """Whether the series holds all its slices (one without NumberOfSlices: as soon as it holds one)."""
        return self.stored > 0 if self.expected is None else self.stored >= self.expected

    @property
    def unlocated(self) -> int:
        """Missing slices whose index cannot be told."""
        return 0 if self.expected is None else max(0, self.expected - self.stored - len(self.missing))

    def describe(self) -> str:
        """One sentence, e.g. ``"266 of 267 slices stored: slice index 133 missing"``."""
        if self.expected is None:
            return f"{self.stored} slices stored (NumberOfSlices not stated)"
        counted = f"{self.stored} of {self.expected} slices stored"
        if self.complete:
            return counted
        parts = []
        if self.missing:
            listed = ", ".join(str(index) for index in self.missing[:MAX_LISTED])
            more = f", … ({len(self.missing)} in all)" if len(self.missing) > MAX_LISTED else ""
            noun = "slice index" if len(self.missing) == 1 else "slice indices"
            parts.append(f"{noun} {listed}{more} missing")
        if self.unlocated:
            parts.append(f"{self.unlocated} {'more ' if self.missing else ''}missing that cannot be located")
        return f"{counted}: {' and '.join(parts)}"


def _by_number(numbers: list[int | None], expected: int) -> tuple[int, ...] | None:
    """The indices of 1..expected not in ``numbers``, when these number every slice distinctly within 1..expected."""
    present = {number for number in numbers if number is not None and 1 <= number <= expected}
    if len(present) != len(numbers):
        return None
    return tuple(index for index in range(1, expected + 1) if index not in present)


def _by_position(*, index: SeriesIndex, records: list[InstanceRecord]) -> tuple[int, ...] | None:
    """The indices missing between the lowest and highest stored slice, at the median spacing along the normal."""
    orientation = index.series.image_orientation
    positions = [record.image_position for record in records]
    if orientation is None or len(records) < 2 or any(position is None for position in positions):
        return None
    normal = np.cross(np.asarray(orientation[:3]), np.asarray(orientation[3:]))
    along = np.sort(np.asarray(positions, dtype=np.float64) @ normal)
    gaps = np.diff(along)
    spacing = float(np.median(gaps)) if gaps.size else 0.0
    if not spacing > 0.0:
        return None
    numbers = {round(float(value)) for value in (along - along[0]) / spacing}
    return tuple(number + 1 for number in range(max(numbers) + 1) if number not in numbers)


def count_slices(*, index: SeriesIndex) -> SliceCount:
    """Stored, expected and missing slices of the image instances of ``index`` (see the module docstring)."""
    records = [record for record in index.instances.values() if record.image_position is not None]
    expected = index.series.number_of_slices
    expected = expected if expected is not None and expected > 0 else None
    count = SliceCount(stored=len(records), expected=expected)
    if expected is None or count.complete:
        return count
    for basis, numbers in (
        (SliceBasis.IMAGE_INDEX, [record.image_index for record in records]),
        (SliceBasis.INSTANCE_NUMBER, [record.instance_number for record in records]),
    ):
        missing = _by_number(numbers, expected)
        if missing is not None:
            return SliceCount(stored=count.stored, expected=expected, missing=missing, basis=basis)
    found = _by_position(index=index, records=records)
    if not found or len(found) > expected - count.stored:  # irregular spacing: the numbering is not to be trusted
        return count
    return SliceCount(stored=count.stored, expected=expected, missing=found, basis=SliceBasis.POSITION)
