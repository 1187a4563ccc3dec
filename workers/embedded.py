"""Embedded mode: a Celery worker in a thread of the gateway's process, on the in-process ``memory://`` broker.

It is Celery's own worker (``WorkController``) with the solo pool: jobs run one at a time in that thread, with
the same task code as ``petiq worker``. Nothing here waits on a task's result (Celery refuses ``.get()`` from
inside a worker): clients poll the job manifest. The worker's app becomes the process's default Celery app (its
timer thread, which runs delayed retries, looks tasks up there): one embedded worker per process at a time.
Stopping asks the worker loop to end (Celery's module-level ``should_terminate`` flag, as Celery's own test
worker does) and waits for the job in hand to finish.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from celery.worker import state as worker_state  # type: ignore[import-untyped]

from service.jobs.queue import QUEUE

__all__ = ["EmbeddedWorker"]


class EmbeddedWorker:
    """A solo-pool Celery worker of ``app`` consuming queue ``gpu`` in a daemon thread."""

    def __init__(self, *, app: Any, loglevel: str = "WARNING") -> None:
        self.app = app
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
            pool="solo",
            concurrency=1,
            queues=[QUEUE],
            hostname=f"petiq-embedded@{socket.gethostname()}",
            loglevel=self._loglevel,
            ready_callback=lambda *_: self._ready.set(),
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
        )
        self._thread = threading.Thread(target=self._run, name="petiq-embedded-worker", daemon=True)
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
