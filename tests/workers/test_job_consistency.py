"""A stored series whose slices disagree on Units: its job fails at load with a 422 problem naming the check (it
used to run the whole pipeline and fail with a 500 when writing the derived series)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from core.jobs.models import JobStatus
from core.settings import Settings
from models.bundle import BundleInfo
from tests.imaging.dicom.factories import make_pet_series, write_series
from tests.workers.service_builders import queued_job
from workers.job_run import run_job


@pytest.fixture
def settings(tmp_path: Path, random_bundle_info: BundleInfo) -> Settings:
    return Settings(
        storage_dir=tmp_path / "storage", denoiser_weights=random_bundle_info.directory, default_score=False
    )


def test_mixed_units_fail_the_job_at_load_with_a_named_check(settings: Settings, tmp_path: Path) -> None:
    datasets = [copy.deepcopy(ds) for ds in make_pet_series(rng=np.random.default_rng(3), shape=(6, 8, 8)).datasets]
    datasets[2].Units = "CNTS"
    write_series(datasets, tmp_path / "series")
    job = queued_job(settings=settings, folder=tmp_path / "series")
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.status is JobStatus.FAILED and done.error is not None
    assert (done.error["status"], done.error["check"], done.error["uid"]) == (422, "consistent_units", job.series_uid)
    assert done.error["type"] == "urn:petiq:problem:unprocessable-input"
    assert done.error["detail"] == (
        f"Attribute 'Units' should be the same on every slice: {datasets[2].SOPInstanceUID}.dcm has CNTS, "
        "the others BQML."
    )
    assert done.timings.stages_s == {}  # refused at load: no stage ran
