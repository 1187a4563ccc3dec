"""What a store call reports: one outcome per received part, the series it completed, the split pairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

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
    """The result of storing one request.

    Attributes:
        outcomes: one per part, in request order.
        completed_series: PT series this request added instances to and that are now complete (the job layer
            starts a job for each that is not a split); re-sent identical instances complete nothing.
        split_pairs: ``{split series UID: parent series UID}`` among the studies the request touched.
    """

    outcomes: tuple[InstanceOutcome, ...]
    completed_series: tuple[SeriesKey, ...] = ()
    split_pairs: dict[str, str] = field(default_factory=dict)

    @property
    def n_stored(self) -> int:
        """How many parts are stored (newly or already)."""
        return sum(outcome.stored for outcome in self.outcomes)

    @property
    def storage_faults(self) -> tuple[InstanceOutcome, ...]:
        """The parts refused because the storage volume is full or read-only."""
        return tuple(outcome for outcome in self.outcomes if outcome.storage_fault is not None)
