"""A job with the ``uncertainty`` option, from its manifest: the uncertainty series stored in the study beside the
output, and the report page showing its map and the hottest spots' uncertainty."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.adapt import AdaptMode
from core.jobs.create import new_job
from core.jobs.models import JobCreate, JobStatus
from core.jobs.result import UncertaintyAvailable
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage.catalog import series_indices
from core.storage.layout import Layout
from models.bundle import BundleInfo
from service.report.build import build_report
from service.report.load import read_stored_series
from tests.service.report_dom import parse_page
from tests.service.report_helpers import CREATED
from tests.workers.service_builders import store_folder
from workers.job_run import run_job


@pytest.fixture
def settings(tmp_path: Path, random_bundle_info: BundleInfo) -> Settings:
    return Settings(storage_dir=tmp_path / "storage", denoiser_weights=random_bundle_info.directory)


def _uids(settings: Settings, folder: Path) -> tuple[str, str]:
    (key,) = {outcome.series for outcome in store_folder(settings=settings, folder=folder).outcomes}
    assert key is not None
    return key.study_uid, key.series_uid


def test_the_uncertainty_series_is_stored_and_shown_on_the_report(
    settings: Settings, split_study_dirs: tuple[Path, Path, Path]
) -> None:
    study, series = _uids(settings, split_study_dirs[0])
    (_, split_a), (_, split_b) = (_uids(settings, folder) for folder in split_study_dirs[1:])
    request = JobCreate(
        series_uid=series, study_uid=study, split_a=split_a, split_b=split_b, adapt=AdaptMode.OFF, uncertainty=True
    )
    job = new_job(layout=Layout(settings.storage_dir), request=request, settings=settings)
    JobStore(settings.storage_dir).create(job)
    done = run_job(job_id=job.id, settings=settings)
    assert done is not None and done.status is JobStatus.SUCCEEDED and done.result is not None
    section = done.result.uncertainty
    assert isinstance(section, UncertaintyAvailable) and section.split_uids == [split_a, split_b]
    stored = {index.series.series_uid for index in series_indices(layout=Layout(settings.storage_dir), study_uid=study)}
    assert {series, split_a, split_b, done.result.output.series_uid, section.series_uid} <= stored
    written = read_stored_series(layout=Layout(settings.storage_dir), study_uid=study, series_uid=section.series_uid)
    assert written.datasets[0].SeriesDescription.endswith("[petiq uncertainty]")
    page = parse_page(build_report(layout=Layout(settings.storage_dir), job=done, generated=CREATED))
    assert {image["id"] for image in page.images} == {
        f"{view}-{role}" for view in ("axial", "mip") for role in ("input", "output", "uncertainty")
    }
    table = page.tables["uncertainty-table"]
    assert len(table) == 1 + len(section.lesions) and "Bq/ml" in table[0][4]
    assert "standard-deviation estimate" in page.text["uncertainty"]
