"""What the SCP keeps about one accepted association while it lasts: who called, the bytes received, the store
reports of its C-STOREs, and whether further C-STOREs are refused.

pynetdicom runs an association in two threads: the DUL thread reads and decodes PDUs (``EVT_PDU_RECV``), the
association thread serves the decoded messages (``EVT_C_STORE``); its end may be seen by either. A session is
opened by whichever handler meets the association first and closed once (:meth:`Sessions.close`); its ``lock``
serialises storing with the end, so an instance whose C-STORE is being stored when the association ends is in the
association's report, and one whose C-STORE comes later is refused, never stored unreported.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field

from pynetdicom.association import Association

from core.storage.outcomes import StoreReport
from service.dimse.limits import ByteBudget

__all__ = ["AssociationSession", "Sessions", "peer_of"]


def peer_of(assoc: Association) -> str:
    """The requestor's address as ``host:port`` (``[v6]:port``), for logs."""
    requestor = assoc.requestor
    if requestor.address_info is None:
        return "unknown"
    host = requestor.address
    return f"[{host}]:{requestor.port}" if ":" in host else f"{host}:{requestor.port}"


@dataclass
class AssociationSession:
    """One accepted association (module docstring).

    Attributes:
        calling_ae: the requestor's AE title, stripped.
        peer: its ``host:port``.
        budget: the bytes received against the limits (:mod:`service.dimse.limits`).
        started: ``time.monotonic()`` when the session opened.
        reports: one store report per C-STORE, in arrival order.
        refusal: the bound passed (``max_request_bytes``, ``max_instance_bytes``) once further C-STOREs are
            refused; None until then.
        ended: set (under ``lock``) when the association's end is being reported.
    """

    calling_ae: str
    peer: str
    budget: ByteBudget
    started: float = field(default_factory=time.monotonic)
    reports: list[StoreReport] = field(default_factory=list)
    refusal: str | None = None
    ended: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def counts(self) -> tuple[int, int]:
        """Instances stored (newly or already) and failed so far."""
        outcomes = [outcome for report in self.reports for outcome in report.outcomes]
        stored = sum(outcome.stored for outcome in outcomes)
        return stored, len(outcomes) - stored


@dataclass
class Sessions:
    """The sessions of the accepted associations in progress (thread-safe); ``max_bytes`` is each one's
    ``max_request_bytes``. A closed association (held weakly) never gets a session again."""

    max_bytes: int
    _open: dict[Association, AssociationSession] = field(default_factory=dict)
    _closed: weakref.WeakSet[Association] = field(default_factory=weakref.WeakSet)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def get(self, assoc: Association) -> AssociationSession | None:
        """The session of the accepted association ``assoc``, opened now if it has none; None once closed."""
        with self._lock:
            session = self._open.get(assoc)
            if session is None and assoc not in self._closed:
                session = AssociationSession(
                    calling_ae=assoc.requestor.ae_title.strip(),
                    peer=peer_of(assoc),
                    budget=ByteBudget(max_bytes=self.max_bytes),
                )
                self._open[assoc] = session
            return session

    def close(self, assoc: Association) -> AssociationSession | None:
        """Take the session of ``assoc`` out, once: None when it had none or was closed already."""
        with self._lock:
            self._closed.add(assoc)
            return self._open.pop(assoc, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)
