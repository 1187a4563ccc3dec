"""A running job beats: its manifest's heartbeat moves while the pipeline runs (progress or not), names its
worker, and stops with the job."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.jobs.models import JobStatus
from core.jobs.store import JobStore
from core.jobs.transitions import beat
from core.settings import Settings
from models.bundle import BundleInfo
from tests.workers.service_builders import queued_job
from workers import job_run
from workers.job_run import run_job


@pytest.fixture
def settings(tmp_path: Path, random_bundle_info: BundleInfo) -> Settings:
    return Settings(
        storage_dir=tmp_path / "storage",
        denoiser_weights=random_bundle_info.directory,
        job_heartbeat_s=0.02,
        job_stall_after_s=1.0,
    )


def test_the_heartbeat_moves_while_the_pipeline_runs_and_stops_with_the_job(
    settings: Settings, small_series_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    store, seen = JobStore(settings.storage_dir), set[datetime]()
    pipeline = job_run.run_process

    def silent_then_real(**kwargs: Any) -> dict[str, Any]:  # no progress written while it waits
        deadline = time.monotonic() + 30.0
        while len(seen) < 3:
            assert time.monotonic() < deadline, "no heartbeat while the pipeline ran"
            if (heartbeat := store.get(job.id).heartbeat) is not None:
                seen.add(heartbeat)
            time.sleep(0.01)
        result: dict[str, Any] = pipeline(**kwargs)
        return result

    monkeypatch.setattr(job_run, "run_process", silent_then_real)
    done = run_job(job_id=job.id, settings=settings, node="gpu7@host-b")
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert done.worker == f"gpu7@host-b pid {os.getpid()}" and done.heartbeat is not None
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("petiq-heartbeat-")]


def test_a_beat_changes_only_a_running_job(settings: Settings, small_series_dir: Path) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    assert beat(job) == job
    assert beat(job.model_copy(update={"status": JobStatus.RUNNING, "stalled": "frozen"})).stalled is None
