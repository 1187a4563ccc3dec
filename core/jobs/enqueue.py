"""Sending a job's message to the broker without ever failing, or holding for long, the request that asked.

A job needs one message at a time (:func:`pending_message`): its run (``petiq.process_job``) while it is queued
or running, its delivery (``petiq.deliver_job``) once it succeeded with its delivery pending or delivering.
:func:`send_pending` sends it. When the broker refuses it or cannot be reached (a publish gives up after about
:data:`core.jobs.queue.PUBLISH_TIMEOUT_S`), the manifest records why (``enqueue_error``, a short reason with
no URL credentials), the failed attempts in a row and when the next try is due (1, 2, 4 … 60 s after), and the
job goes into the outbox (:mod:`core.jobs.outbox`), from which the gateway sends it again
(:mod:`core.jobs.enqueue_retry`). Once sent, those fields are cleared. A message sent twice is harmless: the
tasks are idempotent and skip a job (or delivery) that another worker holds.
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum

from core.jobs.models import DeliveryStatus, JobPublic, JobStatus, utc_now
from core.jobs.outbox import Outbox
from core.jobs.queue import JobQueue
from core.jobs.store import JobStore
from core.jobs.transitions import enqueue_failed, enqueued
from core.logs import safe_error

__all__ = ["MAX_REASON_CHARS", "Message", "Sent", "enqueue_reason", "pending_message", "send_pending"]

MAX_REASON_CHARS = 200
_LOG = logging.getLogger(__name__)


class Message(StrEnum):
    """The message a job needs: its run, or the delivery of its result."""

    RUN = "run"
    DELIVERY = "delivery"


class Sent(StrEnum):
    """What :func:`send_pending` did: sent the message, failed to, or found none needed."""

    SENT = "sent"
    FAILED = "failed"
    NOTHING = "nothing"


def pending_message(job: JobPublic) -> Message | None:
    """The message ``job`` needs now (module docstring), or None."""
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return Message.RUN
    if job.status is JobStatus.SUCCEEDED and job.delivery.status in (DeliveryStatus.PENDING, DeliveryStatus.DELIVERING):
        return Message.DELIVERY
    return None


def enqueue_reason(error: BaseException) -> str:
    """A one-line reason for ``error``: its type and message, credentials of any URL in it masked
    (:func:`core.logs.safe_error`), at most ``MAX_REASON_CHARS`` characters."""
    text = " ".join(safe_error(error).split())
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"


def _publish(*, queue: JobQueue, message: Message, job_id: str) -> None:
    if message is Message.RUN:
        queue.enqueue(job_id=job_id)
    else:
        queue.enqueue_delivery(job_id=job_id)


def send_pending(
    *, store: JobStore, queue: JobQueue, job_id: str, now: datetime | None = None
) -> tuple[JobPublic | None, Sent]:
    """Send the message job ``job_id`` needs (module docstring); never raises for the broker's sake.

    Returns the manifest as it is afterwards (None when there is no such job) and what was done. ``now`` (UTC)
    dates a failure, for its backoff; the current time when None.
    """
    outbox, job = Outbox(store), store.read(job_id)
    message = pending_message(job) if job is not None else None
    if job is None or message is None:
        outbox.remove(job_id)
        if job is not None and job.enqueue_error is not None:
            job = store.update(job_id, enqueued)
        return job, Sent.NOTHING
    try:
        _publish(queue=queue, message=message, job_id=job_id)
    except Exception as error:  # the broker is away or refused it: recorded, the gateway tries again
        reason = enqueue_reason(error)
        outbox.add(job_id)
        failed_at = now or utc_now()
        job = store.update(job_id, lambda current: enqueue_failed(current, reason=reason, now=failed_at))
        _LOG.warning(
            "job %s: its %s message was not sent (%d in a row): %s", job_id, message, job.enqueue_attempts, reason
        )
        return job, Sent.FAILED
    if job.enqueue_error is not None or job.enqueue_attempts:
        job = store.update(job_id, enqueued)
    outbox.remove(job_id)
    return job, Sent.SENT
