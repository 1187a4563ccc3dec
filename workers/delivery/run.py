"""One delivery of a succeeded job's result, from its manifest: what the task ``petiq.deliver_job`` calls.

The files are every ``*.dcm`` of the job's output: the derived series (``output/denoised/``) first, then the
others (the scores SR, ``output/scores-sr.dcm``). Idempotent, keyed by the job id: a delivery not ``pending`` or
``delivering`` is left alone, and a worker holds ``jobs/<id>/.deliver.lock`` while it sends, so a duplicate
message returns at once. If the delivery is asked for again while an attempt runs (another destination, say),
the attempt's outcome is not written: the new request's message decides.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import httpx

from service.core.config import Settings
from service.jobs.delivery import attempting, delivered, delivery_failed, retrying
from service.jobs.forwarding import destination_of
from service.jobs.models import DeliveryStatus, JobPublic, JobStatus
from service.jobs.store import JobStore, is_job_id
from service.storage.locks import exclusive_lock
from workers.delivery.errors import DeliveryError, DestinationUnavailableError
from workers.delivery.stow import stow_files
from workers.pipeline.write import DENOISED_DIR

__all__ = ["deliver_job", "output_files"]

_LOG = logging.getLogger(__name__)


def output_files(*, output: Path) -> list[Path]:
    """The DICOM files of a job's output folder: ``denoised/*.dcm`` then ``*.dcm`` (the SR), each sorted."""
    return sorted((output / DENOISED_DIR).glob("*.dcm")) + sorted(output.glob("*.dcm"))


def _wanted(job: JobPublic) -> bool:
    return job.status is JobStatus.SUCCEEDED and job.delivery.status in (
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERING,
    )


def _send(*, job: JobPublic, settings: Settings, store: JobStore, transport: httpx.BaseTransport | None) -> int:
    target = destination_of(job=job, settings=settings, store=store)
    if target is None:
        raise DeliveryError("The job has no destination and PETIQ_FORWARD_URL is not set.", check="forward_url")
    files = output_files(output=store.output_dir(job.id))
    if not files:
        raise DeliveryError("The job's output holds no DICOM file to deliver.", check="output")
    try:
        with httpx.Client(timeout=settings.forward_timeout_s, transport=transport) as client:
            return stow_files(
                client=client,
                base_url=target.url,
                authorization=target.authorization,
                study_uid=job.study_uid,
                files=files,
                max_request_bytes=settings.forward_max_request_bytes,
            )
    except OSError as error:
        raise DeliveryError(f"The job's output could not be read: {error.strerror}.", check="output") from error


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


def _attempt(
    *, job_id: str, settings: Settings, store: JobStore, final: bool, transport: httpx.BaseTransport | None
) -> JobPublic | None:
    job = store.update(job_id, attempting)
    try:
        sent = _send(job=job, settings=settings, store=store, transport=transport)
    except DestinationUnavailableError as error:
        reason = error.message
        if final:
            _LOG.error("job %s: delivery to %s failed for good: %s", job_id, job.delivery.destination, reason)
            return _settle(store=store, job_id=job_id, change=lambda j: delivery_failed(j, reason=reason))
        _LOG.warning("job %s: delivery to %s will be retried: %s", job_id, job.delivery.destination, reason)
        if _settle(store=store, job_id=job_id, change=lambda j: retrying(j, reason=reason)) is not None:
            raise
        return None
    except DeliveryError as error:
        _LOG.error("job %s: delivery to %s failed: %s", job_id, job.delivery.destination, error.message)
        why, stored = error.message, error.instances_stored
        return _settle(store=store, job_id=job_id, change=lambda j: delivery_failed(j, reason=why, instances=stored))
    _LOG.info("job %s: %d instance(s) delivered to %s", job_id, sent, job.delivery.destination)
    return _settle(store=store, job_id=job_id, change=lambda j: delivered(j, instances=sent))


def deliver_job(
    *, job_id: str, settings: Settings, final: bool, transport: httpx.BaseTransport | None = None
) -> JobPublic | None:
    """Deliver the result of job ``job_id`` once (module docstring); the manifest after it, or None when there
    was nothing to do here (no such job, another worker sending it, or asked for again meanwhile).

    ``final``: no retry follows, so a transient failure fails the delivery for good. ``transport``: httpx's
    transport (tests); the network when None.

    Raises:
        DestinationUnavailableError: a transient failure and not ``final`` (the manifest says ``delivering`` with
            the reason): the caller schedules a retry.
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
