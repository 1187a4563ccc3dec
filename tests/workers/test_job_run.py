"""``run_job`` without a broker: the pipeline from a manifest, idempotence, crash recovery, failures."""

from __future__ import annotations

import fcntl
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydantic import SecretStr

from core.jobs.models import JobStatus
from core.jobs.progress import STAGE_SHARES
from core.jobs.store import JobStore
from core.jobs.transitions import started
from core.settings import Settings
from core.storage.catalog import instance_files, series_indices
from core.storage.layout import Layout
from core.strength import Strength
from imaging.dicom.reader import read_pet_series
from imaging.errors import SeriesError
from models.bundle import BundleInfo
from service.main import create_app
from tests.service.conftest import TestClient
from tests.workers.service_builders import queued_job
from workers import job_run
from workers.job_run import ProgressWriter, run_job
from workers.pipeline.job import ProcessRequest, run_process


@pytest.fixture
def settings(tmp_path: Path, random_bundle_info: BundleInfo) -> Settings:
    return Settings(storage_dir=tmp_path / "storage", denoiser_weights=random_bundle_info.directory)


def _derived_volume(settings: Settings, study_uid: str, series_uid: str) -> np.ndarray:
    files = instance_files(layout=Layout(settings.storage_dir), study_uid=study_uid, series_uid=series_uid)
    return read_pet_series(source=files[0][0].parent).volume.voxels


def test_job_runs_stores_the_derived_series_and_succeeds(
    settings: Settings, small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert (done.progress, done.attempts, done.error, done.stage) == (100.0, 1, None, None)
    assert done.result is not None and done.timings.started is not None and done.timings.finished is not None
    assert done.timings.stages_s == done.result.timings_s.model_dump()
    output_uid = done.result.output.series_uid
    indices = series_indices(layout=Layout(settings.storage_dir), study_uid=job.study_uid)
    (report,) = [index for index in indices if index.series.modality == "SR"]
    assert list(report.instances) == [done.result.output.sr_uid]
    expected_series = [job.series_uid, output_uid, report.series.series_uid]
    assert sorted(index.series.series_uid for index in indices) == sorted(expected_series)
    reference = tmp_path / "reference"
    run_process(
        request=ProcessRequest(
            input_dir=small_series_dir, out_dir=reference, weights_dir=random_bundle_info.directory, score=False
        )
    )
    expected = read_pet_series(source=reference / "denoised").volume.voxels
    assert np.array_equal(_derived_volume(settings, job.study_uid, output_uid), expected)
    job_dir = JobStore(settings.storage_dir).job_dir(job.id)
    assert sorted(path.name for path in job_dir.iterdir() if not path.name.startswith(".")) == [
        "manifest.json",
        "output",
    ]


def test_the_jobs_strength_option_reaches_the_pipeline(
    settings: Settings, small_series_dir: Path, random_bundle_info: BundleInfo, tmp_path: Path
) -> None:
    job = queued_job(settings=settings, folder=small_series_dir, strength=Strength.LOW)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.result is not None
    denoiser = done.result.provenance.denoiser
    assert (done.options.strength, denoiser.strength, denoiser.blend) == (Strength.LOW, Strength.LOW, 0.5)
    reference = tmp_path / "reference"
    request = ProcessRequest(
        input_dir=small_series_dir,
        out_dir=reference,
        weights_dir=random_bundle_info.directory,
        score=False,
        strength=Strength.LOW,
    )
    run_process(request=request)
    expected = read_pet_series(source=reference / "denoised").volume.voxels
    assert np.array_equal(_derived_volume(settings, job.study_uid, done.result.output.series_uid), expected)


def test_stored_scores_sr_is_retrieved_by_wado_rs(settings: Settings, small_series_dir: Path) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.result is not None
    sr_uid = done.result.output.sr_uid
    (report,) = [
        index
        for index in series_indices(layout=Layout(settings.storage_dir), study_uid=job.study_uid)
        if index.series.modality == "SR"
    ]
    url = f"/dicomweb/studies/{job.study_uid}/series/{report.series.series_uid}/instances/{sr_uid}"
    keyed = settings.model_copy(update={"api_keys": frozenset({SecretStr("worker-test-key")})})
    with TestClient(create_app(settings=keyed)) as client:
        response = client.get(url, headers={"Authorization": "Bearer worker-test-key"})
    assert response.status_code == 200
    start = response.content.index(b"DICM") - 128  # the one part's payload: preamble, "DICM", dataset
    received = pydicom.dcmread(io.BytesIO(response.content[start:]))
    assert received.SOPInstanceUID == sr_uid and received.Modality == "SR"
    evidence = received.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence
    assert {item.SeriesInstanceUID for item in evidence} == {job.series_uid, done.result.output.series_uid}


def test_a_finished_job_is_left_alone(settings: Settings, small_series_dir: Path) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    first = run_job(job_id=job.id, settings=settings)
    again = run_job(job_id=job.id, settings=settings)
    assert again == first
    assert len(series_indices(layout=Layout(settings.storage_dir), study_uid=job.study_uid)) == 3  # + the SR


def _no_pipeline(**_: Any) -> None:
    raise AssertionError("the pipeline should not run again")


def test_output_complete_on_disk_finishes_from_result_json(
    settings: Settings, small_series_dir: Path, random_bundle_info: BundleInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker died after the pipeline wrote its output, before the manifest said succeeded."""
    job = queued_job(settings=settings, folder=small_series_dir)
    store = JobStore(settings.storage_dir)
    store.update(job.id, started)
    request = ProcessRequest(
        input_dir=small_series_dir, out_dir=store.output_dir(job.id), weights_dir=random_bundle_info.directory
    )
    result = run_process(request=request)
    monkeypatch.setattr(job_run, "run_process", _no_pipeline)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert done.result is not None
    assert (
        done.result.model_dump(mode="json")
        == result
        == json.loads((store.output_dir(job.id) / "result.json").read_text())
    )
    assert done.attempts == 1


def test_leftovers_of_a_killed_run_are_cleared(settings: Settings, small_series_dir: Path) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    job_dir = JobStore(settings.storage_dir).job_dir(job.id)
    (job_dir / ".output.x1y2.tmp" / "denoised").mkdir(parents=True)
    (job_dir / "input" / "1.2.3").mkdir(parents=True)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.status is JobStatus.SUCCEEDED
    assert not (job_dir / ".output.x1y2.tmp").exists() and not (job_dir / "input").exists()


def test_a_job_run_elsewhere_is_skipped(settings: Settings, small_series_dir: Path) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    descriptor = os.open(JobStore(settings.storage_dir).run_lock(job.id), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert run_job(job_id=job.id, settings=settings) is None
    finally:
        os.close(descriptor)
    assert JobStore(settings.storage_dir).get(job.id) == job


def test_unknown_job_is_nothing_to_do(settings: Settings) -> None:
    assert run_job(job_id="0f0e0d0c-0b0a-5908-8706-050403020100", settings=settings) is None
    assert run_job(job_id="../../etc", settings=settings) is None


def test_unusable_weights_fail_the_job_with_a_problem(
    settings: Settings, small_series_dir: Path, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    broken = settings.model_copy(update={"denoiser_weights": tmp_path / "empty"})
    job = queued_job(settings=broken, folder=small_series_dir)
    done = run_job(job_id=job.id, settings=broken)
    assert done is not None and done.status is JobStatus.FAILED
    assert done.error is not None
    assert (done.error["status"], done.error["instance"]) == (422, f"/v1/jobs/{job.id}")
    assert done.error["detail"].startswith("Denoiser weights in ")
    assert "path" not in done.error  # the error's own path member stays in the logs
    assert str(tmp_path) not in json.dumps(done.error)  # nor does the folder its message (and OSError) named
    assert "…/dncnn.json" in done.error["detail"] and done.error["detail"].endswith("in the worker log.")


def test_input_error_in_the_pipeline_fails_without_raising(
    settings: Settings, small_series_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bad_series(**_: Any) -> None:
        raise SeriesError("Slices are not evenly spaced.", check="slice_spacing", uid="1.2.3")

    monkeypatch.setattr(job_run, "run_process", bad_series)
    job = queued_job(settings=settings, folder=small_series_dir)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.error is not None
    assert (done.status, done.error["check"], done.error["uid"]) == (JobStatus.FAILED, "slice_spacing", "1.2.3")
    assert done.error["type"] == "urn:petiq:problem:unprocessable-input"


def test_transient_error_propagates_for_a_retry(
    settings: Settings, small_series_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_hiccup(**_: Any) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr(job_run, "run_process", disk_hiccup)
    job = queued_job(settings=settings, folder=small_series_dir)
    with pytest.raises(OSError, match="No space"):
        run_job(job_id=job.id, settings=settings)
    assert JobStore(settings.storage_dir).get(job.id).status is JobStatus.RUNNING


def test_unexpected_error_fails_the_job_and_propagates(
    settings: Settings, small_series_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The job's error names the stage and the exception's type, never its text (which may carry a server path
    or a wrapped traceback); the worker log keeps the traceback."""
    secret_path = str(settings.storage_dir / "jobs" / "x" / "input")

    def bug(*, progress: Any, **_: Any) -> None:
        progress("denoise", 0.5)
        inner = f'Traceback (most recent call last):\n  File "{secret_path}/model.py", line 3, in run'
        raise ZeroDivisionError(f"division by zero in {secret_path}\n{inner}")

    monkeypatch.setattr(job_run, "run_process", bug)
    job = queued_job(settings=settings, folder=small_series_dir)
    with pytest.raises(ZeroDivisionError):
        run_job(job_id=job.id, settings=settings)
    error = JobStore(settings.storage_dir).get(job.id).error
    assert error is not None and error["status"] == 500
    assert error["detail"] == (
        "The job failed unexpectedly during denoise (ZeroDivisionError). The details are in the worker log."
    )
    (logged,) = [record for record in caplog.records if record.getMessage() == f"job {job.id} failed unexpectedly"]
    assert logged.exc_info is not None and logged.exc_info[0] is ZeroDivisionError


def test_progress_writer_throttles_within_a_stage(settings: Settings, small_series_dir: Path) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    store = JobStore(settings.storage_dir)
    store.update(job.id, started)
    writer = ProgressWriter(store=store, job_id=job.id, interval_s=3600.0)
    writer("load", 0.0)
    writer("load", 1.0)  # same stage, within the interval: not written
    assert (store.get(job.id).stage, store.get(job.id).progress) == ("load", 0.0)
    writer("denoise", 0.5)
    shares = STAGE_SHARES
    assert (store.get(job.id).stage, store.get(job.id).progress) == (
        "denoise",
        shares["load"] + shares["adapt"] + shares["denoise"] * 0.5,
    )


def test_a_job_whose_worker_keeps_dying_fails_instead_of_looping(
    settings: Settings, small_series_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = queued_job(settings=settings, folder=small_series_dir)
    store = JobStore(settings.storage_dir)
    for _ in range(settings.job_max_retries + 1):
        store.update(job.id, started)  # each attempt died while running
    monkeypatch.setattr(job_run, "run_process", _no_pipeline)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.status is JobStatus.FAILED and done.error is not None
    assert (done.error["check"], done.error["status"], done.attempts) == ("attempts", 500, 4)
