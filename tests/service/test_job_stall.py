"""The gateway's sweep of running jobs whose worker stopped beating: lost (lock free) → re-queued, frozen (lock
held) → shown stalled, alive → untouched. The lock is held in this process, as an embedded worker thread would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from core.jobs.models import JobPublic, JobStatus, JobTimings
from core.jobs.outbox import Outbox
from core.jobs.stall import StallAction, stall_interval_s, sweep_stalled
from core.jobs.store import JobStore
from core.jobs.transitions import beat
from core.settings import Settings
from core.storage.locks import exclusive_lock
from service.main import create_app
from service.metrics import metrics_registry
from tests.service.conftest import TestClient
from tests.service.job_helpers import RecordingQueue

NOW = datetime(2030, 1, 2, 12, 0, tzinfo=UTC)
JOB_ID = "0000000a-0000-5000-8000-00000000005a"
WORKER = "gpu1@host-a pid 4242"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage_dir=tmp_path / "storage", job_heartbeat_s=1.0, job_stall_after_s=10.0, job_max_retries=2)


def _running(store: JobStore, *, silent_s: float, attempts: int = 1, now: datetime = NOW) -> JobPublic:
    """A running job whose worker last beat ``silent_s`` before ``now``."""
    heartbeat = now - timedelta(seconds=silent_s)
    timings = JobTimings(created=heartbeat - timedelta(seconds=60), started=heartbeat - timedelta(seconds=30))
    job = JobPublic(
        id=JOB_ID,
        study_uid="1.2.3",
        series_uid="1.2.3.4",
        status=JobStatus.RUNNING,
        stage="denoise",
        progress=50.0,
        attempts=attempts,
        timings=timings,
        heartbeat=heartbeat,
        worker=WORKER,
    )
    store.create(job)
    return job


def test_a_silent_job_nobody_holds_is_requeued(settings: Settings) -> None:
    store, queue = JobStore(settings.storage_dir), RecordingQueue()
    _running(store, silent_s=11.0)
    assert sweep_stalled(store=store, queue=queue, settings=settings, now=NOW) == {JOB_ID: StallAction.REQUEUED}
    job = store.get(JOB_ID)
    assert (job.status, job.stage, job.progress, job.attempts, job.stalled) == (JobStatus.QUEUED, None, 0.0, 1, None)
    assert queue.enqueued == [JOB_ID]
    assert sweep_stalled(store=store, queue=queue, settings=settings, now=NOW) == {}  # queued: nothing more


def test_a_silent_job_its_worker_still_holds_is_shown_stalled_not_requeued(settings: Settings) -> None:
    store, queue = JobStore(settings.storage_dir), RecordingQueue()
    _running(store, silent_s=11.0)
    manifest = store.job_dir(JOB_ID) / "manifest.json"
    with exclusive_lock(store.run_lock(JOB_ID)) as held:  # a frozen worker (here: a thread of this process)
        assert held
        assert sweep_stalled(store=store, queue=queue, settings=settings, now=NOW) == {JOB_ID: StallAction.STALLED}
        written = manifest.stat().st_mtime_ns
        assert sweep_stalled(store=store, queue=queue, settings=settings, now=NOW + timedelta(seconds=5)) == {}
        assert manifest.stat().st_mtime_ns == written  # shown once, not rewritten at each sweep
    job = store.get(JOB_ID)
    assert job.status is JobStatus.RUNNING and queue.enqueued == []
    assert job.stalled == f"no heartbeat since 2030-01-02T11:59:49Z from {WORKER}, which still holds the job (frozen?)"
    registry = metrics_registry(store=store, queue=queue)
    assert "petiq_jobs_stalled 1.0" in generate_latest(registry).decode()
    assert beat(job).stalled is None  # the worker woke up: its next heartbeat clears it


def test_a_job_that_beat_recently_is_left_alone(settings: Settings) -> None:
    store, queue = JobStore(settings.storage_dir), RecordingQueue()
    _running(store, silent_s=9.0)
    before = (store.job_dir(JOB_ID) / "manifest.json").read_bytes()
    assert sweep_stalled(store=store, queue=queue, settings=settings, now=NOW) == {}
    assert (store.job_dir(JOB_ID) / "manifest.json").read_bytes() == before and queue.enqueued == []


def test_a_job_whose_workers_keep_dying_is_failed(settings: Settings) -> None:
    store, queue = JobStore(settings.storage_dir), RecordingQueue()
    _running(store, silent_s=60.0, attempts=settings.job_max_retries + 1)
    assert sweep_stalled(store=store, queue=queue, settings=settings, now=NOW) == {JOB_ID: StallAction.FAILED}
    job = store.get(JOB_ID)
    assert job.status is JobStatus.FAILED and job.error is not None and job.error["check"] == "attempts"
    assert "3 attempts" in job.error["detail"] and queue.enqueued == []


def test_a_requeue_the_broker_refuses_is_sent_later(settings: Settings) -> None:
    store, queue = JobStore(settings.storage_dir), RecordingQueue(accepting=False)
    _running(store, silent_s=11.0)
    assert sweep_stalled(store=store, queue=queue, settings=settings, now=NOW) == {JOB_ID: StallAction.REQUEUED}
    job = store.get(JOB_ID)
    assert job.status is JobStatus.QUEUED and job.enqueue_error is not None and Outbox(store).ids() == [JOB_ID]


def test_sweeps_run_every_quarter_of_the_bound_between_half_a_second_and_30_s() -> None:
    assert [stall_interval_s(stall_after_s=value) for value in (1.0, 3.0, 120.0, 600.0)] == [0.5, 0.75, 30.0, 30.0]


def test_the_gateway_sweeps_while_it_runs(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path / "storage", job_heartbeat_s=0.1, job_stall_after_s=0.5)
    store = JobStore(settings.storage_dir)
    _running(store, silent_s=0.0, now=datetime.now(UTC))  # its worker dies now
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())):
        deadline = time.monotonic() + 30.0
        while store.get(JOB_ID).status is not JobStatus.QUEUED:
            assert time.monotonic() < deadline, "the running job was never re-queued"
            time.sleep(0.05)
