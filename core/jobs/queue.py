"""Enqueueing jobs by the task's name, so the gateway never imports the worker code (nor torch).

``TASK_NAME`` on queue ``QUEUE`` with the job id as its only argument: the message is the job id, the manifest
holds everything else. The forwarding of a succeeded job's result is a task of its own, ``DELIVER_TASK_NAME`` on
queue ``DELIVER_QUEUE``, so a slow or dead destination never holds a GPU worker. :class:`CeleryJobQueue` also
measures the queue depth and pings the broker.

The gateway's producer never waits long on a broker that is away: each connect and each Redis command gives up
after ``PUBLISH_TIMEOUT_S`` (a Redis that accepts connections and never answers included) and a publish is tried
twice at most, so ``enqueue`` raises within a few seconds; the caller records it (:mod:`core.jobs.enqueue`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from celery import Celery  # type: ignore[import-untyped]

from core.settings import Settings

__all__ = [
    "DELIVER_QUEUE",
    "DELIVER_TASK_NAME",
    "EMBEDDED_BROKER",
    "PUBLISH_RETRY_POLICY",
    "PUBLISH_TIMEOUT_S",
    "QUEUE",
    "TASK_NAME",
    "CeleryJobQueue",
    "JobQueue",
    "broker_url",
    "producer_app",
    "transport_options",
]

TASK_NAME = "petiq.process_job"
QUEUE = "gpu"
DELIVER_TASK_NAME = "petiq.deliver_job"
DELIVER_QUEUE = "deliver"
EMBEDDED_BROKER = "memory://localhost/"
PUBLISH_TIMEOUT_S = 2.0
"""Seconds the gateway's producer waits to connect to the broker, and for each reply of it."""
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0.0, "interval_step": 0.2, "interval_max": 0.2}
"""Celery's ``task_publish_retry_policy`` of the gateway: one more try, at once (a connection the broker closed)."""


class JobQueue(Protocol):
    """Where jobs are sent to be run."""

    def enqueue(self, *, job_id: str) -> None: ...

    def enqueue_delivery(self, *, job_id: str) -> None: ...

    def depth(self) -> int | None: ...

    def ping(self) -> None: ...


def broker_url(*, settings: Settings) -> str:
    """The broker URL of ``settings`` in clear (a password included: give it to Celery, never to a log):
    ``broker_url``, or the in-process ``memory://`` of embedded mode."""
    return settings.broker_url.get_secret_value() if settings.broker_url is not None else EMBEDDED_BROKER


def producer_app(*, settings: Settings, name: str = "petiq-gateway", bounded: bool = True) -> Celery:
    """A Celery app that only sends (the gateway's): the broker of ``settings``, no result backend; ``bounded``:
    publishes give up quickly when the broker is away (module docstring), else Celery's defaults (workers)."""
    app = Celery(name, broker=broker_url(settings=settings), set_as_current=False)
    timeout_s = PUBLISH_TIMEOUT_S if bounded else None
    app.conf.update(
        task_default_queue=QUEUE,
        task_routes={TASK_NAME: {"queue": QUEUE}, DELIVER_TASK_NAME: {"queue": DELIVER_QUEUE}},
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport_options(
            visibility_timeout_s=settings.broker_visibility_timeout_s, socket_timeout_s=timeout_s
        ),
    )
    if bounded:
        app.conf.update(broker_connection_timeout=PUBLISH_TIMEOUT_S, task_publish_retry_policy=PUBLISH_RETRY_POLICY)
    return app


def transport_options(*, visibility_timeout_s: float, socket_timeout_s: float | None = None) -> dict[str, float]:
    """Redis transport options: a job unacknowledged for ``visibility_timeout_s`` (its worker died) is handed out
    again; workers look for such jobs every ``min(10, visibility_timeout_s / 2)`` s (at least 1 s) instead of
    kombu's default of every 100 s. ``socket_timeout_s``: the most a connect or a command waits (None: for ever,
    kombu's default)."""
    options = {
        "visibility_timeout": visibility_timeout_s,
        "unacked_restore_interval": max(1.0, min(10.0, visibility_timeout_s / 2)),
        "unacked_restore_throttle": 1,
    }
    if socket_timeout_s is not None:
        options.update(socket_timeout=socket_timeout_s, socket_connect_timeout=socket_timeout_s)
    return options


@dataclass(frozen=True)
class CeleryJobQueue:
    """:class:`JobQueue` on a Celery app (the gateway's producer, or the embedded worker's own app)."""

    app: Celery
    connect_timeout_s: float = PUBLISH_TIMEOUT_S

    def enqueue(self, *, job_id: str) -> None:
        """Send ``petiq.process_job(job_id)`` to queue ``gpu``."""
        self.app.send_task(TASK_NAME, args=(job_id,), queue=QUEUE, ignore_result=True)

    def enqueue_delivery(self, *, job_id: str) -> None:
        """Send ``petiq.deliver_job(job_id)`` to queue ``deliver``."""
        self.app.send_task(DELIVER_TASK_NAME, args=(job_id,), queue=DELIVER_QUEUE, ignore_result=True)

    def depth(self) -> int | None:
        """Messages waiting in queue ``gpu`` (not those a worker holds); None when the broker cannot say.

        The queue is declared (as the workers declare it) rather than looked up: Redis has no key for an empty
        queue, so a passive declaration would fail exactly when the depth is 0.
        """
        try:
            with self.app.connection_for_read() as connection:
                self._connect(connection)
                declared = connection.default_channel.queue_declare(queue=QUEUE, durable=True, auto_delete=False)
        except Exception:  # the broker is away, or its transport cannot count
            return None
        count: int = declared.message_count
        return count

    def ping(self) -> None:
        """Connect to the broker once; raises (kombu's OperationalError, OSError) when it is unreachable."""
        with self.app.connection_for_write() as connection:
            self._connect(connection)

    def _connect(self, connection: Any) -> None:
        """Connect once, at most ``connect_timeout_s``, no retry: probes must answer fast."""
        connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=self.connect_timeout_s)
