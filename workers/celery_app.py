"""The Celery app of the workers: queues ``gpu`` (jobs, one at a time per worker) and ``deliver`` (forwarding
results), acknowledged late, no result backend. Which worker processes consume them: :mod:`workers.worker_plan`.

Configuration (every value from :class:`core.settings.Settings`):

- broker ``PETIQ_BROKER_URL`` (``redis://…``), or ``memory://`` in embedded mode (one process);
- ``worker_prefetch_multiplier=1``, ``task_acks_late``, ``task_reject_on_worker_lost``: a worker holds one job,
  and a job whose worker died is handed out again (the task is idempotent, keyed by the job id);
- soft and hard time limits ``job_soft_time_limit_s`` / ``job_time_limit_s`` (enforced by the prefork pool of
  ``petiq worker``'s job worker; the embedded solo pool and the delivery threads cannot interrupt a task);
- Redis ``visibility_timeout`` ``broker_visibility_timeout_s``: after it an unacknowledged job is redelivered
  (harmless while the job still runs: the copy finds its run lock held and returns);
- no result backend: the job manifest on the storage volume is the truth.
"""

from __future__ import annotations

from typing import Any

from core.jobs.queue import producer_app
from core.settings import Settings
from workers.delivery.task import register_delivery
from workers.tasks import register

__all__ = ["make_celery"]


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
