"""Test material joining the worker and the gateway: storing a series folder, creating a queued job."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from core.adapt import AdaptMode
from core.jobs.create import new_job
from core.jobs.models import JobCreate, JobPublic
from core.jobs.queue import CeleryJobQueue
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage.layout import Layout
from core.storage.outcomes import StoreReport
from core.storage.spool import SpoolWriter
from core.storage.store import store_instances
from core.strength import Strength
from service.main import create_app
from workers.celery_app import make_celery
from workers.embedded import EmbeddedWorker

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from fastapi.testclient import TestClient

__all__ = ["embedded_client", "queued_job", "store_folder", "wait_job"]


@contextmanager
def embedded_client(*, settings: Settings) -> Iterator[TestClient]:
    """A TestClient of the gateway of ``settings`` with an in-process Celery worker (embedded mode); the worker
    must stop cleanly when the block ends."""
    celery = make_celery(settings=settings)
    worker = EmbeddedWorker(app=celery)
    worker.start()
    try:
        with TestClient(create_app(settings=settings, job_queue=CeleryJobQueue(celery))) as test_client:
            yield test_client
    finally:
        assert worker.stop()


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


def queued_job(
    *, settings: Settings, folder: Path, adapt: AdaptMode = AdaptMode.OFF, strength: Strength | None = None
) -> JobPublic:
    """Store the series in ``folder`` and write a queued job for it (not enqueued anywhere); ``strength`` None is
    the server's default."""
    report = store_folder(settings=settings, folder=folder)
    (key,) = {outcome.series for outcome in report.outcomes}
    assert key is not None
    request = JobCreate(series_uid=key.series_uid, study_uid=key.study_uid, adapt=adapt, strength=strength)
    job = new_job(layout=Layout(settings.storage_dir), request=request, settings=settings)
    stored, created = JobStore(settings.storage_dir).create(job)
    assert created
    return stored


def wait_job(store: JobStore, job_id: str, done: Callable[[JobPublic], bool], timeout_s: float = 90.0) -> JobPublic:
    """The manifest of job ``job_id`` once ``done`` holds for it; AssertionError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not done(job := store.get(job_id)):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return job
