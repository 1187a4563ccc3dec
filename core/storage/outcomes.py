"""What a store call reports: one outcome per received part, the series it completed and the split pairs, with the
series indices they were decided on (read once, so that the job layer need not read them again)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from core.storage.models import SeriesIndex
from core.storage.status import FailureReason

__all__ = ["InstanceOutcome", "SeriesKey", "StoreReport"]


class SeriesKey(NamedTuple):
    """A series by its study: ``(study_uid, series_uid)``."""

    study_uid: str
    series_uid: str


@dataclass(frozen=True, kw_only=True)
class InstanceOutcome:
    """One part of a request: stored (``failure`` None; ``already_stored`` when an identical copy was there) or
    refused with a PS3.18 Failure Reason and a message. UIDs are None when the part could not be read.
    ``storage_fault`` is the check (``storage_space``, ``storage_read_only``) of a refusal because the storage
    volume is full or read-only (0xA700, :mod:`core.storage.faults`); None otherwise."""

    sop_instance_uid: str | None
    sop_class_uid: str | None
    series: SeriesKey | None = None
    failure: FailureReason | None = None
    message: str = ""
    already_stored: bool = False
    storage_fault: str | None = None

    @property
    def stored(self) -> bool:
        """Whether the instance is in storage after the request."""
        return self.failure is None


@dataclass(frozen=True, kw_only=True)
class StoreReport:
    """The result of storing one request (or one DIMSE association, :mod:`core.storage.merge`).

    Attributes:
        outcomes: one per part, in request order.
        completed: the indices of the series this request added instances to and that are now complete, in the
            order of their first added instance (the job layer starts a job for each PT one that is not a
            split); re-sent identical instances complete nothing.
        split_pairs: ``{split series UID: parent series UID}`` among the studies the request touched, for the
            pairs whose split or parent the request touched.
        splits: the index of each split series of ``split_pairs`` (by its UID).

    The indices are the storage's as it was when the request's last series was committed.
    """

    outcomes: tuple[InstanceOutcome, ...]
    completed: tuple[SeriesIndex, ...] = ()
    split_pairs: dict[str, str] = field(default_factory=dict)
    splits: dict[str, SeriesIndex] = field(default_factory=dict)

    @property
    def completed_series(self) -> tuple[SeriesKey, ...]:
        """The keys of :attr:`completed`."""
        return tuple(SeriesKey(index.study.study_uid, index.series.series_uid) for index in self.completed)

    def splits_of(self, parent_uid: str) -> tuple[SeriesIndex, ...]:
        """The indices of the split series paired with the series ``parent_uid``, in :attr:`split_pairs` order."""
        return tuple(self.splits[split] for split, parent in self.split_pairs.items() if parent == parent_uid)

    @property
    def n_stored(self) -> int:
        """How many parts are stored (newly or already)."""
        return sum(outcome.stored for outcome in self.outcomes)

    @property
    def storage_faults(self) -> tuple[InstanceOutcome, ...]:
        """The parts refused because the storage volume is full or read-only."""
        return tuple(outcome for outcome in self.outcomes if outcome.storage_fault is not None)
