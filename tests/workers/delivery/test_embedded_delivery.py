"""Deliveries through the real Celery workers of embedded mode (``gpu`` solo, ``deliver`` threads).

Three jobs: one forwards to a destination that accepts connections and never answers, one to a closed port,
one to a working destination. The working one is processed and delivered while the hanging destination still
holds its attempt; the two others end ``delivery: failed`` with the reason after their bounded retries, and
their jobs stay ``succeeded``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pydicom
import pytest

from core.adapt import AdaptMode
from core.jobs.create import new_job, submit
from core.jobs.models import DeliveryStatus, ForwardRequest, JobCreate
from core.jobs.queue import CeleryJobQueue
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage.layout import Layout
from models.bundle import BundleInfo
from tests.workers.delivery.fake_pacs import FakePacs, hanging_destination, serve
from tests.workers.processes import free_port
from tests.workers.service_builders import store_folder, wait_job
from workers.celery_app import make_celery
from workers.embedded import embedded_workers

pytestmark = pytest.mark.slow

TIMEOUT_S = 4.0


def _submit(settings: Settings, queue: CeleryJobQueue, folder: Path, url: str) -> str:
    store_folder(settings=settings, folder=folder)
    series = pydicom.dcmread(next(folder.glob("*.dcm")), stop_before_pixels=True).SeriesInstanceUID
    request = JobCreate(series_uid=series, adapt=AdaptMode.OFF, score=False, forward=ForwardRequest(url=url))
    job = new_job(layout=Layout(settings.storage_dir), request=request, settings=settings)
    submit(store=JobStore(settings.storage_dir), job=job, queue=queue)
    return job.id


def test_failing_destinations_do_not_block_another_job(
    tmp_path: Path, random_bundle_info: BundleInfo, small_series_dir: Path, split_study_dirs: tuple[Path, Path, Path]
) -> None:
    settings = Settings(
        storage_dir=tmp_path / "storage",
        denoiser_weights=random_bundle_info.directory,
        forward_max_retries=1,
        forward_backoff_s=0.2,
        forward_timeout_s=TIMEOUT_S,
    )
    store, pacs = JobStore(settings.storage_dir), FakePacs()
    celery = make_celery(settings=settings)
    queue = CeleryJobQueue(celery)
    workers = embedded_workers(app=celery)
    for worker in workers:
        worker.start()
    try:
        with hanging_destination() as hanging, serve(pacs) as working:
            stuck = _submit(settings, queue, small_series_dir, hanging)
            closed = _submit(settings, queue, split_study_dirs[1], f"http://127.0.0.1:{free_port()}/dicom-web")
            good = _submit(settings, queue, split_study_dirs[0], working)
            started = time.monotonic()
            wait_job(store, stuck, lambda job: job.delivery.status is DeliveryStatus.DELIVERING)
            delivered = wait_job(store, good, lambda job: job.delivery.status is DeliveryStatus.DELIVERED)
            assert store.get(stuck).delivery.status is DeliveryStatus.DELIVERING  # still waiting for an answer
            assert time.monotonic() - started < 2 * TIMEOUT_S
            failed = [
                wait_job(store, job_id, lambda job: job.delivery.status is DeliveryStatus.FAILED)
                for job_id in (stuck, closed)
            ]
    finally:
        assert all([worker.stop() for worker in workers])
    n_slices = len(list(split_study_dirs[0].glob("*.dcm")))
    assert delivered.delivery.instances_sent == sum(len(request.parts) for request in pacs.received) >= n_slices
    for job in failed:
        assert job.status.value == "succeeded" and job.delivery.attempts == 2
        assert job.delivery.last_error is not None and "cannot be reached" in job.delivery.last_error
