"""Test material joining the worker and the gateway: storing a series folder, creating a queued job."""

from __future__ import annotations

from pathlib import Path

from service.core.config import Settings
from service.jobs.create import new_job
from service.jobs.models import AdaptOption, JobCreate, JobPublic
from service.jobs.store import JobStore
from service.storage.layout import Layout
from service.storage.outcomes import StoreReport
from service.storage.spool import SpoolWriter
from service.storage.store import store_instances

__all__ = ["queued_job", "store_folder"]


def store_folder(*, settings: Settings, folder: Path) -> StoreReport:
    """Store every ``*.dcm`` of ``folder`` into the storage of ``settings``, as STOW-RS would."""
    files = []
    for path in sorted(folder.glob("*.dcm")):
        writer = SpoolWriter(directory=Layout(settings.storage_dir).tmp)
        writer.write(path.read_bytes())
        files.append(writer.close())
    return store_instances(
        root=settings.storage_dir,
        files=files,
        study_uid=None,
        max_instances_per_series=settings.max_instances_per_series,
        split_pattern=settings.split_regex,
    )


def queued_job(*, settings: Settings, folder: Path, adapt: AdaptOption = AdaptOption.OFF) -> JobPublic:
    """Store the series in ``folder`` and write a queued job for it (not enqueued anywhere)."""
    report = store_folder(settings=settings, folder=folder)
    (key,) = {outcome.series for outcome in report.outcomes}
    assert key is not None
    request = JobCreate(series_uid=key.series_uid, study_uid=key.study_uid, adapt=adapt)
    job = new_job(layout=Layout(settings.storage_dir), request=request, settings=settings)
    stored, created = JobStore(settings.storage_dir).create(job)
    assert created
    return stored
