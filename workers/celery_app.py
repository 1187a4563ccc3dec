"""The Celery app of the workers: queues ``gpu`` (jobs) and ``deliver`` (forwarding results), one task at a time
per process, acknowledged late, no result backend.

Configuration (every value from :class:`service.core.config.Settings`):

- broker ``PETIQ_BROKER_URL`` (``redis://…``), or ``memory://`` in embedded mode (one process);
- ``worker_prefetch_multiplier=1``, ``task_acks_late``, ``task_reject_on_worker_lost``: a worker holds one job,
  and a job whose worker died is handed out again (the task is idempotent, keyed by the job id);
- soft and hard time limits ``job_soft_time_limit_s`` / ``job_time_limit_s`` (enforced by the prefork pool of
  ``petiq worker``; the embedded solo pool cannot interrupt a job);
- Redis ``visibility_timeout`` ``broker_visibility_timeout_s``: after it an unacknowledged job is redelivered
  (harmless while the job still runs: the copy finds its run lock held and returns);
- no result backend: the job manifest on the storage volume is the truth.
"""

from __future__ import annotations

from typing import Any

from service.core.config import Settings
from service.jobs.queue import DELIVER_QUEUE, QUEUE, producer_app
from workers.delivery.task import register_delivery
from workers.tasks import register

__all__ = ["WORKER_QUEUES", "make_celery", "worker_arguments"]

WORKER_QUEUES = (QUEUE, DELIVER_QUEUE)
"""The queues ``petiq worker`` consumes by default."""


def make_celery(*, settings: Settings) -> Any:
    """The Celery app for ``settings`` with ``petiq.process_job`` and ``petiq.deliver_job`` registered."""
    app = producer_app(settings=settings, name="petiq", bounded=False)
    app.conf.update(
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_soft_time_limit=settings.job_soft_time_limit_s,
        task_time_limit=settings.job_time_limit_s,
        result_backend=None,
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
    )
    register(app=app, settings=settings)
    register_delivery(app=app, settings=settings)
    return app


def worker_arguments(
    *, loglevel: str = "INFO", hostname: str | None = None, queues: tuple[str, ...] = WORKER_QUEUES
) -> list[str]:
    """``celery worker`` arguments of ``petiq worker``: ``queues``, one prefork child, no gossip."""
    unknown = sorted(set(queues) - set(WORKER_QUEUES))
    if not queues or unknown:
        raise ValueError(f"Argument 'queues' should name some of {list(WORKER_QUEUES)}, got {list(queues)}.")
    arguments = ["worker", f"--queues={','.join(queues)}", "--concurrency=1", "--pool=prefork"]
    arguments.append(f"--loglevel={loglevel}")
    arguments += ["--without-gossip", "--without-mingle"]
    return arguments + ([f"--hostname={hostname}"] if hostname else [])
