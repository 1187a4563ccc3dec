"""Counts of the storage SCP since the gateway started, for ``/metrics``: associations by result and C-STORE
responses by status. Updated from pynetdicom's threads, read at each scrape; one lock guards both."""

from __future__ import annotations

import enum
import threading
from collections import Counter
from dataclasses import dataclass, field

from service.dimse.status import SUCCESS, status_label

__all__ = ["AssociationResult", "DimseCounts", "DimseStats"]


class AssociationResult(enum.StrEnum):
    """What became of an association request: ``accepted`` (each accepted one, whatever its end), ``rejected``
    (A-ASSOCIATE-RJ: allow-list, called AE title, too many associations) or ``aborted`` (an accepted one that ended
    by A-ABORT or a closed connection instead of a release; also counted as accepted)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ABORTED = "aborted"


@dataclass(frozen=True)
class DimseCounts:
    """A consistent copy of the counts: ``associations`` by result (every result present), ``cstore`` by status
    label (``0x0000`` always present)."""

    associations: dict[str, int]
    cstore: dict[str, int]


@dataclass
class DimseStats:
    """The SCP's counters (thread-safe)."""

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _associations: Counter[str] = field(default_factory=Counter)
    _cstore: Counter[str] = field(default_factory=Counter)

    def association(self, result: AssociationResult) -> None:
        """Count one association ``result``."""
        with self._lock:
            self._associations[result.value] += 1

    def cstore(self, status: int) -> None:
        """Count one C-STORE response with ``status``."""
        with self._lock:
            self._cstore[status_label(status)] += 1

    def counts(self) -> DimseCounts:
        """The counts now."""
        with self._lock:
            associations = {result.value: self._associations[result.value] for result in AssociationResult}
            cstore = {status_label(SUCCESS): 0, **self._cstore}
        return DimseCounts(associations=associations, cstore=dict(sorted(cstore.items())))
