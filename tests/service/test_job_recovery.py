"""Start-up: jobs the manifests show queued or running are enqueued again; finished ones are not."""

from __future__ import annotations

from core.jobs.models import JobPublic, JobStatus, JobTimings, utc_now
from core.jobs.recovery import requeue_unfinished
from core.jobs.store import JobStore
from core.settings import Settings
from service.main import create_app
from tests.service.conftest import TestClient
from tests.service.job_helpers import RecordingQueue

IDS = {status: f"0000000{index}-0000-5000-8000-000000000000" for index, status in enumerate(JobStatus)}


def _write_jobs(store: JobStore) -> None:
    for status, job_id in IDS.items():
        store.create(
            JobPublic(
                id=job_id, study_uid="1.2.3", series_uid="1.2.3.4", status=status, timings=JobTimings(created=utc_now())
            )
        )


def test_app_start_requeues_queued_and_running_jobs(settings: Settings) -> None:
    _write_jobs(JobStore(settings.storage_dir))
    queue = RecordingQueue()
    app = create_app(settings=settings, job_queue=queue)
    assert queue.enqueued == []
    with TestClient(app):
        assert sorted(queue.enqueued) == sorted([IDS[JobStatus.QUEUED], IDS[JobStatus.RUNNING]])


class _Down(RecordingQueue):
    def enqueue(self, *, job_id: str) -> None:
        raise ConnectionRefusedError("broker down")


def test_an_unreachable_broker_does_not_stop_the_start(settings: Settings) -> None:
    store = JobStore(settings.storage_dir)
    _write_jobs(store)
    assert requeue_unfinished(store=store, queue=_Down()) == []
    (corrupt := store.folder / "00000009-0000-5000-8000-000000000000").mkdir()
    (corrupt / "manifest.json").write_text("{")
    assert len(requeue_unfinished(store=store, queue=RecordingQueue())) == 2  # the corrupt manifest is skipped
