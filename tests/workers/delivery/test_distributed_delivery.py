"""A hung PACS and the default ``petiq worker`` (real ``redis-server``, real worker processes): deliveries run in
a process of their own, so a destination that accepts connections and never answers holds no job back.

Two jobs, both forwarded to that destination (``PETIQ_FORWARD_URL``, a 10-minute timeout, no retry): the first
succeeds and its delivery hangs (``delivering``); the second is enqueued only then, and it runs and succeeds
while the first delivery still hangs. With jobs and deliveries in one process, the second job would wait for
the delivery's timeout.
"""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from core.jobs.models import DeliveryStatus, JobStatus
from core.jobs.queue import CeleryJobQueue, broker_url, producer_app
from core.jobs.store import JobStore
from core.settings import Settings
from models.bundle import BundleInfo
from tests.workers.delivery.fake_pacs import hanging_destination
from tests.workers.processes import REDIS_SERVER, ROOT, kill_group, redis_server, start_worker, wait_gone
from tests.workers.service_builders import queued_job, wait_job

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not REDIS_SERVER.is_file(), reason="redis-server is not installed"),
]

FORWARD_TIMEOUT_S = 600.0


def _worker_env(settings: Settings) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "OMP_NUM_THREADS": "1",
        "PETIQ_BROKER_URL": broker_url(settings=settings),
        "PETIQ_STORAGE_DIR": str(settings.storage_dir),
        "PETIQ_DENOISER_WEIGHTS": str(settings.denoiser_weights),
        "PETIQ_DEFAULT_ADAPT": "off",
        "PETIQ_DEFAULT_SCORE": "false",
        "PETIQ_FORWARD_URL": str(settings.forward_url),
        "PETIQ_FORWARD_TIMEOUT_S": str(FORWARD_TIMEOUT_S),
        "PETIQ_FORWARD_MAX_RETRIES": "0",
    }


def test_hung_pacs_holds_no_job_back(
    tmp_path: Path, random_bundle_info: BundleInfo, small_series_dir: Path, split_study_dirs: tuple[Path, Path, Path]
) -> None:
    with redis_server(log=tmp_path / "redis.log") as broker, hanging_destination() as pacs:
        settings = Settings(
            storage_dir=tmp_path / "storage",
            broker_url=broker,
            denoiser_weights=random_bundle_info.directory,
            default_adapt="off",
            default_score=False,
            forward_url=pacs,
            forward_timeout_s=FORWARD_TIMEOUT_S,
        )
        store, queue = JobStore(settings.storage_dir), CeleryJobQueue(producer_app(settings=settings))
        worker = start_worker(env=_worker_env(settings), name="petiq", log=tmp_path / "worker.log")
        try:
            first = queued_job(settings=settings, folder=small_series_dir)
            queue.enqueue(job_id=first.id)
            hung = wait_job(store, first.id, lambda job: job.delivery.status is DeliveryStatus.DELIVERING)
            second = queued_job(settings=settings, folder=split_study_dirs[0])
            queue.enqueue(job_id=second.id)
            done = wait_job(store, second.id, lambda job: job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED))
            still = store.get(first.id)
            children = {child.pid: child.cmdline()[3:6] for child in psutil.Process(worker.pid).children()}
        finally:
            kill_group(worker)
    assert hung.status is JobStatus.SUCCEEDED and hung.delivery.attempts == 1
    assert done.status is JobStatus.SUCCEEDED, done.error
    assert still.delivery.status is DeliveryStatus.DELIVERING and still.delivery.attempts == 1
    assert list(children.values()) == [["worker", "--queues", queue] for queue in ("gpu", "deliver")]
    wait_gone(list(children))  # killing the process group ended both workers
