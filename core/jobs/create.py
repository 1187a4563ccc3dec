"""A job request resolved against the storage into a new manifest, and submitted at most once.

The job id is a UUID5 of the job's inputs and options (:class:`~core.jobs.models.JobBase` as JSON): the same
series with the same splits and options is the same job, whoever asks for it and however often.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from core.adapt import AdaptMode, check_split_pair
from core.errors import NotFoundError
from core.jobs.enqueue import send_pending
from core.jobs.forwarding import initial_delivery
from core.jobs.models import (
    JobBase,
    JobCreate,
    JobOptions,
    JobPublic,
    JobStatus,
    JobTimings,
    SplitPair,
    utc_now,
)
from core.jobs.queue import JobQueue
from core.jobs.store import JobStore
from core.jobs.transitions import requeued
from core.settings import Settings
from core.storage.catalog import study_uids
from core.storage.index import read_index
from core.storage.layout import Layout, check_uid
from core.storage.models import SeriesIndex
from core.strength import LEGACY_STRENGTH
from imaging.errors import InputError, SeriesError

__all__ = ["job_id", "job_of_indices", "new_job", "submit"]

_NAMESPACE = uuid.UUID("6f1d8f0e-2b7a-5c55-9a39-7e3c1a2b9d10")
_LOG = logging.getLogger(__name__)


def job_id(*, base: JobBase) -> str:
    """The deterministic id of the job ``base`` describes (a lower-case UUID). A destination without a C-STORE
    part is described as before ``dimse`` existed, the strength ``high`` (the network's full output, what
    every job ran before levels existed) as before ``strength`` existed, and a job without ``uncertainty`` as
    before that option existed, so that such jobs keep their ids (and one with it has an id of its own)."""
    options: dict[str, Any] = {}
    forward = base.options.forward
    if forward is not None and forward.dimse is None:
        options["forward"] = {"dimse"}
    if base.options.strength is LEGACY_STRENGTH:
        options["strength"] = True
    if not base.options.uncertainty:
        options["uncertainty"] = True
    unset = {"options": options} if options else None
    return str(uuid.uuid5(_NAMESPACE, base.model_dump_json(exclude=unset)))


def _study_of(*, layout: Layout, series_uid: str) -> str:
    for study in study_uids(layout=layout):
        if layout.index(study, series_uid).is_file():
            return study
    raise NotFoundError("No such series is stored.", check="series_uid", uid=series_uid)


def _stored(*, layout: Layout, study_uid: str, series_uid: str, name: str) -> SeriesIndex:
    index = read_index(path=layout.index(study_uid, check_uid(value=series_uid, name=name)))
    return _checked(index=index, series_uid=series_uid, name=name)


def _checked(*, index: SeriesIndex | None, series_uid: str, name: str) -> SeriesIndex:
    """``index`` if it is a stored PT series (argument ``name``); NotFoundError or SeriesError otherwise."""
    if index is None or not index.instances:
        raise NotFoundError(f"Argument '{name}': no such series is stored in this study.", check=name, uid=series_uid)
    if index.series.modality != "PT":
        raise SeriesError(f"Argument '{name}' should be a PT series, not {index.series.modality}.", uid=series_uid)
    return index


def _splits(*, layout: Layout, request: JobCreate, study_uid: str, adapt: AdaptMode) -> SplitPair | None:
    given = check_split_pair(mode=adapt, split_a=request.split_a, split_b=request.split_b)
    if not given or request.split_a is None or request.split_b is None:
        return None
    if len({request.series_uid, request.split_a, request.split_b}) != 3:
        raise InputError("Arguments 'series_uid', 'split_a' and 'split_b' should be three series.", check="splits")
    for name, uid in (("split_a", request.split_a), ("split_b", request.split_b)):
        _stored(layout=layout, study_uid=study_uid, series_uid=uid, name=name)
    return SplitPair(a=request.split_a, b=request.split_b)


def new_job(*, layout: Layout, request: JobCreate, settings: Settings) -> JobPublic:
    """The queued manifest ``request`` describes (not written yet).

    Raises:
        NotFoundError: the series or a split is not stored.
        InputError: half a split pair, ``n2n-split`` without splits, or a series that is not PT.
    """
    series_uid = check_uid(value=request.series_uid, name="series_uid")
    study_uid = request.study_uid or _study_of(layout=layout, series_uid=series_uid)
    _stored(
        layout=layout, study_uid=check_uid(value=study_uid, name="study_uid"), series_uid=series_uid, name="series_uid"
    )
    adapt = request.adapt or settings.default_adapt
    splits = _splits(layout=layout, request=request, study_uid=study_uid, adapt=adapt)
    return _job(
        request=request, study_uid=study_uid, series_uid=series_uid, splits=splits, adapt=adapt, settings=settings
    )


def job_of_indices(
    *, series: SeriesIndex, splits: tuple[SeriesIndex, SeriesIndex] | None, settings: Settings
) -> JobPublic:
    """The queued manifest of a job with the server's defaults for the stored ``series`` and its split pair
    ``splits`` (A, B), from their indices as read already (the job starter's :class:`StoreReport`): checked as
    :func:`new_job` checks a request, without reading the storage again. Not written yet.

    Raises:
        SeriesError: the series or a split is not PT.
        InputError: ``default_adapt`` is ``n2n-split`` and ``splits`` is None.
    """
    uid = series.series.series_uid
    _checked(index=series, series_uid=uid, name="series_uid")
    for name, split in zip(("split_a", "split_b"), splits or (), strict=False):
        _checked(index=split, series_uid=split.series.series_uid, name=name)
    a, b = (splits[0].series.series_uid, splits[1].series.series_uid) if splits else (None, None)
    request = JobCreate(series_uid=uid, study_uid=series.study.study_uid, split_a=a, split_b=b)
    adapt = settings.default_adapt
    check_split_pair(mode=adapt, split_a=a, split_b=b)
    pair = SplitPair(a=a, b=b) if a is not None and b is not None else None
    study_uid = series.study.study_uid
    return _job(request=request, study_uid=study_uid, series_uid=uid, splits=pair, adapt=adapt, settings=settings)


def _job(
    *,
    request: JobCreate,
    study_uid: str,
    series_uid: str,
    splits: SplitPair | None,
    adapt: AdaptMode,
    settings: Settings,
) -> JobPublic:
    """The manifest of ``request`` (``series_uid`` of ``study_uid``, checked, its split pair checked) with the
    server's defaults filled in."""
    options = JobOptions(
        adapt=adapt,
        score=settings.default_score if request.score is None else request.score,
        strength=request.strength or settings.default_strength,
        uncertainty=request.uncertainty,
        forward=request.forward.public if request.forward is not None else None,
    )
    base = JobBase(study_uid=study_uid, series_uid=series_uid, splits=splits, options=options)
    return JobPublic(
        **base.model_dump(),
        id=job_id(base=base),
        timings=JobTimings(created=utc_now()),
        delivery=initial_delivery(options=options, settings=settings),
    )


def submit(*, store: JobStore, job: JobPublic, queue: JobQueue) -> tuple[JobPublic, bool]:
    """Store ``job`` unless it exists, and enqueue it: (the manifest, whether it is newly queued).

    An existing job is returned as it is, except that a failed one is queued again (a retry) and a queued one
    is enqueued again (in case its message was lost; the task is idempotent, duplicates return at once). A broker
    that is away fails nothing here: the manifest records it and the gateway sends the message later
    (:mod:`core.jobs.enqueue`).
    """
    stored, created = store.create(job)
    if not created and stored.status is JobStatus.FAILED:
        stored, created = store.update(job.id, requeued), True
        _LOG.info("job %s failed before; queued again", job.id)
    if created or stored.status is JobStatus.QUEUED:
        sent, _ = send_pending(store=store, queue=queue, job_id=job.id)
        stored = sent or stored
    return stored, created
