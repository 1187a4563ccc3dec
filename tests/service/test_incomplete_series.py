"""A PT series that stays short of its NumberOfSlices: receiving, then incomplete after the grace time, shown by
the series status route, a failed job record in ``GET /v1/jobs?study_uid=`` and the metric; the missing slice
arriving later completes it and starts its job as usual."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset

from core.jobs.incomplete import is_placeholder, placeholder_id, sweep_incomplete
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage.layout import Layout
from service.main import create_app
from tests.service.conftest import TestClient
from tests.service.helpers import AUTH, pet_datasets, sibling_series
from tests.service.job_helpers import RecordingQueue, jobs_of, stow

_DEADLINE_S = 10.0


def _status(client: TestClient, series: Dataset) -> dict[str, Any]:
    url = f"/v1/studies/{series.StudyInstanceUID}/series/{series.SeriesInstanceUID}/status"
    response = client.get(url, headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _poll_jobs(client: TestClient, study_uid: str) -> list[dict[str, Any]]:
    """The study's jobs once there is one (the sweep runs in the app's lifespan), within a bounded deadline."""
    deadline = time.monotonic() + _DEADLINE_S
    while not (jobs := jobs_of(client, study_uid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return jobs


@pytest.fixture
def quick(tmp_path: Path, queue: RecordingQueue) -> Iterator[TestClient]:
    """The gateway with a 0.2 s grace time (the sweep runs every 0.05 s)."""
    settings = Settings(storage_dir=tmp_path / "storage", allow_anonymous=True, incomplete_grace_s=0.2)
    with TestClient(create_app(settings=settings, job_queue=queue)) as client:
        yield client


def test_incomplete_series_is_reported_then_completes_and_starts_its_job(
    quick: TestClient, queue: RecordingQueue
) -> None:
    series = pet_datasets(seed=190, n_slices=9)
    study_uid = series[0].StudyInstanceUID
    assert stow(quick, series[:4] + series[5:]).status_code == 200  # slice index 5 not sent
    (record,) = _poll_jobs(quick, study_uid)
    assert (record["status"], record["series_uid"]) == ("failed", series[0].SeriesInstanceUID)
    assert record["error"]["check"] == "incomplete_series" and record["error"]["status"] == 422
    assert record["error"]["detail"].startswith("8 of 9 slices stored: slice index 5 missing")
    assert record["error"]["missing"] == [5]
    assert queue.enqueued == []  # nothing runs for an incomplete series
    status = _status(quick, series[0])
    assert (status["state"], status["stored"], status["expected"], status["missing"]) == ("incomplete", 8, 9, [5])
    assert (status["missing_basis"], status["job"]) == ("image_index", record["id"])
    assert status["detail"] == "8 of 9 slices stored: slice index 5 missing"
    assert "petiq_incomplete_series 1.0" in quick.get("/metrics", headers=AUTH).text

    assert stow(quick, [series[4]]).status_code == 200
    (job,) = [job for job in jobs_of(quick, study_uid) if job["id"] != record["id"]]
    assert job["status"] == "queued" and queue.enqueued == [job["id"]]
    status = _status(quick, series[0])
    assert (status["state"], status["missing"], status["job"]) == ("complete", [], job["id"])
    assert "petiq_incomplete_series 0.0" in quick.get("/metrics", headers=AUTH).text
    assert [item["id"] for item in jobs_of(quick, study_uid)] == [record["id"], job["id"]]  # the record stays


def test_status_route_shows_receiving_within_the_grace_time(client: TestClient) -> None:
    series = pet_datasets(seed=191, n_slices=5)
    stow(client, series[:3])
    status = _status(client, series[0])  # the default grace time is 300 s
    assert (status["state"], status["missing"], status["job"]) == ("receiving", [4, 5], None)
    assert jobs_of(client, series[0].StudyInstanceUID) == []


def test_status_route_of_a_series_not_stored_is_404(client: TestClient) -> None:
    response = client.get("/v1/studies/1.2.3/series/1.2.4/status", headers=AUTH)
    assert response.status_code == 404 and response.json()["check"] == "series"
    assert client.get("/v1/studies/1.2.3/series/x/status", headers=AUTH).status_code == 400


# The sweep itself, with an injected clock (the app is not started: no lifespan sweep).


def _store(settings: Settings, datasets: list[Dataset], *, at: datetime) -> None:
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as client:
        assert stow(client, datasets).status_code == 200
    ds = datasets[0]
    stamp = at.timestamp()
    os.utime(Layout(settings.storage_dir).index(ds.StudyInstanceUID, ds.SeriesInstanceUID), (stamp, stamp))


@pytest.fixture
def slow(tmp_path: Path) -> Settings:
    return Settings(storage_dir=tmp_path / "storage", allow_anonymous=True, incomplete_grace_s=3600)


_T0 = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)


def test_sweep_records_once_after_the_grace_time_and_updates_when_more_arrives(slow: Settings) -> None:
    series = pet_datasets(seed=192, n_slices=6)
    _store(slow, series[:2], at=_T0)
    assert sweep_incomplete(settings=slow, now=_T0 + timedelta(seconds=3599)) == []
    record_id = placeholder_id(study_uid=series[0].StudyInstanceUID, series_uid=series[0].SeriesInstanceUID)
    assert sweep_incomplete(settings=slow, now=_T0 + timedelta(hours=1)) == [record_id]
    assert sweep_incomplete(settings=slow, now=_T0 + timedelta(hours=2)) == []  # idempotent
    store = JobStore(slow.storage_dir)
    first = store.get(record_id)
    assert first.error is not None and first.error["missing"] == [3, 4, 5, 6]
    _store(slow, series[2:4], at=_T0 + timedelta(hours=3))
    assert sweep_incomplete(settings=slow, now=_T0 + timedelta(hours=3, minutes=59)) == []
    assert sweep_incomplete(settings=slow, now=_T0 + timedelta(hours=4)) == [record_id]
    second = store.get(record_id)
    assert second.error is not None and second.error["missing"] == [5, 6]
    assert second.timings.created == first.timings.created and len(list(store.all())) == 1


def test_sweep_looks_only_at_series_due_since_the_last_sweep(slow: Settings) -> None:
    series = pet_datasets(seed=193, n_slices=3)
    _store(slow, series[:1], at=_T0)
    later = _T0 + timedelta(hours=2)
    assert sweep_incomplete(settings=slow, now=later, since=_T0 + timedelta(hours=1, seconds=1)) == []
    assert len(sweep_incomplete(settings=slow, now=later, since=_T0 + timedelta(minutes=59))) == 1


def test_sweep_leaves_complete_uncounted_split_and_derived_series_alone(slow: Settings) -> None:
    full = pet_datasets(seed=194, n_slices=4)
    no_count = sibling_series(pet_datasets(seed=195, n_slices=4), tag="n", description="PET WB")
    for ds in no_count:
        del ds.NumberOfSlices
    split = sibling_series(full, tag="a", description="PET WB split A")
    derived = sibling_series(full, tag="d", description="PET WB [petiq denoised]")
    for datasets in (full, no_count[:2], split[:2], derived[:2]):
        _store(slow, datasets, at=_T0)
    assert sweep_incomplete(settings=slow, now=_T0 + timedelta(days=1)) == []
    jobs = list(JobStore(slow.storage_dir).all())  # the two complete series started theirs on STOW-RS
    assert sorted(job.series_uid for job in jobs) == sorted([full[0].SeriesInstanceUID, no_count[0].SeriesInstanceUID])
    assert not any(is_placeholder(job) for job in jobs)
