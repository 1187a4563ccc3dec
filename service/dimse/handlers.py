"""pynetdicom event handlers of the storage SCP, bound with the :class:`Scp` they share.

- ``EVT_REQUESTED``: the allow-list (``dimse_allowed``: calling AE title and host, :func:`core.ae.allows`);
  a peer not on it gets A-ASSOCIATE-RJ, rejected-permanent, "calling AE title not recognised" (pynetdicom's
  ``require_calling_aet`` knows no hosts). pynetdicom itself then rejects a wrong called AE title and an
  association beyond ``dimse_max_associations`` (transient, local limit exceeded): ``EVT_REJECTED`` logs those.
- ``EVT_PDU_RECV``: the byte limits as data arrives (:mod:`service.dimse.limits`): A-ABORT once one is passed.
- ``EVT_C_STORE``: one instance through the STOW-RS store path (:mod:`service.dimse.receive`), answered with its
  status (:mod:`service.dimse.status`). No exception leaves it: one it did not foresee is logged and answered
  0xC000 (pynetdicom would answer 0xC211 and log the data set).
- ``EVT_RELEASED``, ``EVT_ABORTED``, ``EVT_CONN_CLOSE``: whichever comes first ends the session
  (:mod:`service.dimse.ending`).

C-ECHO is answered Success by pynetdicom's own handler. Log lines name AE titles, addresses, SOP Instance UIDs
and statuses; never a patient attribute.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from typing import cast

from pydicom.dataset import Dataset
from pynetdicom.dimse_primitives import C_STORE
from pynetdicom.events import Event
from pynetdicom.pdu import P_DATA_TF

from core.ae import allows
from core.logs import safe_error, safe_traceback
from core.settings import Settings
from core.storage.outcomes import StoreReport
from core.storage.status import FailureReason
from service.dimse.ending import AssociationEnder, Ended
from service.dimse.receive import failed_report, part10_header, store_received
from service.dimse.session import AssociationSession, Sessions, peer_of
from service.dimse.stats import AssociationResult, DimseStats
from service.dimse.status import SUCCESS, cstore_status, error_comment, status_dataset, status_label

__all__ = [
    "Scp",
    "handle_aborted",
    "handle_accepted",
    "handle_closed",
    "handle_pdu_received",
    "handle_rejected",
    "handle_released",
    "handle_requested",
    "handle_store",
]

_LOG = logging.getLogger(__name__)
_REJECTED_PERMANENT, _SERVICE_USER, _CALLING_AE_NOT_RECOGNISED = 0x01, 0x01, 0x03
_REJECT_REASONS: dict[tuple[int | None, int | None], str] = {
    (0x01, 0x07): "called AE title not recognised",
    (0x03, 0x02): "dimse_max_associations reached",
}


@dataclass
class Scp:
    """What the handlers share: the settings, the counters, the sessions and the ender."""

    settings: Settings = field(repr=False)
    stats: DimseStats
    sessions: Sessions
    ender: AssociationEnder


def _logged(handler: Callable[[Event, Scp], None]) -> Callable[[Event, Scp], None]:
    """A notification handler whose exceptions are logged here (one line, masked), not by pynetdicom."""

    @functools.wraps(handler)
    def wrapper(event: Event, scp: Scp) -> None:
        try:
            handler(event, scp)
        except Exception as error:
            _LOG.error("DIMSE handler %s failed: %s", handler.__name__, safe_error(error))
            _LOG.debug("DIMSE handler %s failed:\n%s", handler.__name__, safe_traceback(error))

    return wrapper


@_logged
def handle_requested(event: Event, scp: Scp) -> None:
    """Reject a peer the allow-list does not name (module docstring)."""
    assoc = event.assoc
    primitive = assoc.requestor.primitive
    calling = primitive.calling_ae_title.strip() if primitive is not None else ""
    if allows(rules=scp.settings.dimse_allowed, ae_title=calling, host=assoc.requestor.address):
        return
    scp.stats.association(AssociationResult.REJECTED)
    _LOG.warning("DIMSE association from AE %r at %s rejected: not in dimse_allowed", calling, peer_of(assoc))
    assoc.acse.send_reject(_REJECTED_PERMANENT, _SERVICE_USER, _CALLING_AE_NOT_RECOGNISED)
    assoc.kill()  # as pynetdicom after its own rejections: waits until the A-ASSOCIATE-RJ is sent and the peer
    # closed the connection (or the ARTIM timer, acse_timeout, expired) before the connection is shut down


@_logged
def handle_rejected(event: Event, scp: Scp) -> None:
    """Count and log a rejection by pynetdicom (called AE title, too many associations)."""
    assoc = event.assoc
    scp.stats.association(AssociationResult.REJECTED)
    answer = assoc.acceptor.primitive
    key = (answer.result_source, answer.diagnostic) if answer is not None else (None, None)
    reason = _REJECT_REASONS.get(key, "rejected by the association negotiation")
    primitive = assoc.requestor.primitive
    calling = primitive.calling_ae_title.strip() if primitive is not None else ""
    called = primitive.called_ae_title.strip() if primitive is not None else ""
    _LOG.warning("DIMSE association from AE %r at %s to AE %r rejected: %s", calling, peer_of(assoc), called, reason)


@_logged
def handle_accepted(event: Event, scp: Scp) -> None:
    """Count the association and open its session."""
    scp.stats.association(AssociationResult.ACCEPTED)
    scp.sessions.get(event.assoc)


@_logged
def handle_pdu_received(event: Event, scp: Scp) -> None:
    """Count a P-DATA-TF PDU against the byte limits; abort the association once one is passed."""
    if not isinstance(event.pdu, P_DATA_TF):
        return
    session = scp.sessions.get(event.assoc)
    if session is None or session.refusal is not None:
        return
    passed = session.budget.add(event.pdu)
    if passed is None:
        return
    session.refusal = passed
    _LOG.warning(
        "DIMSE association from AE %r at %s aborted: more bytes than %s (%d received)",
        session.calling_ae,
        session.peer,
        passed,
        session.budget.received,
    )
    event.assoc.abort()  # non-blocking inside a notification handler


def _end(event: Event, scp: Scp, *, how: Ended) -> None:
    session = scp.sessions.close(event.assoc)
    if session is not None:
        scp.ender.end(session=session, how=how)


@_logged
def handle_released(event: Event, scp: Scp) -> None:
    """End the session: released."""
    _end(event, scp, how="released")


@_logged
def handle_aborted(event: Event, scp: Scp) -> None:
    """End the session: aborted (by the peer, by the SCP, or the connection lost)."""
    _end(event, scp, how="aborted")


@_logged
def handle_closed(event: Event, scp: Scp) -> None:
    """End the session when the connection closed before a release or abort was seen."""
    _end(event, scp, how="released" if event.assoc.is_released else "aborted")


def _refusal(uid: str, *, message: str) -> StoreReport:
    return failed_report(sop_instance_uid=uid, reason=FailureReason.OUT_OF_RESOURCES, message=message)


def _store_in(session: AssociationSession, event: Event, scp: Scp, request: C_STORE, uid: str) -> StoreReport:
    """Store the request's data set as part of ``session``; call it holding ``session.lock``."""
    if session.refusal is not None:
        return _refusal(uid, message=f"The association sent more than {session.refusal}; not stored.")
    if not isinstance(request.DataSet, BytesIO):
        return failed_report(sop_instance_uid=uid, reason=FailureReason.CANNOT_UNDERSTAND, message="No data set.")
    header = part10_header(file_meta=event.file_meta, calling_ae=session.calling_ae)
    return store_received(settings=scp.settings, header=header, data=request.DataSet, sop_instance_uid=uid)


def _store(event: Event, scp: Scp, request: C_STORE, uid: str) -> StoreReport:
    """Store the request's data set, recorded in its session; refused once the association has ended
    (:mod:`service.dimse.session`)."""
    session = scp.sessions.get(event.assoc)
    if session is None:
        return _refusal(uid, message="The association has ended; not stored.")
    with session.lock:
        if session.ended:
            return _refusal(uid, message="The association has ended; not stored.")
        report = _store_in(session, event, scp, request, uid)
        session.reports.append(report)
    return report


def handle_store(event: Event, scp: Scp) -> Dataset:
    """Store one C-STORE's instance; its status, with an Error Comment on failure (module docstring)."""
    request = cast(C_STORE, event.request)
    uid = str(request.AffectedSOPInstanceUID or "")
    try:
        report = _store(event, scp, request, uid)
    except Exception as error:
        _LOG.error("C-STORE of SOP instance %s failed unexpectedly: %s", uid, safe_error(error))
        _LOG.debug("C-STORE of SOP instance %s failed unexpectedly:\n%s", uid, safe_traceback(error))
        message = "petiq could not process the instance (internal error)."
        report = failed_report(sop_instance_uid=uid, reason=FailureReason.CANNOT_UNDERSTAND, message=message)
    outcome = report.outcomes[0]
    status = cstore_status(outcome)
    if event.assoc.is_established:  # else pynetdicom sends no response (aborted meanwhile): not counted
        scp.stats.cstore(status)
    if status != SUCCESS:
        calling = event.assoc.requestor.ae_title.strip()
        label, comment = status_label(status), error_comment(outcome.message)
        _LOG.warning("C-STORE of SOP instance %s from AE %r refused: %s %s", uid, calling, label, comment)
    return status_dataset(status=status, message=outcome.message)
