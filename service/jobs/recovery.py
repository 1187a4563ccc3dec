"""Start-up recovery: jobs the manifests show ``queued`` or ``running`` are enqueued again.

Their messages may have been lost with an in-process broker, or a worker died holding them. Enqueueing twice is
safe: the task is idempotent and a job being run elsewhere is skipped (:mod:`workers.job_run`).
"""

from __future__ import annotations

import logging

from service.jobs.models import JobStatus
from service.jobs.queue import JobQueue
from service.jobs.store import JobStore

__all__ = ["requeue_unfinished"]

_LOG = logging.getLogger(__name__)


def requeue_unfinished(*, store: JobStore, queue: JobQueue) -> list[str]:
    """Enqueue every queued or running job of ``store``; returns their ids (errors are logged, not raised)."""
    ids = [job.id for job in store.all() if job.status in (JobStatus.QUEUED, JobStatus.RUNNING)]
    requeued: list[str] = []
    for job_id in ids:
        try:
            queue.enqueue(job_id=job_id)
        except Exception as error:  # the broker is away: the next start-up tries again
            _LOG.error("job %s could not be enqueued again: %s", job_id, error)
            continue
        requeued.append(job_id)
    if requeued:
        _LOG.warning("re-enqueued %d unfinished job(s): %s", len(requeued), ", ".join(requeued))
    return requeued
