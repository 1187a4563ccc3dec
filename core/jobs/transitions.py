"""Pure state changes of a job manifest: started, progressed, succeeded, failed, re-queued for a retry; and
the liveness fields: the worker's heartbeat, a stall, a message that could not be sent (and later was).

Each takes a manifest and returns a new one (the store writes it under the job's lock). A failure is recorded as
an RFC 9457 problem detail: 422 when the job's input cannot be used (:class:`~imaging.errors.InputError`), 507
when the storage volume is full or read-only (:class:`~core.errors.InsufficientStorageError`), 500 for anything
else, with petiq's ``check`` and ``uid`` when the error carries them; its ``detail`` holds no server path and no
traceback (:mod:`core.jobs.failure_detail`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.errors import InsufficientStorageError
from core.jobs.backoff import backoff_s
from core.jobs.failure_detail import failure_detail
from core.jobs.models import JobPublic, JobStatus, utc_now
from core.jobs.progress import percent
from core.jobs.result import ResultDocument
from imaging.errors import InputError, PetiqError

__all__ = [
    "beat",
    "enqueue_failed",
    "enqueued",
    "failed",
    "job_problem",
    "marked_stalled",
    "progressed",
    "requeued",
    "started",
    "succeeded",
]


def job_problem(*, error: BaseException, job_id: str, stage: str | None = None) -> dict[str, Any]:
    """The problem detail of a job that failed with ``error`` at ``stage`` (file paths stay in the logs)."""
    if isinstance(error, InputError):
        status, slug, title = 422, "unprocessable-input", "The job's input cannot be processed"
    elif isinstance(error, InsufficientStorageError):
        status, slug, title = 507, "insufficient-storage", "The storage volume is full or read-only"
    else:
        status, slug, title = 500, "job-failure", "The job failed"
    detail = failure_detail(error=error, stage=stage)
    problem: dict[str, Any] = {
        "type": f"urn:petiq:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": f"/v1/jobs/{job_id}",
    }
    if isinstance(error, PetiqError):
        problem.update({key: value for key, value in error.context().items() if key in ("check", "uid")})
    return problem


def started(job: JobPublic, *, worker: str | None = None) -> JobPublic:
    """Running from its first stage on ``worker``; one more attempt; its first heartbeat."""
    now = utc_now()
    timings = job.timings.model_copy(update={"started": now, "finished": None})
    return job.model_copy(
        update={
            "status": JobStatus.RUNNING,
            "stage": None,
            "progress": 0.0,
            "attempts": job.attempts + 1,
            "timings": timings,
            "error": None,
            "heartbeat": now,
            "worker": worker,
            "stalled": None,
        }
    )


def progressed(job: JobPublic, *, stage: str, fraction: float) -> JobPublic:
    """At ``fraction`` (0–1) of ``stage``; progress never goes back; a progress write is a heartbeat too."""
    progress = max(job.progress, percent(stage=stage, fraction=fraction))
    return job.model_copy(update={"stage": stage, "progress": progress, "heartbeat": utc_now(), "stalled": None})


def beat(job: JobPublic) -> JobPublic:
    """The running job's worker is alive now (no change unless the job is running)."""
    if job.status is not JobStatus.RUNNING:
        return job
    return job.model_copy(update={"heartbeat": utc_now(), "stalled": None})


def marked_stalled(job: JobPublic, *, reason: str) -> JobPublic:
    """The running job's worker holds it but stopped beating: ``reason`` says since when and who."""
    return job.model_copy(update={"stalled": reason})


def succeeded(job: JobPublic, *, result: ResultDocument) -> JobPublic:
    """Done: ``result`` is the result.json document; stage timings are its ``timings_s``."""
    stages = {key: float(value) for key, value in result.timings_s.model_dump().items()}
    timings = job.timings.model_copy(update={"finished": utc_now(), "stages_s": stages})
    return job.model_copy(
        update={"status": JobStatus.SUCCEEDED, "stage": None, "progress": 100.0, "result": result, "timings": timings}
    )


def failed(job: JobPublic, *, error: BaseException) -> JobPublic:
    """Failed for good with ``error``."""
    timings = job.timings.model_copy(update={"finished": utc_now()})
    problem = job_problem(error=error, job_id=job.id, stage=job.stage)
    return job.model_copy(update={"status": JobStatus.FAILED, "error": problem, "timings": timings})


def requeued(job: JobPublic) -> JobPublic:
    """Back in the queue (a retry, or its worker was lost): no stage, no progress, no error, not stalled;
    attempts, timings and the last heartbeat kept."""
    return job.model_copy(
        update={"status": JobStatus.QUEUED, "stage": None, "progress": 0.0, "error": None, "stalled": None}
    )


def enqueue_failed(job: JobPublic, *, reason: str, now: datetime) -> JobPublic:
    """Its message could not be sent (``reason``); the next try is due after a backoff (1, 2, 4 … 60 s)."""
    delay = timedelta(seconds=backoff_s(retries=job.enqueue_attempts))
    return job.model_copy(
        update={"enqueue_error": reason, "enqueue_attempts": job.enqueue_attempts + 1, "enqueue_retry_at": now + delay}
    )


def enqueued(job: JobPublic) -> JobPublic:
    """Its message was sent: the enqueue error, attempts and next try are cleared."""
    return job.model_copy(update={"enqueue_error": None, "enqueue_attempts": 0, "enqueue_retry_at": None})
