"""The Celery task ``petiq.deliver_job(job_id)`` on queue ``deliver``: a few lines around
:func:`workers.delivery.run.deliver_job`.

A transient failure is retried by re-publishing the message with a countdown (``task.retry``), never by
sleeping in the worker: ``forward_backoff_s``, doubled each time, at most 10 min and at least the destination's
``Retry-After``, up to ``forward_max_retries`` times, to the destinations not yet delivered (:mod:`.run`); then
the delivery fails for good. Acknowledged late and handed out again when the worker dies; ``deliver_job`` makes
that safe.
"""

from __future__ import annotations

from typing import Any

from core.jobs.queue import DELIVER_TASK_NAME
from core.settings import Settings
from workers.delivery.errors import DestinationUnavailableError
from workers.delivery.run import deliver_job

__all__ = ["MAX_DELIVERY_BACKOFF_S", "delivery_backoff_s", "register_delivery"]

MAX_DELIVERY_BACKOFF_S = 600.0


def delivery_backoff_s(*, retries: int, base_s: float, retry_after_s: float | None = None) -> float:
    """Seconds before retry number ``retries + 1``: ``base_s * 2**retries``, at least ``retry_after_s``, at most
    ``MAX_DELIVERY_BACKOFF_S``."""
    return float(min(MAX_DELIVERY_BACKOFF_S, max(base_s * 2.0 ** min(retries, 30), retry_after_s or 0.0)))


def register_delivery(*, app: Any, settings: Settings) -> Any:
    """Register ``petiq.deliver_job`` on the Celery ``app``, delivering with ``settings``; returns the task."""

    @app.task(  # type: ignore[untyped-decorator]
        name=DELIVER_TASK_NAME,
        shared=False,  # this app only: the task closes over its settings
        bind=True,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        max_retries=settings.forward_max_retries,
    )
    def deliver(task: Any, job_id: str) -> None:
        retries: int = task.request.retries
        try:
            deliver_job(job_id=job_id, settings=settings, final=retries >= settings.forward_max_retries)
        except DestinationUnavailableError as error:
            countdown = delivery_backoff_s(
                retries=retries, base_s=settings.forward_backoff_s, retry_after_s=error.retry_after_s
            )
            raise task.retry(exc=error, countdown=countdown) from error

    return deliver
