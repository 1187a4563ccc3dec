"""Where a stored series is in its arrival: ``receiving``, ``incomplete`` or ``complete`` (a pure rule), and when
it last received an instance (the modification time of its index, rewritten at each commit).

- ``complete``: it holds NumberOfSlices (0054,0081) instances (or any, when that is not stated);
- ``receiving``: fewer, and the last instance arrived less than the grace time (``incomplete_grace_s``) ago;
- ``incomplete``: fewer, and nothing arrived for the grace time: the sender is taken to be done, and what is
  missing is stated (:mod:`core.storage.missing`). A later instance makes it ``receiving`` again.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from core.storage.layout import Layout
from core.storage.missing import SliceBasis, SliceCount, count_slices
from core.storage.models import SeriesIndex

__all__ = ["SeriesArrival", "SeriesState", "arrival", "last_received"]


class SeriesState(enum.StrEnum):
    """Where a stored series is in its arrival (module docstring)."""

    RECEIVING = "receiving"
    INCOMPLETE = "incomplete"
    COMPLETE = "complete"


class SeriesArrival(BaseModel):
    """A stored series' arrival: counts, missing slice indices (1-based) and their basis, and its state."""

    study_uid: str
    series_uid: str
    modality: str
    series_description: str
    state: SeriesState
    stored: int = Field(description="image instances stored")
    expected: int | None = Field(description="NumberOfSlices (0054,0081); null when not stated")
    missing: list[int] = Field(description="missing slice indices (1..expected), ascending")
    missing_basis: SliceBasis | None = Field(description="what the indices come from; null when none are known")
    detail: str = Field(description='e.g. "266 of 267 slices stored: slice index 133 missing"')
    last_received: datetime = Field(description="when the series last stored an instance (UTC)")
    incomplete_after: datetime | None = Field(description="when a series still short of slices becomes incomplete")


def last_received(*, layout: Layout, study_uid: str, series_uid: str) -> datetime:
    """When the series last stored an instance: the modification time of its index (UTC); OSError when absent."""
    return datetime.fromtimestamp(layout.index(study_uid, series_uid).stat().st_mtime, tz=UTC)


def _state(*, count: SliceCount, received: datetime, now: datetime, grace_s: float) -> SeriesState:
    if count.complete:
        return SeriesState.COMPLETE
    return SeriesState.INCOMPLETE if now - received >= timedelta(seconds=grace_s) else SeriesState.RECEIVING


def arrival(*, index: SeriesIndex, received: datetime, now: datetime, grace_s: float) -> SeriesArrival:
    """The arrival of the series of ``index``, last stored at ``received``, as seen at ``now``."""
    count = count_slices(index=index)
    return SeriesArrival(
        study_uid=index.study.study_uid,
        series_uid=index.series.series_uid,
        modality=index.series.modality,
        series_description=index.series.series_description,
        state=_state(count=count, received=received, now=now, grace_s=grace_s),
        stored=count.stored,
        expected=count.expected,
        missing=list(count.missing),
        missing_basis=count.basis,
        detail=count.describe(),
        last_received=received,
        incomplete_after=None if count.complete else received + timedelta(seconds=grace_s),
    )
