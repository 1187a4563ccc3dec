"""One delivery of a succeeded job's result, from its manifest: what the task ``petiq.deliver_job`` calls.

The files are every ``*.dcm`` of the job's output: the derived series (``output/denoised/``) first, then the
uncertainty series when the job made one (``output/uncertainty/``), then the others (the scores SR,
``output/scores-sr.dcm``). They go to each destination of the job in turn: its DICOMweb
service (STOW-RS, :mod:`.stow`), then its DICOM storage SCP (C-STORE, :mod:`.cstore`). Each destination's
result is written to ``delivery.results`` as it comes; one that stored everything, or refused for good, is not
sent to again by a retry, which only serves those that were unavailable; the delivery is ``delivered`` once
every destination is. Idempotent, keyed by the job id: a delivery not ``pending`` or ``delivering`` is left
alone, and a worker holds ``jobs/<id>/.deliver.lock`` while it sends, so a duplicate message returns at once.
If the delivery is asked for again while an attempt runs (another destination, say), the attempt's outcome is
not written: the new request's message decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

from core.jobs.delivery import attempting, concluded, delivery_failed, with_result
from core.jobs.models import DeliveryStatus, DestinationDelivery, JobPublic, JobStatus
from core.jobs.store import JobStore, is_job_id
from core.settings import Settings
from core.storage.locks import exclusive_lock
from workers.delivery.errors import DestinationUnavailableError
from workers.delivery.targets import Target, previous_result, send_to, targets_of
from workers.pipeline.write import DENOISED_DIR, UNCERTAINTY_DIR

__all__ = ["deliver_job", "output_files"]

_LOG = logging.getLogger(__name__)


def output_files(*, output: Path) -> list[Path]:
    """The DICOM files of a job's output folder: ``denoised/*.dcm``, ``uncertainty/*.dcm`` then ``*.dcm`` (the
    SR), each sorted."""
    series = [sorted((output / name).glob("*.dcm")) for name in (DENOISED_DIR, UNCERTAINTY_DIR)]
    return [*series[0], *series[1], *sorted(output.glob("*.dcm"))]


def _wanted(job: JobPublic) -> bool:
    return job.status is JobStatus.SUCCEEDED and job.delivery.status in (
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERING,
    )


def _settle(*, store: JobStore, job_id: str, change: Callable[[JobPublic], JobPublic]) -> JobPublic | None:
    """Apply ``change`` unless the delivery was asked for again meanwhile (no longer ``delivering``)."""
    outcome: list[JobPublic] = []

    def apply(current: JobPublic) -> JobPublic:
        if current.delivery.status is not DeliveryStatus.DELIVERING:
            return current
        outcome.append(change(current))
        return outcome[0]

    store.update(job_id, apply)
    return outcome[0] if outcome else None


def _log(*, job_id: str, result: DestinationDelivery, final: bool) -> None:
    if result.status is DeliveryStatus.DELIVERED:
        _LOG.info("job %s: %d instance(s) delivered to %s", job_id, result.instances_sent, result.destination)
    elif result.status is DeliveryStatus.DELIVERING:
        _LOG.warning("job %s: delivery to %s will be retried: %s", job_id, result.destination, result.last_error)
    else:
        how = "failed for good" if final else "failed"
        _LOG.error("job %s: delivery to %s %s: %s", job_id, result.destination, how, result.last_error)


def _attempt(
    *, job_id: str, settings: Settings, store: JobStore, final: bool, transport: httpx.BaseTransport | None
) -> JobPublic | None:
    """One attempt: each destination not yet delivered is sent to, its result written as it comes."""
    job = store.update(job_id, attempting)
    targets = targets_of(job=job, settings=settings, store=store, transport=transport)
    files = output_files(output=store.output_dir(job.id))
    reason = _unsendable(targets=targets, files=files)
    if reason is not None:
        _LOG.error("job %s: delivery failed: %s", job_id, reason)
        return _settle(store=store, job_id=job_id, change=lambda current: delivery_failed(current, reason=reason))
    retry: list[DestinationUnavailableError] = []
    for target in targets:
        previous = previous_result(job=job, target=target)
        if previous.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            continue  # stored everything, or refused for good in this request: a retry leaves it
        result, transient = send_to(target=target, previous=previous, files=files, final=final)
        _log(job_id=job_id, result=result, final=final)
        if _settle(store=store, job_id=job_id, change=partial(with_result, result=result)) is None:
            return None
        retry.extend([transient] if transient is not None else [])
    outcome = _settle(store=store, job_id=job_id, change=concluded)
    if outcome is not None and retry:
        raise _retry_error(retry)
    return outcome


def _unsendable(*, targets: list[Target], files: list[Path]) -> str | None:
    """Why the delivery cannot start at all, or None."""
    if not targets:
        return "The job has no destination and neither PETIQ_FORWARD_URL nor PETIQ_FORWARD_DIMSE is set."
    if not files:
        return "The job's output holds no DICOM file to deliver."
    return None


def _retry_error(errors: list[DestinationUnavailableError]) -> DestinationUnavailableError:
    """One error for the retry of every destination in ``errors``: their reasons, the longest Retry-After."""
    if len(errors) == 1:
        return errors[0]
    delays = [error.retry_after_s for error in errors if error.retry_after_s is not None]
    message = "; ".join(error.message for error in errors)
    return DestinationUnavailableError(message, check="retry", retry_after_s=max(delays) if delays else None)


def deliver_job(
    *, job_id: str, settings: Settings, final: bool, transport: httpx.BaseTransport | None = None
) -> JobPublic | None:
    """Deliver the result of job ``job_id`` once (module docstring); the manifest after it, or None when there
    was nothing to do here (no such job, another worker sending it, or asked for again meanwhile).

    ``final``: no retry follows, so a transient failure fails the delivery for good. ``transport``: httpx's
    transport for STOW-RS (tests); the network when None.

    Raises:
        DestinationUnavailableError: a transient failure of some destination and not ``final`` (the manifest says
            ``delivering`` with the reason): the caller schedules a retry.
    """
    store = JobStore(settings.storage_dir)
    job = store.read(job_id) if is_job_id(job_id) else None
    if job is None or not _wanted(job):
        return job
    with exclusive_lock(store.job_dir(job_id) / ".deliver.lock") as held:
        if not held:
            _LOG.info("job %s: its delivery is being sent by another worker", job_id)
            return None
        if not _wanted(current := store.get(job_id)):
            return current
        return _attempt(job_id=job_id, settings=settings, store=store, final=final, transport=transport)
