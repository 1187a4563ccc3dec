"""What ``petiq worker`` runs: one Celery worker process per queue, so that a delivery never occupies processing.

- queue ``gpu`` (jobs): the prefork pool with one child, one job at a time, the job time limits enforced;
- queue ``deliver`` (forwarding results): a pool of ``DELIVERY_THREADS`` threads, as in embedded mode (HTTP
  waits, each request bounded by ``forward_timeout_s``; the thread pool enforces no time limit).

With one queue, ``petiq worker`` is that worker itself. With both (the default) it supervises two child
processes (:mod:`workers.supervisor`), each ``petiq worker --queues <one>``: a PACS that never answers holds a
delivery thread, never the job worker. Node names: the job worker's is ``--hostname`` (Celery's ``celery@%h``
when not given); when both run, the delivery worker's adds ``-deliver`` to the name part (``petiq@%h`` →
``petiq-deliver@%h``), so each answers its own ``celery inspect ping``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from celery.utils.nodenames import nodesplit  # type: ignore[import-untyped]

from core.jobs.queue import DELIVER_QUEUE, QUEUE
from workers.embedded import DELIVERY_THREADS

__all__ = ["WORKER_QUEUES", "WorkerProcess", "celery_arguments", "child_command", "worker_plan"]

WORKER_QUEUES = (QUEUE, DELIVER_QUEUE)
"""The queues ``petiq worker`` consumes by default, each in its own process."""

_DEFAULT_NODE_NAME = "celery"
_DEFAULT_NODE_HOST = "%h"


@dataclass(frozen=True)
class WorkerProcess:
    """One Celery worker of the plan: the queue it consumes and its node name (None: Celery's default)."""

    queue: str
    hostname: str | None


def worker_plan(*, queues: tuple[str, ...], hostname: str | None = None) -> list[WorkerProcess]:
    """The worker processes consuming ``queues`` (some of ``WORKER_QUEUES``, in that order), named after
    ``hostname`` (module docstring); ValueError for an empty or unknown queue list."""
    unknown = sorted(set(queues) - set(WORKER_QUEUES))
    if not queues or unknown:
        raise ValueError(f"Argument 'queues' should name some of {list(WORKER_QUEUES)}, got {list(queues)}.")
    wanted = [queue for queue in WORKER_QUEUES if queue in queues]
    if len(wanted) == 1:
        return [WorkerProcess(queue=wanted[0], hostname=hostname)]
    name, host = nodesplit(hostname or "")
    deliver_name = f"{name or _DEFAULT_NODE_NAME}-{DELIVER_QUEUE}@{host or _DEFAULT_NODE_HOST}"
    return [WorkerProcess(queue=QUEUE, hostname=hostname), WorkerProcess(queue=DELIVER_QUEUE, hostname=deliver_name)]


def celery_arguments(*, process: WorkerProcess, loglevel: str = "INFO") -> list[str]:
    """``celery worker`` arguments of ``process``: its queue and pool (module docstring), no gossip or mingle."""
    if process.queue == DELIVER_QUEUE:
        pool = [f"--concurrency={DELIVERY_THREADS}", "--pool=threads"]
    else:
        pool = ["--concurrency=1", "--pool=prefork"]
    arguments = ["worker", f"--queues={process.queue}", *pool, f"--loglevel={loglevel}"]
    arguments += ["--without-gossip", "--without-mingle"]
    return arguments + ([f"--hostname={process.hostname}"] if process.hostname else [])


def child_command(*, process: WorkerProcess, loglevel: str = "INFO", debug: bool = False) -> list[str]:
    """The command line of ``process`` as a child of a supervising ``petiq worker``: this interpreter running
    ``petiq worker --queues <its queue>`` (with ``--hostname`` when it has one)."""
    command = [sys.executable, "-m", "cli.main", *(["--debug"] if debug else []), "worker"]
    command += ["--queues", process.queue, "--loglevel", loglevel]
    return command + (["--hostname", process.hostname] if process.hostname else [])
