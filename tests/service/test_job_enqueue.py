"""A broker that is away fails no request and loses no job: the manifest says why, the gateway sends it later."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from core.jobs.enqueue import MAX_REASON_CHARS, Sent, enqueue_reason, send_pending
from core.jobs.enqueue_retry import retry_unsent
from core.jobs.models import DeliveryStatus, JobPublic, JobStatus, JobTimings, utc_now
from core.jobs.outbox import Outbox
from core.jobs.queue import PUBLISH_RETRY_POLICY, PUBLISH_TIMEOUT_S, CeleryJobQueue, producer_app
from core.jobs.store import JobStore
from core.jobs.transitions import enqueue_failed
from core.settings import Settings
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, pet_datasets
from tests.service.job_helpers import RecordingQueue, jobs_of, stow

IDS = [f"0000000{index}-0000-5000-8000-00000000000e" for index in range(3)]


def _job(store: JobStore, job_id: str, **changes: object) -> JobPublic:
    job = JobPublic(id=job_id, study_uid="1.2.3", series_uid="1.2.3.4", timings=JobTimings(created=utc_now()))
    store.create(job.model_copy(update=changes))
    return store.get(job_id)


def _until(condition: Callable[[], bool], *, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_stow_and_post_while_the_broker_is_down_answer_as_usual_and_the_jobs_are_sent_later(
    jobs_client: TestClient, queue: RecordingQueue, settings: Settings
) -> None:
    queue.accepting = False
    datasets = pet_datasets(seed=90, n_slices=2)
    assert stow(jobs_client, datasets).status_code == 200
    (stowed,) = jobs_of(jobs_client, datasets[0].StudyInstanceUID)
    assert (stowed["status"], stowed["enqueue_attempts"]) == ("queued", 1)
    assert stowed["enqueue_error"].startswith("ConnectionRefusedError: Error 111 connecting to redis://petiq:**@broker")
    assert "hunter2" not in stowed["enqueue_error"]
    body = {"series_uid": datasets[0].SeriesInstanceUID, "adapt": "off"}
    posted = jobs_client.post("/v1/jobs", json=body, headers=AUTH)
    assert posted.status_code == 202 and posted.json()["enqueue_error"] is not None
    ids = {stowed["id"], posted.json()["id"]}
    assert set(Outbox(JobStore(settings.storage_dir)).ids()) == ids and queue.enqueued == []
    assert "petiq_jobs_unsent 2.0" in jobs_client.get("/metrics").text
    queue.accepting = True  # the broker is back: the gateway's retry loop sends both
    _until(lambda: set(queue.enqueued) == ids)
    for job in jobs_of(jobs_client, datasets[0].StudyInstanceUID):
        assert (job["status"], job["enqueue_error"], job["enqueue_attempts"], job["enqueue_retry_at"]) == (
            "queued",
            None,
            0,
            None,
        )
    assert Outbox(JobStore(settings.storage_dir)).ids() == []
    assert "petiq_jobs_unsent 0.0" in jobs_client.get("/metrics").text


def test_the_next_try_backs_off_exponentially_up_to_a_minute(settings: Settings) -> None:
    job, now = _job(JobStore(settings.storage_dir), IDS[0]), utc_now()
    delays = []
    for _ in range(8):
        job = enqueue_failed(job, reason="down", now=now)
        assert job.enqueue_retry_at is not None
        delays.append((job.enqueue_retry_at - now).total_seconds())
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert (job.enqueue_attempts, job.enqueue_error) == (8, "down")


def test_a_retry_pass_waits_for_each_backoff_and_stops_at_the_first_failure(settings: Settings) -> None:
    store, queue, now = JobStore(settings.storage_dir), RecordingQueue(accepting=False), utc_now()
    for job_id in IDS[:2]:
        _job(store, job_id)
        assert send_pending(store=store, queue=queue, job_id=job_id, now=now)[1] is Sent.FAILED
    assert retry_unsent(store=store, queue=queue, now=now) == [] and queue.refused == 2  # none due yet
    later = now + timedelta(seconds=1.5)
    assert retry_unsent(store=store, queue=queue, now=later) == [] and queue.refused == 3  # the first, then stop
    assert [store.get(job_id).enqueue_attempts for job_id in IDS[:2]] == [2, 1]
    queue.accepting = True
    assert retry_unsent(store=store, queue=queue, now=later) == [IDS[1]]  # the first waits for its 2 s
    assert retry_unsent(store=store, queue=queue, now=now + timedelta(seconds=10)) == [IDS[0]]
    assert queue.enqueued == [IDS[1], IDS[0]] and Outbox(store).ids() == []
    assert all(store.get(job_id).enqueue_error is None for job_id in IDS[:2])


def test_a_delivery_the_broker_did_not_take_is_sent_later(settings: Settings) -> None:
    store, queue = JobStore(settings.storage_dir), RecordingQueue(accepting=False)
    delivery = {"status": DeliveryStatus.PENDING, "destination": "http://pacs.example/dicom-web"}
    job = _job(store, IDS[0], status=JobStatus.SUCCEEDED)
    store.update(
        job.id, lambda current: current.model_copy(update={"delivery": current.delivery.model_copy(update=delivery)})
    )
    sent, outcome = send_pending(store=store, queue=queue, job_id=job.id)
    assert outcome is Sent.FAILED and sent is not None and sent.enqueue_error is not None
    queue.accepting = True
    assert retry_unsent(store=store, queue=queue, all_due=True) == [job.id]
    assert (queue.deliveries, queue.enqueued) == ([job.id], [])


def test_the_deliver_route_answers_202_while_the_broker_is_down(
    jobs_client: TestClient, queue: RecordingQueue, settings: Settings
) -> None:
    store = JobStore(settings.storage_dir)
    _job(store, IDS[0], status=JobStatus.SUCCEEDED)
    queue.accepting = False
    body = {"url": "http://pacs.example/dicom-web"}
    response = jobs_client.post(f"/v1/jobs/{IDS[0]}/deliver", json=body, headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.json()["delivery"]["status"] == "pending" and response.json()["enqueue_error"] is not None
    assert Outbox(store).ids() == [IDS[0]]


def test_a_marker_of_a_job_that_needs_no_message_is_dropped(settings: Settings) -> None:
    store, queue = JobStore(settings.storage_dir), RecordingQueue()
    _job(store, IDS[0], status=JobStatus.FAILED, enqueue_error="down", enqueue_attempts=3)
    Outbox(store).add(IDS[0])
    assert retry_unsent(store=store, queue=queue, all_due=True) == []
    assert Outbox(store).ids() == [] and queue.enqueued == []
    assert (store.get(IDS[0]).enqueue_error, store.get(IDS[0]).enqueue_attempts) == (None, 0)


def test_reasons_lose_url_credentials_and_stay_short() -> None:
    reason = enqueue_reason(OSError("cannot reach redis://:s3cret@10.0.0.5:6379/0 nor\namqp://u:p@h//"))
    assert reason == "OSError: cannot reach redis://:**@10.0.0.5:6379/0 nor amqp://u:**@h//"
    long = enqueue_reason(RuntimeError("x" * 500))
    assert len(long) == MAX_REASON_CHARS and long.endswith("…")


@pytest.fixture
def silent_broker() -> Iterator[int]:
    """A TCP port that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:  # closed
                return

    threading.Thread(target=accept, daemon=True).start()
    yield listener.getsockname()[1]
    listener.close()
    for connection in accepted:
        connection.close()


def test_a_publish_to_a_broker_that_never_answers_gives_up(silent_broker: int, tmp_path: Path) -> None:
    settings = Settings(storage_dir=tmp_path, broker_url=f"redis://127.0.0.1:{silent_broker}/0")
    app = producer_app(settings=settings)
    assert app.conf.task_publish_retry_policy == PUBLISH_RETRY_POLICY
    assert app.conf.broker_transport_options["socket_timeout"] == PUBLISH_TIMEOUT_S
    outcome: list[BaseException] = []

    def publish() -> None:
        try:
            CeleryJobQueue(app).enqueue(job_id=IDS[0])
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    thread.join(timeout=60.0)  # without the bounds it waits for ever
    assert not thread.is_alive() and len(outcome) == 1, outcome
