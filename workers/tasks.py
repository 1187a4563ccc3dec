"""The Celery task ``petiq.process_job(job_id)``: a few lines around :func:`workers.job_run.run_job`.

A job that succeeded with its delivery ``pending`` gets its ``petiq.deliver_job`` message on queue ``deliver``
(:mod:`workers.delivery.task`): forwarding never holds this worker.

Transient errors (:data:`workers.job_run.TRANSIENT`) are retried with exponential backoff (1, 2, 4 … s, at most
60 s) up to ``job_max_retries`` times, the job shown ``queued`` meanwhile; then the job fails, its partial outputs
removed. Input errors, and a full or read-only storage volume, fail the job at once (inside ``run_job``): a full
volume does not empty itself in seconds. Only when the failure cannot even be written to the manifest (the volume
is read-only) does it come here, to be retried like any transient error; if the manifest still cannot be written
after the last retry, the job stays as its manifest shows and the error is logged. The message is acknowledged
after the task (``acks_late``) and handed out again when the worker process dies (``reject_on_worker_lost``);
``run_job`` makes that safe.
"""

from __future__ import annotations

import logging
from typing import Any

from core.jobs.backoff import backoff_s
from core.jobs.enqueue import send_pending
from core.jobs.models import DeliveryStatus, JobPublic, JobStatus
from core.jobs.queue import TASK_NAME, CeleryJobQueue
from core.jobs.store import JobStore
from core.jobs.transitions import requeued
from core.logs import safe_traceback
from core.settings import Settings
from imaging.errors import OutputError
from workers.job_run import TRANSIENT, fail_job, job_storage_fault, run_job

__all__ = ["backoff_s", "register"]

_LOG = logging.getLogger(__name__)


def _retry_or_fail(*, task: Any, job_id: str, error: BaseException, settings: Settings) -> None:
    store = JobStore(settings.storage_dir)
    retries: int = task.request.retries
    if retries >= settings.job_max_retries:
        _LOG.error("job %s failed after %d retries: %s", job_id, retries, safe_traceback(error))
        try:
            fail_job(store=store, job_id=job_id, error=job_storage_fault(error) or error)
        except (OSError, OutputError) as unrecorded:
            _LOG.error("job %s: its failure could not be recorded in its manifest: %s", job_id, unrecorded)
        return
    _LOG.warning("job %s: transient error, retry %d: %s", job_id, retries + 1, error)
    try:
        store.update(job_id, requeued)
    except (OSError, OutputError) as unrecorded:  # a read-only volume: retry all the same
        _LOG.warning("job %s: its manifest could not be updated: %s", job_id, unrecorded)
    raise task.retry(exc=error, countdown=backoff_s(retries=retries))


def _hand_over_delivery(*, app: Any, job: JobPublic | None, settings: Settings) -> None:
    """Enqueue the delivery of ``job`` when it succeeded with its delivery pending (a broker that is away is
    recorded in the manifest: the gateway sends it once the broker is back)."""
    if job is None or job.status is not JobStatus.SUCCEEDED or job.delivery.status is not DeliveryStatus.PENDING:
        return
    send_pending(store=JobStore(settings.storage_dir), queue=CeleryJobQueue(app), job_id=job.id)


def register(*, app: Any, settings: Settings) -> Any:
    """Register ``petiq.process_job`` on the Celery ``app``, running jobs with ``settings``; returns the task."""

    @app.task(  # type: ignore[untyped-decorator]
        name=TASK_NAME,
        shared=False,  # this app only: the task closes over its settings
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        max_retries=settings.job_max_retries,
    )
    def process_job(task: Any, job_id: str) -> None:
        try:
            job = run_job(job_id=job_id, settings=settings, node=task.request.hostname)
        except TRANSIENT as error:
            _retry_or_fail(task=task, job_id=job_id, error=error, settings=settings)
            return
        _hand_over_delivery(app=task.app, job=job, settings=settings)

    return process_job
