"""Embedded mode: Celery workers in threads of the gateway's process, on the in-process ``memory://`` broker.

Each is Celery's own worker (``WorkController``), with the same task code as ``petiq worker``.
:func:`embedded_workers` (what ``petiq serve`` runs) gives two of the same app: queue ``gpu`` on the solo pool
(jobs run one at a time in its thread), queue ``deliver`` on a pool of ``DELIVERY_THREADS`` threads (HTTP
waits), so neither a slow destination holds a job back nor one destination's timeouts hold the others.
Nothing here waits on a task's result (Celery refuses ``.get()`` from inside a worker): clients poll the job
manifest. The workers' app becomes the process's default Celery app (its timer thread, which runs delayed
retries, looks tasks up there): one app's embedded workers per process at a time. Stopping asks the worker loops
to end (Celery's module-level ``should_terminate`` flag, as Celery's own test worker does) and waits for the task
in hand to finish.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from celery.worker import state as worker_state  # type: ignore[import-untyped]

from core.jobs.queue import DELIVER_QUEUE, QUEUE

__all__ = ["DELIVERY_THREADS", "EmbeddedWorker", "embedded_workers"]

DELIVERY_THREADS = 4


class EmbeddedWorker:
    """A Celery worker of ``app`` consuming ``queues`` (default ``gpu``) in a daemon thread: the solo pool, or a
    pool of ``concurrency`` threads when it is above 1."""

    def __init__(
        self, *, app: Any, loglevel: str = "WARNING", queues: tuple[str, ...] = (QUEUE,), concurrency: int = 1
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"Argument 'concurrency' should be at least 1, got {concurrency}.")
        self.app = app
        self.queues = queues
        self.concurrency = concurrency
        self._ready = threading.Event()
        self._controller: Any = None
        self._thread: threading.Thread | None = None
        self._loglevel = loglevel

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Start the worker thread and wait until it consumes; RuntimeError when it does not within ``timeout_s``."""
        self.app.finalize()
        self.app.set_default()  # the process's default app: Celery's timer thread runs delayed retries in it
        self._controller = self.app.WorkController(
            app=self.app,
            pool="solo" if self.concurrency == 1 else "threads",
            concurrency=self.concurrency,
            queues=list(self.queues),
            hostname=f"petiq-embedded-{'-'.join(self.queues)}@{socket.gethostname()}",
            loglevel=self._loglevel,
            ready_callback=lambda *_: self._ready.set(),
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        name = f"petiq-embedded-worker-{'-'.join(self.queues)}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise RuntimeError(f"the embedded Celery worker did not start within {timeout_s} s")

    def _run(self) -> None:
        self.app.set_current()  # this thread's current app: the solo pool looks tasks up in it
        self._controller.start()

    @property
    def alive(self) -> bool:
        """Whether the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, *, timeout_s: float = 30.0) -> bool:
        """Ask the worker to end and wait up to ``timeout_s``; whether it ended (a job in hand delays it)."""
        if self._thread is None:
            return True
        worker_state.should_terminate = 0
        try:
            self._thread.join(timeout_s)
        finally:
            worker_state.should_terminate = None
        return not self._thread.is_alive()


def embedded_workers(*, app: Any, loglevel: str = "WARNING") -> list[EmbeddedWorker]:
    """The workers of embedded mode (not started): jobs on the solo pool, deliveries on ``DELIVERY_THREADS``."""
    return [
        EmbeddedWorker(app=app, loglevel=loglevel, queues=(QUEUE,)),
        EmbeddedWorker(app=app, loglevel=loglevel, queues=(DELIVER_QUEUE,), concurrency=DELIVERY_THREADS),
    ]
