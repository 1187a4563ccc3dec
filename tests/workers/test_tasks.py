"""The Celery app's configuration and the task's retry policy (through a real in-process worker)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from core.jobs.backoff import MAX_BACKOFF_S
from core.jobs.models import Delivery, DeliveryStatus, JobPublic, JobStatus, JobTimings, utc_now
from core.jobs.outbox import Outbox
from core.jobs.queue import (
    DELIVER_QUEUE,
    DELIVER_TASK_NAME,
    QUEUE,
    TASK_NAME,
    CeleryJobQueue,
    producer_app,
    transport_options,
)
from core.jobs.store import JobStore
from core.settings import Settings
from models.bundle import BundleInfo
from service.readiness import check_broker
from tests.workers.processes import free_port
from tests.workers.service_builders import queued_job
from workers import job_run, tasks
from workers.celery_app import make_celery
from workers.delivery.task import MAX_DELIVERY_BACKOFF_S, delivery_backoff_s
from workers.embedded import EmbeddedWorker
from workers.tasks import backoff_s


def test_celery_app_configuration(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path, job_soft_time_limit_s=50.0, job_time_limit_s=60.0, job_max_retries=2)
    app = make_celery(settings=settings)
    conf = app.conf
    assert conf.broker_url == "memory://localhost/"
    assert (conf.task_default_queue, conf.worker_prefetch_multiplier) == (QUEUE, 1)
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert (conf.task_soft_time_limit, conf.task_time_limit) == (50.0, 60.0)
    assert conf.result_backend is None and conf.task_ignore_result is True
    task = app.tasks[TASK_NAME]
    assert (task.acks_late, task.reject_on_worker_lost, task.max_retries) == (True, True, 2)
    redis = make_celery(settings=settings.model_copy(update={"broker_url": SecretStr("redis://127.0.0.1:1/0")}))
    assert redis.conf.broker_url == "redis://127.0.0.1:1/0"
    options = redis.conf.broker_transport_options
    assert options["visibility_timeout"] == settings.broker_visibility_timeout_s
    assert (options["unacked_restore_interval"], options["unacked_restore_throttle"]) == (10.0, 1)
    assert transport_options(visibility_timeout_s=5.0)["unacked_restore_interval"] == 2.5


def test_deliver_task_is_registered_on_its_own_queue(tmp_path: Path) -> None:
    app = make_celery(settings=Settings(storage_dir=tmp_path, forward_max_retries=7))
    task = app.tasks[DELIVER_TASK_NAME]
    assert (task.acks_late, task.reject_on_worker_lost, task.max_retries) == (True, True, 7)
    assert app.amqp.router.route({}, DELIVER_TASK_NAME)["queue"].name == DELIVER_QUEUE
    assert app.amqp.router.route({}, TASK_NAME)["queue"].name == QUEUE


def test_delivery_backoff_doubles_honours_retry_after_and_is_bounded() -> None:
    assert [delivery_backoff_s(retries=n, base_s=5.0) for n in (0, 1, 2, 3)] == [5.0, 10.0, 20.0, 40.0]
    assert delivery_backoff_s(retries=0, base_s=5.0, retry_after_s=30.0) == 30.0
    assert delivery_backoff_s(retries=3, base_s=5.0, retry_after_s=1.0) == 40.0
    assert delivery_backoff_s(retries=100, base_s=5.0) == delivery_backoff_s(retries=0, base_s=5.0, retry_after_s=1e9)
    assert delivery_backoff_s(retries=100, base_s=5.0) == 600.0


def test_backoff_doubles_up_to_a_minute() -> None:
    assert [backoff_s(retries=n) for n in (0, 1, 2, 3, 10)] == [1.0, 2.0, 4.0, 8.0, 60.0]


def _wait_finished(store: JobStore, job_id: str, timeout_s: float = 60.0) -> JobPublic:
    deadline = time.monotonic() + timeout_s
    while not (job := store.get(job_id)).status.finished:
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    return job


@pytest.mark.slow
def test_transient_errors_are_retried_then_fail_the_job(
    tmp_path: Path,
    small_series_dir: Path,
    random_bundle_info: BundleInfo,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[float] = []

    def flaky(**_: Any) -> None:
        calls.append(time.monotonic())
        raise OSError("storage volume went away")

    monkeypatch.setattr(job_run, "run_process", flaky)
    settings = Settings(storage_dir=tmp_path, denoiser_weights=random_bundle_info.directory, job_max_retries=2)
    job = queued_job(settings=settings, folder=small_series_dir)
    celery = make_celery(settings=settings)
    worker = EmbeddedWorker(app=celery)
    worker.start()
    try:
        CeleryJobQueue(celery).enqueue(job_id=job.id)
        done = _wait_finished(JobStore(settings.storage_dir), job.id)
    finally:
        assert worker.stop()
    assert done.status is JobStatus.FAILED and done.attempts == 3 and len(calls) == 3
    assert done.error is not None and done.error["detail"] == (
        "The job hit a file or storage error (OSError). The details are in the worker log."
    )
    assert any(
        "Traceback" in record.getMessage()
        for record in caplog.records
        if "failed after 2 retries" in record.getMessage()
    )
    gaps = [later - earlier for earlier, later in itertools.pairwise(calls)]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9  # backoff 1 s, then 2 s


def test_queue_depth_and_ping_on_the_in_process_broker(tmp_path: Path) -> None:
    queue = CeleryJobQueue(producer_app(settings=Settings(storage_dir=tmp_path)))
    queue.ping()
    before = queue.depth()
    assert before is not None
    for job_id in ("0f0e0d0c-0b0a-5908-8706-0504030201aa", "0f0e0d0c-0b0a-5908-8706-0504030201bb"):
        queue.enqueue(job_id=job_id)  # no such jobs: a worker that gets them has nothing to do
    assert queue.depth() == before + 2


def test_unreachable_redis_is_not_ready(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    queue = CeleryJobQueue(producer_app(settings=settings), connect_timeout_s=0.5)
    check = check_broker(queue=queue)
    assert not check.ok and check.detail.startswith("unreachable")
    assert queue.depth() is None


def test_a_delivery_a_worker_cannot_hand_over_is_left_to_the_gateway(tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    store = JobStore(settings.storage_dir)
    job = JobPublic(
        id="0f0e0d0c-0b0a-5908-8706-0504030201cc",
        study_uid="1.2.3",
        series_uid="1.2.3.4",
        status=JobStatus.SUCCEEDED,
        timings=JobTimings(created=utc_now()),
        delivery=Delivery(status=DeliveryStatus.PENDING, destination="http://pacs.example/dicom-web"),
    )
    store.create(job)
    tasks._hand_over_delivery(app=make_celery(settings=settings), job=job, settings=settings)  # Redis is away
    recorded = store.get(job.id)
    assert recorded.enqueue_error is not None and "Connection refused" in recorded.enqueue_error
    assert Outbox(store).ids() == [job.id]


def test_redis_hands_out_again_only_messages_older_than_the_longest_retry_countdown() -> None:
    assert Settings().broker_visibility_timeout_s > max(MAX_DELIVERY_BACKOFF_S, MAX_BACKOFF_S)
