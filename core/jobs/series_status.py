"""A stored series' status for ``GET /v1/studies/{study}/series/{series}/status``: its arrival
(:mod:`core.storage.arrival`: ``receiving`` / ``incomplete`` / ``complete``, stored, expected, missing slice
indices) and the newest job of the series (a job that ran or an incomplete-series record), if any."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from core.errors import NotFoundError
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage.arrival import SeriesArrival, arrival, last_received
from core.storage.index import read_index
from core.storage.layout import Layout

__all__ = ["SeriesStatus", "series_status"]


class SeriesStatus(SeriesArrival):
    """A stored series' arrival and its newest job."""

    job: str | None = Field(description="id of the newest job of this series (GET /v1/jobs/{id}); null when none")


def _newest_job(*, store: JobStore, series_uid: str) -> str | None:
    jobs = sorted((job.timings.created, job.id) for job in store.all() if job.series_uid == series_uid)
    return jobs[-1][1] if jobs else None


def series_status(*, settings: Settings, study_uid: str, series_uid: str, now: datetime) -> SeriesStatus:
    """The status of a stored series at ``now``.

    Raises:
        NotFoundError: the series is not stored (or holds no instance).
    """
    layout = Layout(settings.storage_dir)
    index = read_index(path=layout.index(study_uid, series_uid))
    if index is None or not index.instances:
        raise NotFoundError("No such series is stored.", check="series", uid=series_uid)
    received = last_received(layout=layout, study_uid=study_uid, series_uid=series_uid)
    seen = arrival(index=index, received=received, now=now, grace_s=settings.incomplete_grace_s)
    job = _newest_job(store=JobStore(settings.storage_dir), series_uid=series_uid)
    return SeriesStatus(**seen.model_dump(), job=job)
