"""Jobs started by STOW-RS: one per completed PT series, none twice, split series attached by the documented rule."""

from __future__ import annotations

import pytest
from pydicom.dataset import Dataset

from core.settings import Settings
from service.main import create_app
from tests.service.conftest import TestClient
from tests.service.helpers import pet_datasets, sibling_series
from tests.service.job_helpers import RecordingQueue, jobs_of, stow


def _study(seed: int) -> tuple[list[Dataset], list[Dataset], list[Dataset]]:
    full = pet_datasets(seed=seed, n_slices=4)
    return (
        full,
        sibling_series(full, tag="a", description="PET WB split A"),
        sibling_series(full, tag="b", description="PET WB split B"),
    )


def test_each_completed_series_starts_one_job_with_server_defaults(
    jobs_client: TestClient, queue: RecordingQueue, settings: Settings
) -> None:
    full = pet_datasets(seed=80, n_slices=4)
    assert stow(jobs_client, full[:2]).status_code == 200
    assert queue.enqueued == []  # 2 of 4 slices: not complete yet
    assert stow(jobs_client, full[2:]).status_code == 200
    (job,) = jobs_of(jobs_client, full[0].StudyInstanceUID)
    assert (job["series_uid"], job["splits"], job["status"]) == (full[0].SeriesInstanceUID, None, "queued")
    assert job["options"] == {"adapt": settings.default_adapt, "score": settings.default_score, "forward": None}
    assert queue.enqueued == [job["id"]]
    assert stow(jobs_client, full).status_code == 200  # identical re-send: no new job, not enqueued again
    assert len(jobs_of(jobs_client, full[0].StudyInstanceUID)) == 1
    assert queue.enqueued == [job["id"]]


def test_server_defaults_come_from_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(
        storage_dir=tmp_path_factory.mktemp("defaults"),
        allow_anonymous=True,
        default_adapt="single",
        default_score=False,
    )
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as client:
        full = pet_datasets(seed=81, n_slices=2)
        stow(client, full)
        (job,) = jobs_of(client, full[0].StudyInstanceUID)
    assert job["options"] == {"adapt": "single", "score": False, "forward": None}


def test_splits_sent_with_the_parent_are_its_pair(jobs_client: TestClient, queue: RecordingQueue) -> None:
    full, split_a, split_b = _study(seed=82)
    assert stow(jobs_client, split_b + full + split_a).status_code == 200
    (job,) = jobs_of(jobs_client, full[0].StudyInstanceUID)
    assert job["series_uid"] == full[0].SeriesInstanceUID
    assert job["splits"] == {"a": split_a[0].SeriesInstanceUID, "b": split_b[0].SeriesInstanceUID}
    assert queue.enqueued == [job["id"]]


def test_splits_sent_before_the_parent_start_nothing_then_pair_with_it(
    jobs_client: TestClient, queue: RecordingQueue
) -> None:
    full, split_a, split_b = _study(seed=83)
    stow(jobs_client, split_a)
    stow(jobs_client, split_b)
    assert jobs_of(jobs_client, full[0].StudyInstanceUID) == [] and queue.enqueued == []
    stow(jobs_client, full)
    (job,) = jobs_of(jobs_client, full[0].StudyInstanceUID)
    assert job["splits"] == {"a": split_a[0].SeriesInstanceUID, "b": split_b[0].SeriesInstanceUID}


def test_splits_sent_after_the_parent_do_not_change_its_job(jobs_client: TestClient, queue: RecordingQueue) -> None:
    full, split_a, split_b = _study(seed=84)
    stow(jobs_client, full)
    (before,) = jobs_of(jobs_client, full[0].StudyInstanceUID)
    stow(jobs_client, split_a + split_b)
    (after,) = jobs_of(jobs_client, full[0].StudyInstanceUID)
    assert after == before and after["splits"] is None
    assert queue.enqueued == [before["id"]]


def test_one_split_only_is_no_pair(jobs_client: TestClient) -> None:
    full, split_a, _ = _study(seed=85)
    stow(jobs_client, split_a + full)
    (job,) = jobs_of(jobs_client, full[0].StudyInstanceUID)
    assert job["splits"] is None


def test_petiq_output_sent_back_starts_nothing(jobs_client: TestClient, queue: RecordingQueue) -> None:
    full = pet_datasets(seed=86, n_slices=2)
    derived = sibling_series(full, tag="d", description="PET WB [petiq denoised]")
    stow(jobs_client, derived)
    assert jobs_of(jobs_client, full[0].StudyInstanceUID) == [] and queue.enqueued == []


def test_n2n_default_without_splits_starts_nothing(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(storage_dir=tmp_path_factory.mktemp("n2n"), allow_anonymous=True, default_adapt="n2n-split")
    queue = RecordingQueue()
    with TestClient(create_app(settings=settings, job_queue=queue)) as client:
        full = pet_datasets(seed=87, n_slices=4)
        assert stow(client, full).status_code == 200  # stored all the same
        assert jobs_of(client, full[0].StudyInstanceUID) == []
        other = pet_datasets(seed=88, n_slices=2)
        stow(client, other + sibling_series(other, tag="a", description="x split A"))
        stow(client, sibling_series(other, tag="b", description="x split B"))
        assert jobs_of(client, other[0].StudyInstanceUID) == []  # the parent completed before its pair
        assert queue.enqueued == []
