"""Start-up recovery: jobs the manifests show ``queued`` or ``running`` are enqueued again, and so are the
deliveries of succeeded jobs shown ``pending`` or ``delivering``.

Their messages may have been lost with an in-process broker, or a worker died holding them. Enqueueing twice is
safe: the tasks are idempotent and a job (or delivery) being run elsewhere is skipped (:mod:`workers.job_run`,
:mod:`workers.delivery.run`).
"""

from __future__ import annotations

import logging

from service.jobs.models import DeliveryStatus, JobPublic, JobStatus
from service.jobs.queue import JobQueue
from service.jobs.store import JobStore
from service.logs import safe_error

__all__ = ["requeue_unfinished"]

_LOG = logging.getLogger(__name__)


def _undelivered(job: JobPublic) -> bool:
    return job.status is JobStatus.SUCCEEDED and job.delivery.status in (
        DeliveryStatus.PENDING,
        DeliveryStatus.DELIVERING,
    )


def requeue_unfinished(*, store: JobStore, queue: JobQueue) -> list[str]:
    """Enqueue every queued or running job of ``store``, and every succeeded job's unfinished delivery; returns
    their ids (errors are logged, not raised)."""
    requeued: list[str] = []
    for job in store.all():
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            send = queue.enqueue
        elif _undelivered(job):
            send = queue.enqueue_delivery
        else:
            continue
        try:
            send(job_id=job.id)
        except Exception as error:  # the broker is away: the next start-up tries again
            _LOG.error("job %s could not be enqueued again: %s", job.id, safe_error(error))
            continue
        requeued.append(job.id)
    if requeued:
        _LOG.warning("re-enqueued %d unfinished job(s): %s", len(requeued), ", ".join(requeued))
    return requeued
