"""A job on a full or read-only storage volume: failed at once with a clear reason, every partial output removed.

The real case runs on a small tmpfs (skipped where none can be mounted); the others fake the OS errors.
"""

from __future__ import annotations

import errno
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.errors import InsufficientStorageError
from core.jobs.models import JobPublic, JobStatus
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage import Layout, series_indices
from core.storage import store as store_module
from core.storage.spool import SpoolWriter
from imaging.errors import OutputError
from models.bundle import BundleInfo
from tests.imaging.dicom.factories import write_series
from tests.service.helpers import pet_datasets, sibling_series
from tests.volume import FAKE_PATH, PAGE_BYTES, RefusingFile, fill, free_bytes, os_error
from tests.workers.service_builders import queued_job
from workers import job_run, tasks
from workers.job_io import store_derived
from workers.job_run import run_job


@pytest.fixture
def settings(tmp_path: Path, random_bundle_info: BundleInfo) -> Settings:
    return Settings(storage_dir=tmp_path / "storage", denoiser_weights=random_bundle_info.directory)


def _raising(error: BaseException) -> Any:
    def fail(*_: Any, **__: Any) -> None:
        raise error

    return fail


def _wrapped(code: int) -> OutputError:
    """What the pipeline raises when a write of its output fails: an OutputError naming the file, from the OSError."""
    try:
        raise os_error(code)
    except OSError as cause:
        try:
            raise OutputError(f"Could not write the output folder: {cause}.", path=FAKE_PATH) from cause
        except OutputError as error:
            return error


def _spool_files(settings: Settings) -> list[Path]:
    tmp = Layout(settings.storage_dir).tmp
    return list(tmp.iterdir()) if tmp.is_dir() else []


def _job_files(store: JobStore, job_id: str) -> list[str]:
    """What is left in the job's folder besides its manifest and lock files."""
    return sorted(path.name for path in store.job_dir(job_id).iterdir() if path.name not in {"manifest.json"})


def _assert_failed_for_storage(job: JobPublic | None, *, check: str, words: str) -> None:
    assert job is not None and job.status is JobStatus.FAILED and job.error is not None
    assert (job.error["status"], job.error["check"], job.error["type"]) == (
        507,
        check,
        "urn:petiq:problem:insufficient-storage",
    )
    assert words in job.error["detail"] and "submit the job again" in job.error["detail"]
    assert FAKE_PATH not in job.error["detail"] and "/" not in job.error["detail"].replace("/v1/jobs", "")


def test_store_derived_deletes_every_spool_file_when_one_cannot_be_written(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "denoised"
    write_series(pet_datasets(seed=70, n_slices=3), folder)
    real_write = SpoolWriter.write
    calls: list[int] = []

    def third_write_full(writer: SpoolWriter, data: bytes) -> None:
        calls.append(len(data))
        if len(calls) == 3:
            writer._file = RefusingFile(writer._file, os_error(errno.ENOSPC))  # type: ignore[assignment]
        real_write(writer, data)

    monkeypatch.setattr(SpoolWriter, "write", third_write_full)
    with pytest.raises(InsufficientStorageError) as raised:
        store_derived(settings=settings, folder=folder, study_uid=pet_datasets(seed=70)[0].StudyInstanceUID)
    assert raised.value.check == "storage_space" and len(calls) == 3
    assert _spool_files(settings) == []


def test_store_derived_takes_back_what_it_stored_when_a_series_is_refused(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = pet_datasets(seed=71, n_slices=2)
    refused = sibling_series(kept, tag="refused", description="the second series of the output")
    folder = tmp_path / "denoised"
    write_series(kept, folder, names=["a1.dcm", "a2.dcm"])
    write_series(refused, folder, names=["b1.dcm", "b2.dcm"])
    real_write_index = store_module.write_index

    def full_for_the_second(*, path: Path, index: Any) -> None:
        if refused[0].SeriesInstanceUID in str(path):
            raise _wrapped(errno.ENOSPC)
        real_write_index(path=path, index=index)

    monkeypatch.setattr(store_module, "write_index", full_for_the_second)
    study = kept[0].StudyInstanceUID
    with pytest.raises(InsufficientStorageError, match="the storage volume is full"):
        store_derived(settings=settings, folder=folder, study_uid=study)
    assert series_indices(layout=Layout(settings.storage_dir), study_uid=study) == []
    assert not list(settings.storage_dir.glob("studies/*/series/*/instances/*.dcm"))
    assert _spool_files(settings) == []


@pytest.mark.parametrize(
    ("code", "check", "words"),
    [(errno.ENOSPC, "storage_space", "full"), (errno.EROFS, "storage_read_only", "read-only")],
)
def test_a_job_whose_output_cannot_be_written_fails_at_once_and_leaves_nothing(
    settings: Settings, small_series_dir: Path, monkeypatch: pytest.MonkeyPatch, code: int, check: str, words: str
) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    store = JobStore(settings.storage_dir)

    def partial_then_fault(**_: Any) -> None:
        (store.job_dir(job.id) / ".output.abc.tmp" / "denoised").mkdir(parents=True)
        raise _wrapped(code)

    monkeypatch.setattr(job_run, "run_process", partial_then_fault)
    done = run_job(job_id=job.id, settings=settings)  # returns: no exception, so the task does not retry
    _assert_failed_for_storage(done, check=check, words=words)
    assert done is not None and done.attempts == 1
    assert [name for name in _job_files(store, job.id) if not name.endswith(".lock")] == []


def test_a_job_whose_success_cannot_be_recorded_takes_its_stored_output_back(
    settings: Settings, small_series_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    monkeypatch.setattr(job_run, "succeeded", _raising(_wrapped(errno.ENOSPC)))
    done = run_job(job_id=job.id, settings=settings)
    _assert_failed_for_storage(done, check="storage_space", words="full")
    indices = series_indices(layout=Layout(settings.storage_dir), study_uid=job.study_uid)
    assert [index.series.series_uid for index in indices] == [job.series_uid]  # no derived series, no SR
    assert not JobStore(settings.storage_dir).output_dir(job.id).exists()


def test_a_job_failed_after_its_retries_has_its_outputs_removed(settings: Settings, small_series_dir: Path) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    store = JobStore(settings.storage_dir)
    (store.output_dir(job.id) / "denoised").mkdir(parents=True)
    task = SimpleNamespace(request=SimpleNamespace(retries=settings.job_max_retries))
    tasks._retry_or_fail(task=task, job_id=job.id, error=OSError("storage volume went away"), settings=settings)
    failed = store.get(job.id)
    assert failed.status is JobStatus.FAILED and not store.output_dir(job.id).exists()


def test_a_job_on_a_full_volume_fails_with_the_reason_and_frees_what_it_wrote(
    small_volume: Path, small_series_dir: Path, random_bundle_info: BundleInfo
) -> None:
    settings = Settings(storage_dir=small_volume / "storage", denoiser_weights=random_bundle_info.directory)
    job = queued_job(settings=settings, folder=small_series_dir)
    left = 8 * PAGE_BYTES  # room for the manifest's updates, not for the derived series
    fill(small_volume, leave_bytes=left)
    done = run_job(job_id=job.id, settings=settings)
    _assert_failed_for_storage(done, check="storage_space", words="full")
    store = JobStore(settings.storage_dir)
    assert [name for name in _job_files(store, job.id) if not name.endswith(".lock")] == []
    indices = series_indices(layout=Layout(settings.storage_dir), study_uid=job.study_uid)
    assert [index.series.series_uid for index in indices] == [job.series_uid]
    assert _spool_files(settings) == []
    assert free_bytes(small_volume) >= left - PAGE_BYTES  # what the job wrote is freed (the manifest grew)
