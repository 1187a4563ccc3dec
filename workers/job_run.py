"""One job, start to finish, from its manifest: what the Celery task calls (testable without a broker).

Idempotent, keyed by the job id: a finished job is left alone; a job whose output is complete on disk (the
worker died after the pipeline, before the manifest said so) is finished from its ``result.json``; otherwise the
pipeline runs again from scratch. While it runs, the worker holds an exclusive ``flock`` on the job's
``.run.lock`` (released by the kernel when the process dies), so a duplicate delivery of the same job to another
worker returns at once instead of running it twice, and beats: the manifest's ``heartbeat`` is written every
``job_heartbeat_s`` by a thread beside the pipeline (:mod:`workers.heartbeat`) and at each progress write, with
the worker's name; the gateway re-queues a job whose worker stopped beating and released the lock
(:mod:`core.jobs.stall`).

Errors: :class:`~imaging.errors.InputError` fails the job for good (422 problem); a full or read-only storage
volume (ENOSPC, EDQUOT, EROFS, EACCES: :mod:`core.storage.faults`) fails it at once too (507 problem, check
``storage_space`` or ``storage_read_only``, no path): retrying in 1, 2, 4 s would not free a volume, only rerun the
pipeline to fill it again. Other transient errors (:data:`TRANSIENT`) propagate, for the task to retry them;
anything else fails the job (500 problem) and propagates. A job whose worker keeps dying
(``reject_on_worker_lost`` hands it out again each time) is failed after ``job_max_retries + 1`` attempts instead
of looping. A failed job's partial outputs are removed (:func:`fail_job`): its input snapshot, staging and output
folders, and any instance of its output already stored (never visible to QIDO-RS or WADO-RS unless it succeeded).
When even the failure cannot be recorded (the manifest is on the read-only volume), the error propagates to the
task's retries.
"""

from __future__ import annotations

import logging
import time

from core.errors import InsufficientStorageError
from core.jobs.models import JobPublic, JobStatus
from core.jobs.result import ResultDocument, UncertaintyAvailable
from core.jobs.stall import workers_died_error
from core.jobs.store import JobStore, is_job_id
from core.jobs.transitions import failed, progressed, started, succeeded
from core.settings import Settings
from core.storage.faults import describe, storage_fault
from core.storage.layout import Layout
from core.storage.locks import exclusive_lock
from imaging.errors import InputError, OutputError
from models.adaptation.settings import AdaptationSettings
from workers.heartbeat import heartbeating, worker_name
from workers.job_io import clear_staging, discard_outputs, remove_stored, snapshot_series, store_derived
from workers.pipeline.job import ProcessRequest, run_process
from workers.pipeline.settings import resolve_scorer_dir, resolve_weights_dir
from workers.pipeline.write import DENOISED_DIR, RESULT_NAME, SR_NAME, UNCERTAINTY_DIR

__all__ = ["TRANSIENT", "ProgressWriter", "fail_job", "job_storage_fault", "run_job"]

TRANSIENT: tuple[type[BaseException], ...] = (OSError, OutputError, TimeoutError, ConnectionError)
"""Errors worth a retry: storage hiccups and lost connections."""

_LOG = logging.getLogger(__name__)


class ProgressWriter:
    """``progress(stage, fraction)`` for the pipeline: writes the manifest on a new stage or every ``interval_s``."""

    def __init__(self, *, store: JobStore, job_id: str, interval_s: float = 1.0) -> None:
        self.store, self.job_id, self.interval_s = store, job_id, interval_s
        self._stage: str | None = None
        self._last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == self._stage and now - self._last < self.interval_s:
            return
        self._stage, self._last = stage, now
        self.store.update(self.job_id, lambda job: progressed(job, stage=stage, fraction=fraction))


def _request(*, job: JobPublic, settings: Settings, store: JobStore) -> ProcessRequest:
    layout, folder = Layout(settings.storage_dir), store.job_dir(job.id) / "input"
    snapshot = [
        snapshot_series(layout=layout, study_uid=job.study_uid, series_uid=uid, folder=folder)
        for uid in (job.series_uid, *((job.splits.a, job.splits.b) if job.splits else ()))
    ]
    return ProcessRequest(
        input_dir=snapshot[0],
        out_dir=store.output_dir(job.id),
        weights_dir=resolve_weights_dir(override=settings.denoiser_weights, settings=settings),
        adapt=job.options.adapt,
        split_a=snapshot[1] if job.splits else None,
        split_b=snapshot[2] if job.splits else None,
        adaptation=AdaptationSettings(steps=settings.adapt_max_steps, max_seconds=settings.adapt_max_seconds),
        ensemble=settings.denoise_ensemble,
        strength=job.options.strength,
        uncertainty=job.options.uncertainty,
        score=job.options.score,
        scorer_dir=resolve_scorer_dir(override=settings.scorer_weights, settings=settings)
        if job.options.score
        else None,
    )


def _pipeline(*, job: JobPublic, settings: Settings, store: JobStore, worker: str) -> None:
    clear_staging(job_dir=store.job_dir(job.id))
    store.update(job.id, lambda current: started(current, worker=worker))
    run_process(
        request=_request(job=job, settings=settings, store=store),
        progress=ProgressWriter(store=store, job_id=job.id),
    )


def _finish(*, job: JobPublic, settings: Settings, store: JobStore) -> JobPublic:
    output = store.output_dir(job.id)
    result = ResultDocument.model_validate_json((output / RESULT_NAME).read_bytes())
    sr_path = output / SR_NAME if result.output.sr_uid else None  # the result says whether there is one
    written = isinstance(result.uncertainty, UncertaintyAvailable)
    report = store_derived(
        settings=settings,
        folder=output / DENOISED_DIR,
        study_uid=job.study_uid,
        sr_path=sr_path,
        uncertainty=output / UNCERTAINTY_DIR if written else None,
    )
    try:
        clear_staging(job_dir=store.job_dir(job.id))
        return store.update(job.id, lambda current: succeeded(current, result=result))
    except BaseException:
        remove_stored(settings=settings, report=report)  # not succeeded: its output stays out of sight
        raise


def fail_job(*, store: JobStore, job_id: str, error: BaseException) -> JobPublic:
    """Record job ``job_id`` failed with ``error``, once its partial outputs are removed (so that they do not keep
    the volume full). OutputError when the manifest cannot be written."""
    discard_outputs(job_dir=store.job_dir(job_id))
    return store.update(job_id, lambda current: failed(current, error=error))


def job_storage_fault(error: BaseException) -> InsufficientStorageError | None:
    """The reason to fail a job with when ``error`` is a full or read-only storage volume (no path); None else."""
    fault = storage_fault(error, action="The job's output could not be written")
    if fault is None:
        return None
    message = (
        f"The job could not write its output: {describe(fault.check)}. What it had written was removed; free space "
        "on the storage volume (or make it writable), then submit the job again (POST /v1/jobs)."
    )
    return InsufficientStorageError(message, check=fault.check)


def _unsuccessful(*, job_id: str, store: JobStore, error: Exception) -> JobPublic:
    """A storage fault fails the job at once; another transient error propagates for a retry; anything else
    fails the job and propagates."""
    fault = job_storage_fault(error)
    if fault is not None:
        _LOG.error("job %s failed: %s", job_id, error)
        return fail_job(store=store, job_id=job_id, error=fault)
    if not isinstance(error, TRANSIENT):
        _LOG.error("job %s failed unexpectedly", job_id, exc_info=error)
        fail_job(store=store, job_id=job_id, error=error)
    raise error


def _run_locked(*, job_id: str, settings: Settings, store: JobStore, worker: str) -> JobPublic:
    job = store.get(job_id)
    if job.status.finished:
        return job
    if (poison := workers_died_error(job=job, max_retries=settings.job_max_retries)) is not None:
        _LOG.error("job %s: %s", job_id, poison)
        return fail_job(store=store, job_id=job_id, error=poison)
    try:
        if not (store.output_dir(job_id) / RESULT_NAME).is_file():
            _pipeline(job=job, settings=settings, store=store, worker=worker)
        return _finish(job=job, settings=settings, store=store)
    except InputError as error:
        _LOG.warning("job %s failed: %s", job_id, error)
        return fail_job(store=store, job_id=job_id, error=error)
    except Exception as error:
        return _unsuccessful(job_id=job_id, store=store, error=error)


def run_job(*, job_id: str, settings: Settings, node: str | None = None) -> JobPublic | None:
    """Run job ``job_id`` (module docstring) on the Celery node ``node`` (named in the manifest); the final
    manifest, or None when there is nothing to do here (no such job, or another worker is running it)."""
    store = JobStore(settings.storage_dir)
    job = store.read(job_id) if is_job_id(job_id) else None
    if job is None:
        _LOG.warning("job %s: no manifest; nothing to do", job_id)
        return None
    if job.status is JobStatus.SUCCEEDED or job.status is JobStatus.FAILED:
        return job
    with exclusive_lock(store.run_lock(job_id)) as held:
        if not held:
            _LOG.info("job %s is being run by another worker", job_id)
            return None
        with heartbeating(store=store, job_id=job_id, interval_s=settings.job_heartbeat_s):
            return _run_locked(job_id=job_id, settings=settings, store=store, worker=worker_name(node=node))
