"""The heartbeat of a running job: a daemon thread beside the pipeline writes the manifest's ``heartbeat`` every
``interval_s`` (``job_heartbeat_s``), so that the gateway tells a working worker from a lost or frozen one
(:mod:`core.jobs.stall`). The thread dies with its process (a killed worker stops beating at once) and is
stopped when the job ends. A write that fails (a storage hiccup) is logged and tried at the next beat.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from core.jobs.store import JobStore
from core.jobs.transitions import beat

__all__ = ["heartbeating", "worker_name"]

_LOG = logging.getLogger(__name__)


def worker_name(*, node: str | None = None) -> str:
    """Who runs the job, as the manifest shows it: the Celery node name (else the host name) and the pid."""
    return f"{node or socket.gethostname()} pid {os.getpid()}"


@contextmanager
def heartbeating(*, store: JobStore, job_id: str, interval_s: float) -> Iterator[None]:
    """Beat for job ``job_id`` every ``interval_s`` s while the block runs (a beat changes only a running job)."""
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval_s):
            try:
                store.update(job_id, beat)
            except Exception as error:  # storage hiccup: the next beat tries again
                _LOG.warning("job %s: heartbeat not written: %s", job_id, error)

    thread = threading.Thread(target=run, name=f"petiq-heartbeat-{job_id[:8]}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
