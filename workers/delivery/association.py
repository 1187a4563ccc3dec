"""One association with a C-STORE destination, with pynetdicom: opened, refused for a named reason, released.

petiq calls as ``calling_ae_title`` (``PETIQ_DIMSE_AE_TITLE``) and calls the destination's AE title; every
timeout (TCP connect, the answer to the association request, each DIMSE answer, an idle network) is
``timeout_s``. An association that is not established raises (transient or not: :mod:`workers.delivery.cstore`).
pynetdicom's loggers are kept at WARNING, as in the gateway's SCP: at INFO they print a line per instance and at
DEBUG the PDUs and data sets, patient attributes included.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydicom.uid import UID
from pynetdicom import AE, evt
from pynetdicom.association import Association
from pynetdicom.events import Event
from pynetdicom.presentation import PresentationContext

from core.ae import DimseDestination
from workers.delivery.errors import DeliveryError, DestinationUnavailableError

__all__ = ["associated", "refusal"]

_REJECTED_TRANSIENT = 2


def _application_entity(*, calling_ae_title: str, timeout_s: float) -> AE:
    logging.getLogger("pynetdicom").setLevel(logging.WARNING)
    entity = AE(ae_title=calling_ae_title)
    entity.connection_timeout = timeout_s
    entity.acse_timeout = timeout_s
    entity.dimse_timeout = timeout_s
    entity.network_timeout = timeout_s
    return entity


def refusal(
    *, association: Association, destination: DimseDestination, connected: bool, timeout_s: float
) -> DeliveryError:
    """Why ``association`` (requested, not established) is not: permanent for a permanent rejection or no
    acceptable presentation context, transient otherwise."""
    answer = association.acceptor.primitive
    if association.is_rejected and answer is not None:
        reason = f"{answer.result_str}, {answer.source_str}: {answer.reason_str}"
        message = f"The C-STORE destination {destination} rejected the association ({reason})."
        if answer.result == _REJECTED_TRANSIENT:
            return DestinationUnavailableError(message, check="association_rejected")
        return DeliveryError(message, check="association_rejected")
    if answer is not None and answer.result == 0:
        refused = sorted({UID(str(context.abstract_syntax)).name for context in association.rejected_contexts})
        return DeliveryError(
            f"The C-STORE destination {destination} accepted none of the presentation contexts proposed "
            f"({', '.join(refused)}).",
            check="presentation_context",
        )
    if not connected:
        return DestinationUnavailableError(
            f"The C-STORE destination {destination} cannot be reached: no TCP connection within {timeout_s:g} s "
            "(refused, unreachable or no answer).",
            check="connection",
        )
    what = "aborted the association request" if association.is_aborted else f"did not answer within {timeout_s:g} s"
    return DestinationUnavailableError(f"The C-STORE destination {destination} {what}.", check="association")


def _associate(
    *, entity: AE, destination: DimseDestination, contexts: Sequence[PresentationContext], opened: list[bool]
) -> Association:
    """``entity``'s association request to ``destination``; ``opened`` gets an item once TCP is connected."""

    def on_open(event: Event) -> None:
        opened.append(True)

    try:
        return entity.associate(
            destination.host,
            destination.port,
            contexts=list(contexts),
            ae_title=destination.ae_title,
            evt_handlers=[(evt.EVT_CONN_OPEN, on_open)],
        )
    except socket.gaierror as error:
        raise DestinationUnavailableError(
            f"The C-STORE destination {destination} cannot be reached: its host does not resolve ({error.strerror}).",
            check="connection",
        ) from error


@contextmanager
def associated(
    *,
    destination: DimseDestination,
    calling_ae_title: str,
    contexts: Sequence[PresentationContext],
    timeout_s: float,
) -> Iterator[Association]:
    """An established association with ``destination`` proposing ``contexts``; released (or, if it is no longer
    established, left as the peer left it) when the block ends.

    Raises:
        DeliveryError, DestinationUnavailableError: not established (:func:`refusal`); the host's name does not
            resolve (transient).
    """
    entity = _application_entity(calling_ae_title=calling_ae_title, timeout_s=timeout_s)
    opened: list[bool] = []
    association = _associate(entity=entity, destination=destination, contexts=contexts, opened=opened)
    if not association.is_established:
        raise refusal(association=association, destination=destination, connected=bool(opened), timeout_s=timeout_s)
    try:
        yield association
    finally:
        if association.is_established:
            association.release()
