"""Jobs started by STOW-RS: one per completed PT series, none twice, split series attached by the documented rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from core.jobs import create
from core.jobs.starter import JobStarter
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage import catalog, store
from core.storage.index import read_index
from core.storage.models import SeriesIndex
from core.strength import Strength
from service.main import create_app
from tests.imaging.dicom.factories import to_bytes
from tests.service.conftest import TestClient
from tests.service.helpers import pet_datasets, sibling_series, spooled
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
    assert job["options"] == {
        "adapt": settings.default_adapt,
        "score": settings.default_score,
        "strength": settings.default_strength,
        "uncertainty": False,
        "forward": None,
    }
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
        default_strength=Strength.LOW,
    )
    with TestClient(create_app(settings=settings, job_queue=RecordingQueue())) as client:
        full = pet_datasets(seed=81, n_slices=2)
        stow(client, full)
        (job,) = jobs_of(client, full[0].StudyInstanceUID)
    options = {"adapt": "single", "score": False, "strength": "low", "uncertainty": False}
    assert job["options"] == {**options, "forward": None}


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


@pytest.mark.parametrize("suffix", ["[petiq denoised]", "[petiq uncertainty]"])
def test_petiq_output_sent_back_starts_nothing(jobs_client: TestClient, queue: RecordingQueue, suffix: str) -> None:
    full = pet_datasets(seed=86, n_slices=2)
    derived = sibling_series(full, tag="d", description=f"PET WB {suffix}")
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


def test_the_starter_takes_everything_from_the_report_and_the_store_reads_each_index_thrice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(storage_dir=tmp_path, allow_anonymous=True)
    full, split_a, split_b = _study(seed=89)
    files = [spooled(to_bytes(ds), tmp_path / "tmp") for ds in split_b + full + split_a]
    reads: list[Path] = []

    def counted(*, path: Path) -> SeriesIndex | None:
        reads.append(path)
        return read_index(path=path)

    for module in (store, catalog):
        monkeypatch.setattr(module, "read_index", counted)
    report = store.store_instances(
        root=tmp_path, files=files, study_uid=None, max_instances_per_series=100, split_pattern=settings.split_regex
    )
    assert len(reads) == 9 and len(set(reads)) == 3  # limits, commit (under the lock), the report: once each
    assert {index.series.series_uid for index in report.splits_of(full[0].SeriesInstanceUID)} == {
        split_a[0].SeriesInstanceUID,
        split_b[0].SeriesInstanceUID,
    }

    def refused(*, path: Path) -> SeriesIndex | None:
        raise AssertionError(f"the job starter read {path}")

    for module in (catalog, create):
        monkeypatch.setattr(module, "read_index", refused)
    queue = RecordingQueue()
    JobStarter(settings=settings, queue=queue)(report)
    (job,) = JobStore(tmp_path).all()
    assert queue.enqueued == [job.id] and job.series_uid == full[0].SeriesInstanceUID
    assert job.splits is not None
    assert (job.splits.a, job.splits.b) == (split_a[0].SeriesInstanceUID, split_b[0].SeriesInstanceUID)
