"""The destinations of a delivery, each with the call that sends a job's files there, and the result of one
send as ``delivery.results`` records it.

A transient failure leaves the destination ``delivering`` (a retry follows) unless no retry follows
(``final``); any other failure marks it ``failed``; the instances it stored and, for C-STORE, its answers
(status counts, warnings, the instance refused) are kept either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.ae import DimseDestination
from core.jobs.forwarding import Destination, destination_of, dimse_destination_of
from core.jobs.models import DeliveryStatus, DestinationDelivery, ForwardKind, JobPublic, utc_now
from core.jobs.store import JobStore
from core.settings import Settings
from workers.delivery.cstore import cstore_files
from workers.delivery.errors import DeliveryError, DestinationUnavailableError
from workers.delivery.stow import stow_files
from workers.delivery.tally import Tally

__all__ = ["Target", "previous_result", "send_to", "targets_of"]


@dataclass(frozen=True)
class Target:
    """One destination of the delivery: how it is sent to, its address, and the call that sends the files."""

    kind: ForwardKind
    address: str
    send: Callable[[list[Path]], Tally]


def _stow(*, target: Destination, job: JobPublic, settings: Settings, transport: httpx.BaseTransport | None) -> Target:
    def send(files: list[Path]) -> Tally:
        with httpx.Client(timeout=settings.forward_timeout_s, transport=transport) as client:
            sent = stow_files(
                client=client,
                base_url=target.url,
                authorization=target.authorization,
                study_uid=job.study_uid,
                files=files,
                max_request_bytes=settings.forward_max_request_bytes,
            )
        return Tally(stored=sent)

    return Target(kind=ForwardKind.STOW_RS, address=target.url, send=send)


def _cstore(*, target: DimseDestination, settings: Settings) -> Target:
    def send(files: list[Path]) -> Tally:
        return cstore_files(
            destination=target,
            calling_ae_title=settings.dimse_ae_title,
            files=files,
            timeout_s=settings.forward_timeout_s,
        )

    return Target(kind=ForwardKind.DIMSE, address=str(target), send=send)


def targets_of(
    *, job: JobPublic, settings: Settings, store: JobStore, transport: httpx.BaseTransport | None
) -> list[Target]:
    """The destinations of ``job``: its DICOMweb service, then its C-STORE SCP (those it has)."""
    targets = []
    stow = destination_of(job=job, settings=settings, store=store)
    if stow is not None:
        targets.append(_stow(target=stow, job=job, settings=settings, transport=transport))
    dimse = dimse_destination_of(job=job, settings=settings)
    if dimse is not None:
        targets.append(_cstore(target=dimse, settings=settings))
    return targets


def previous_result(*, job: JobPublic, target: Target) -> DestinationDelivery:
    """What ``delivery.results`` holds for ``target``; a pending, unattempted result when nothing."""
    for result in job.delivery.results:
        if (result.kind, result.destination) == (target.kind, target.address):
            return result
    return DestinationDelivery(kind=target.kind, destination=target.address)


def _result(
    *, previous: DestinationDelivery, status: DeliveryStatus, tally: Tally, error: str | None
) -> DestinationDelivery:
    return previous.model_copy(
        update={
            "status": status,
            "attempts": previous.attempts + 1,
            "instances_sent": tally.stored,
            "statuses": dict(tally.statuses),
            "warnings": list(tally.warnings),
            "failed": list(tally.failed),
            "last_error": error,
            "updated": utc_now(),
        }
    )


def send_to(
    *, target: Target, previous: DestinationDelivery, files: list[Path], final: bool
) -> tuple[DestinationDelivery, DestinationUnavailableError | None]:
    """Send ``files`` to ``target``: its new result, and the transient error to retry after (None: no retry)."""
    try:
        tally = target.send(files)
    except DestinationUnavailableError as error:
        status = DeliveryStatus.FAILED if final else DeliveryStatus.DELIVERING
        tally = error.tally or Tally(stored=error.instances_stored)
        return _result(previous=previous, status=status, tally=tally, error=error.message), None if final else error
    except DeliveryError as error:
        tally = error.tally or Tally(stored=error.instances_stored)
        return _result(previous=previous, status=DeliveryStatus.FAILED, tally=tally, error=error.message), None
    except OSError as error:
        reason = f"The job's output could not be read: {error.strerror}."
        return _result(previous=previous, status=DeliveryStatus.FAILED, tally=Tally(), error=reason), None
    return _result(previous=previous, status=DeliveryStatus.DELIVERED, tally=tally, error=None), None
