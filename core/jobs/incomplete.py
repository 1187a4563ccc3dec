"""Incomplete series made visible: a PT series that stays short of its NumberOfSlices for the grace time
(``incomplete_grace_s``) gets a job record in state ``failed`` whose ``error`` (check ``incomplete_series``, 422)
says what is missing, e.g. "266 of 267 slices stored: slice index 133 missing". It shows in
``GET /v1/jobs?study_uid=`` and in ``petiq_incomplete_series``; nothing is enqueued for it, ever.

The record is a placeholder with its own deterministic id (a UUID5 of the study and series UIDs, never the id of
a real job): the sweep creates it once and rewrites its ``error`` only when what is missing changes, so running the
sweep again, or on several gateways at once, changes nothing. When the missing slices arrive later, the series
completes and STOW-RS starts its job as usual (another id); the placeholder stays, as the history of that series'
first, incomplete arrival. The sweep runs in the gateway (:func:`sweep_loop`), in embedded and distributed mode.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from core.jobs.models import JobOptions, JobPublic, JobStatus, JobTimings
from core.jobs.starter import starts_a_job
from core.jobs.store import JobStore
from core.settings import Settings
from core.storage.arrival import SeriesArrival, SeriesState, arrival, last_received
from core.storage.catalog import study_uids
from core.storage.index import read_index
from core.storage.layout import Layout, is_uid
from core.storage.outcomes import SeriesKey
from imaging.errors import OutputError

__all__ = ["INCOMPLETE_CHECK", "is_placeholder", "placeholder_id", "record_incomplete", "sweep_incomplete"]

INCOMPLETE_CHECK = "incomplete_series"
_NAMESPACE = uuid.UUID("3c4f2a9e-8d61-5b0f-a7e2-6b9d0c1e4f58")
_LOG = logging.getLogger(__name__)


def placeholder_id(*, study_uid: str, series_uid: str) -> str:
    """The id of the incomplete-series record of a series (a lower-case UUID)."""
    return str(uuid.uuid5(_NAMESPACE, f"incomplete/{study_uid}/{series_uid}"))


def is_placeholder(job: JobPublic) -> bool:
    """Whether ``job`` is an incomplete-series record rather than a job that ran."""
    return job.error is not None and job.error.get("check") == INCOMPLETE_CHECK


def _problem(*, job_id: str, series: SeriesArrival) -> dict[str, Any]:
    return {
        "type": "urn:petiq:problem:incomplete-series",
        "title": "The series is incomplete",
        "status": 422,
        "detail": f"{series.detail}; nothing arrived for the grace time, no job was started.",
        "instance": f"/v1/jobs/{job_id}",
        "check": INCOMPLETE_CHECK,
        "uid": series.series_uid,
        "missing": series.missing,
    }


def record_incomplete(*, store: JobStore, series: SeriesArrival, settings: Settings, now: datetime) -> bool:
    """Write (or bring up to date) the failed record of the incomplete ``series``; whether anything changed."""
    job_id = placeholder_id(study_uid=series.study_uid, series_uid=series.series_uid)
    problem = _problem(job_id=job_id, series=series)
    job = JobPublic(
        study_uid=series.study_uid,
        series_uid=series.series_uid,
        options=JobOptions(
            adapt=settings.default_adapt, score=settings.default_score, strength=settings.default_strength
        ),
        id=job_id,
        status=JobStatus.FAILED,
        timings=JobTimings(created=now, finished=now),
        error=problem,
    )
    stored, created = store.create(job)
    if created or stored.error == problem:
        return created
    timings = stored.timings.model_copy(update={"finished": now})
    store.update(job_id, lambda current: current.model_copy(update={"error": problem, "timings": timings}))
    return True


def _due(*, layout: Layout, settings: Settings, now: datetime, since: datetime | None) -> Iterator[SeriesKey]:
    """The series whose grace time ended in ``(since, now]`` (all up to ``now`` when ``since`` is None)."""
    grace = timedelta(seconds=settings.incomplete_grace_s)
    for study in study_uids(layout=layout):
        folder = layout.study(study) / "series"
        for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
            if not is_uid(entry.name):
                continue
            try:
                due = last_received(layout=layout, study_uid=study, series_uid=entry.name) + grace
            except OSError:  # no index (yet)
                continue
            if due <= now and (since is None or due > since):
                yield SeriesKey(study, entry.name)


def sweep_incomplete(*, settings: Settings, now: datetime | None = None, since: datetime | None = None) -> list[str]:
    """Record every PT series that is ``incomplete`` at ``now`` (default: the current time) and whose grace time
    ended after ``since`` (None: any); returns the ids of the records created or changed (errors are logged)."""
    now = now or datetime.now(UTC)
    layout, store = Layout(settings.storage_dir), JobStore(settings.storage_dir)
    changed: list[str] = []
    for key in _due(layout=layout, settings=settings, now=now, since=since):
        try:
            index = read_index(path=layout.index(*key))
            if index is None or not index.instances or not starts_a_job(index=index, pattern=settings.split_regex):
                continue
            received = last_received(layout=layout, study_uid=key.study_uid, series_uid=key.series_uid)
            series = arrival(index=index, received=received, now=now, grace_s=settings.incomplete_grace_s)
            if series.state is SeriesState.INCOMPLETE and record_incomplete(
                store=store, series=series, settings=settings, now=now
            ):
                changed.append(placeholder_id(study_uid=key.study_uid, series_uid=key.series_uid))
                _LOG.warning("series %s is incomplete: %s", key.series_uid, series.detail)
        except (OSError, OutputError) as error:
            _LOG.error("series %s could not be swept: %s", key.series_uid, error)
    return changed
