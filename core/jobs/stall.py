"""Lost and frozen workers: a running job whose worker stopped beating is re-queued, or shown ``stalled``.

A worker writes the job's ``heartbeat`` every ``job_heartbeat_s`` while it runs it (and at each progress write)
and holds the job's ``.run.lock`` (``flock``) from start to finish (:mod:`workers.job_run`). Every
:func:`stall_interval_s` the gateway looks at each ``running`` job whose last sign of life (heartbeat, else its
start) is older than ``job_stall_after_s``, and tries the run lock without waiting:

- free: no live process holds the job. Its worker died (``kill -9``, out of memory, a lost host) and its message
  is gone, or parked in Redis's unacknowledged set until the visibility timeout. The gateway re-queues it
  (``requeued``, then sends its message), holding the run lock meanwhile so that no worker starts it under its
  feet; a job whose workers died in ``job_max_retries + 1`` attempts is failed instead (it kills its workers).
  A copy of the message delivered later finds the job finished, or held, and returns at once.
- held: a worker holds the job but does not beat: it is frozen (stopped, stuck in the kernel, on a dead mount).
  The job keeps running, with ``stalled`` saying since when and which worker (and ``petiq_jobs_stalled`` counts
  it): it is not re-queued, since that worker may still wake and finish. Its next heartbeat clears it.

The sweep runs in the gateway in embedded and distributed mode alike (in embedded mode the worker is a thread of
the same process: a second ``flock`` of the same file still sees it held). The clocks of the gateway and the
workers' hosts are compared: keep them in sync (NTP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.jobs.enqueue import send_pending
from core.jobs.models import JobPublic, JobStatus, utc_now
from core.jobs.queue import JobQueue
from core.jobs.store import JobStore
from core.jobs.transitions import failed, marked_stalled, requeued
from core.settings import Settings
from core.storage.locks import exclusive_lock
from imaging.errors import PetiqError

__all__ = [
    "StallAction",
    "StallSweeper",
    "is_stale",
    "last_sign_of_life",
    "stall_interval_s",
    "sweep_stalled",
    "workers_died_error",
]

_LOG = logging.getLogger(__name__)


class StallAction(StrEnum):
    """What the sweep did to a job."""

    REQUEUED = "requeued"
    FAILED = "failed"
    STALLED = "stalled"


def stall_interval_s(*, stall_after_s: float) -> float:
    """Seconds between sweeps: a quarter of ``stall_after_s``, between 0.5 s and 30 s."""
    return min(30.0, max(0.5, stall_after_s / 4))


def last_sign_of_life(job: JobPublic) -> datetime:
    """The job's last heartbeat, else when it started, else when it was created (UTC)."""
    return job.heartbeat or job.timings.started or job.timings.created


def is_stale(job: JobPublic, *, now: datetime, stall_after_s: float) -> bool:
    """Whether ``job`` is running and gave no sign of life for more than ``stall_after_s`` at ``now``."""
    return job.status is JobStatus.RUNNING and (now - last_sign_of_life(job)).total_seconds() > stall_after_s


def workers_died_error(*, job: JobPublic, max_retries: int) -> PetiqError | None:
    """The error that fails a job left ``running`` by a dead worker (killed at the time limit, out of memory) once
    it used its ``max_retries + 1`` attempts; None while it may be tried again."""
    if job.status is JobStatus.RUNNING and job.attempts > max_retries:
        message = f"The job's worker died or was killed in each of its {job.attempts} attempts (time limit, memory)."
        return PetiqError(message, check="attempts", uid=job.series_uid)
    return None


def _stall_reason(job: JobPublic) -> str:
    since = last_sign_of_life(job).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"no heartbeat since {since} from {job.worker or 'its worker'}, which still holds the job (frozen?)"


def _mark_stalled(*, store: JobStore, job: JobPublic, now: datetime, stall_after_s: float) -> StallAction | None:
    reason = _stall_reason(job)
    if job.stalled == reason:
        return None  # shown already
    store.update(
        job.id,
        lambda current: (
            marked_stalled(current, reason=reason)
            if is_stale(current, now=now, stall_after_s=stall_after_s)
            else current
        ),
    )
    _LOG.error("job %s looks stalled: %s", job.id, reason)
    return StallAction.STALLED


def _take_back(*, store: JobStore, job: JobPublic, settings: Settings, now: datetime) -> JobPublic:
    """Re-queue (or fail) ``job``, whose run lock the caller holds, if it is still stale."""
    error = workers_died_error(job=job, max_retries=settings.job_max_retries)

    def change(current: JobPublic) -> JobPublic:
        if not is_stale(current, now=now, stall_after_s=settings.job_stall_after_s):
            return current
        return failed(current, error=error) if error is not None else requeued(current)

    return store.update(job.id, change)


def _sweep_one(
    *, store: JobStore, queue: JobQueue, settings: Settings, job: JobPublic, now: datetime
) -> StallAction | None:
    with exclusive_lock(store.run_lock(job.id)) as free:
        if not free:
            return _mark_stalled(store=store, job=job, now=now, stall_after_s=settings.job_stall_after_s)
        taken = _take_back(store=store, job=job, settings=settings, now=now)
    if taken.status is JobStatus.FAILED:
        _LOG.error("job %s failed: its workers died in each of its %d attempts", job.id, taken.attempts)
        return StallAction.FAILED
    if taken.status is not JobStatus.QUEUED:
        return None
    since = last_sign_of_life(job).isoformat()
    _LOG.warning("job %s: its worker %s was lost (no heartbeat since %s); re-queued", job.id, job.worker, since)
    send_pending(store=store, queue=queue, job_id=job.id)
    return StallAction.REQUEUED


def sweep_stalled(
    *, store: JobStore, queue: JobQueue, settings: Settings, now: datetime | None = None
) -> dict[str, StallAction]:
    """Look at every running job of ``store`` (module docstring); returns what was done, by job id (errors of
    one job are logged, the others are still looked at)."""
    now = now or utc_now()
    done: dict[str, StallAction] = {}
    for job in store.all():
        if not is_stale(job, now=now, stall_after_s=settings.job_stall_after_s):
            continue
        try:
            action = _sweep_one(store=store, queue=queue, settings=settings, job=job, now=now)
        except OSError as error:  # the storage hiccuped: the next sweep tries again
            _LOG.error("job %s could not be looked at: %s", job.id, error)
            continue
        if action is not None:
            done[job.id] = action
    return done


@dataclass(frozen=True)
class StallSweeper:
    """One :func:`sweep_stalled` per call."""

    store: JobStore
    queue: JobQueue = field(repr=False)
    settings: Settings = field(repr=False)

    def __call__(self) -> dict[str, StallAction]:
        return sweep_stalled(store=self.store, queue=self.queue, settings=self.settings)
