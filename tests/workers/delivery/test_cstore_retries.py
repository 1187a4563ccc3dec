"""Retries of a C-STORE delivery through the real Celery task of embedded mode (queue ``deliver``): a
destination with nothing listening is retried ``forward_max_retries`` times with backoff, then the delivery
fails for good with the reason, and the job stays ``succeeded``."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.ae import DimseDestination
from core.jobs.models import Delivery, DeliveryStatus, JobPublic, JobStatus, JobTimings, utc_now
from core.jobs.queue import DELIVER_QUEUE, CeleryJobQueue
from core.jobs.store import JobStore
from core.settings import Settings
from tests.workers.delivery.dicom_output import write_output
from tests.workers.processes import free_port
from tests.workers.service_builders import wait_job
from workers.celery_app import make_celery
from workers.embedded import EmbeddedWorker

pytestmark = [
    pytest.mark.slow,
    # pynetdicom 3.0.4 leaves the socket of a failed connection to the garbage collector (pydicom/pynetdicom#979)
    pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
]

JOB_ID = "00000000-0000-5000-8000-00000000d003"


def test_nothing_listening_is_retried_then_fails(tmp_path: Path) -> None:
    nowhere = DimseDestination(ae_title="PACS", host="127.0.0.1", port=free_port())
    settings = Settings(
        storage_dir=tmp_path, forward_dimse=nowhere, forward_max_retries=2, forward_backoff_s=0.1, forward_timeout_s=2.0
    )
    store = JobStore(settings.storage_dir)
    job = JobPublic(
        id=JOB_ID,
        study_uid="1.2.3",
        series_uid="1.2.3.4",
        status=JobStatus.SUCCEEDED,
        timings=JobTimings(created=utc_now()),
        delivery=Delivery(status=DeliveryStatus.PENDING, dimse=str(nowhere)),
    )
    store.create(job)
    write_output(store.output_dir(JOB_ID))
    celery = make_celery(settings=settings)
    worker = EmbeddedWorker(app=celery, queues=(DELIVER_QUEUE,), concurrency=2)
    worker.start()
    try:
        CeleryJobQueue(celery).enqueue_delivery(job_id=JOB_ID)
        failed = wait_job(store, JOB_ID, lambda current: current.delivery.status is DeliveryStatus.FAILED, timeout_s=30)
    finally:
        assert worker.stop()
    assert failed.status is JobStatus.SUCCEEDED and failed.delivery.attempts == 3  # 1 + forward_max_retries
    (result,) = failed.delivery.results
    assert (result.destination, result.status, result.attempts, result.instances_sent) == (str(nowhere), "failed", 3, 0)
    assert failed.delivery.last_error is not None and "cannot be reached" in failed.delivery.last_error
