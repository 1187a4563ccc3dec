"""Start-up recovery: jobs the manifests show ``queued`` or ``running`` are enqueued again, and so are the
deliveries of succeeded jobs shown ``pending`` or ``delivering``.

Their messages may have been lost with an in-process broker, or a worker died holding them. Enqueueing twice is
safe: the tasks are idempotent and a job (or delivery) being run elsewhere is skipped (:mod:`workers.job_run`,
:mod:`workers.delivery.run`). Each goes into the outbox and one pass of :func:`~core.jobs.enqueue_retry.
retry_unsent` sends them all, whatever their backoff; if the broker is away, the first failure ends the pass and
the gateway's retry loop sends the rest once it is back.
"""

from __future__ import annotations

import logging

from core.jobs.enqueue import pending_message
from core.jobs.enqueue_retry import retry_unsent
from core.jobs.outbox import Outbox
from core.jobs.queue import JobQueue
from core.jobs.store import JobStore

__all__ = ["requeue_unfinished"]

_LOG = logging.getLogger(__name__)


def requeue_unfinished(*, store: JobStore, queue: JobQueue) -> list[str]:
    """Enqueue every queued or running job of ``store``, and every succeeded job's unfinished delivery; returns
    the ids sent (a broker that is away is logged, never raised: the retry loop carries on)."""
    outbox = Outbox(store)
    unfinished = [job.id for job in store.all() if pending_message(job) is not None]
    for job_id in unfinished:
        outbox.add(job_id)
    requeued = retry_unsent(store=store, queue=queue, all_due=True)
    if requeued:
        _LOG.warning("re-enqueued %d unfinished job(s): %s", len(requeued), ", ".join(requeued))
    if waiting := outbox.ids():
        _LOG.error("%d job message(s) not sent yet (the broker is away): retried in the background", len(waiting))
    return requeued
