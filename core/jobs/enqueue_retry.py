"""The gateway's retry of the messages the broker did not take (:mod:`core.jobs.enqueue`): every
``RETRY_INTERVAL_S`` while the app lives (:func:`service.background.running_every`), and at start-up.

Each pass looks only at the outbox (:mod:`core.jobs.outbox`), and sends each job whose next try is due. The
first send that fails ends the pass (the broker is still away): a pass makes at most one failed publish, so it
never takes much longer than :data:`core.jobs.queue.PUBLISH_TIMEOUT_S`, whatever the number of jobs waiting.
Once the broker is back, the next pass sends every due job; a job waits at most its backoff (≤ 60 s) more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from core.jobs.enqueue import Sent, send_pending
from core.jobs.models import utc_now
from core.jobs.outbox import Outbox
from core.jobs.queue import JobQueue
from core.jobs.store import JobStore
from imaging.errors import OutputError

__all__ = ["RETRY_INTERVAL_S", "EnqueueRetrier", "retry_unsent"]

RETRY_INTERVAL_S = 1.0
_LOG = logging.getLogger(__name__)


def _due(*, store: JobStore, job_id: str, now: datetime) -> bool:
    try:
        job = store.read(job_id)
    except OutputError:  # a corrupt manifest: nothing can be sent for it
        return False
    return job is None or job.enqueue_retry_at is None or job.enqueue_retry_at <= now


def retry_unsent(*, store: JobStore, queue: JobQueue, now: datetime | None = None, all_due: bool = False) -> list[str]:
    """Send the outbox's messages whose next try is due at ``now`` (every one when ``all_due``) until one fails;
    returns the ids of the jobs whose message was sent."""
    now = now or utc_now()
    sent: list[str] = []
    for job_id in Outbox(store).ids():
        if not all_due and not _due(store=store, job_id=job_id, now=now):
            continue
        try:
            _, outcome = send_pending(store=store, queue=queue, job_id=job_id)
        except OutputError as error:  # a corrupt manifest: left in the outbox, logged
            _LOG.error("job %s: its manifest cannot be read: %s", job_id, error)
            continue
        if outcome is Sent.FAILED:
            break
        if outcome is Sent.SENT:
            sent.append(job_id)
    if sent:
        _LOG.info("sent %d job message(s) from the outbox: %s", len(sent), ", ".join(sent))
    return sent


@dataclass(frozen=True)
class EnqueueRetrier:
    """One :func:`retry_unsent` pass per call."""

    store: JobStore
    queue: JobQueue = field(repr=False)

    def __call__(self) -> list[str]:
        return retry_unsent(store=self.store, queue=self.queue)
