"""``GET /v1/studies/{study}/series/{series}/status``: where a stored series is in its arrival.

``state`` is ``receiving`` (short of its NumberOfSlices, within the grace time ``PETIQ_INCOMPLETE_GRACE_S``),
``incomplete`` (short of it and nothing arrived for the grace time) or ``complete``; ``missing`` lists the missing
slice indices and ``detail`` says it in words ("266 of 267 slices stored: slice index 133 missing"); ``job`` is
the newest job of the series. 404 when the series is not stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from core.jobs.series_status import SeriesStatus, series_status
from core.storage.layout import check_uid
from service.api.deps import SettingsDep
from service.api.errors import problem_responses
from service.api.params import uid_path

__all__ = ["router"]

router = APIRouter(prefix="/v1/studies", tags=["series"])


@router.get(
    "/{study_uid}/series/{series_uid}/status",
    operation_id="get_series_status",
    response_model=SeriesStatus,
    responses=problem_responses(400, 401, 404),
)
async def get_series_status(
    study_uid: Annotated[str, uid_path(description="StudyInstanceUID")],
    series_uid: Annotated[str, uid_path(description="SeriesInstanceUID")],
    settings: SettingsDep,
) -> SeriesStatus:
    """A stored series: receiving, incomplete or complete; stored, expected and missing slices; its newest job."""
    study = check_uid(value=study_uid, name="study_uid")
    series = check_uid(value=series_uid, name="series_uid")
    now = datetime.now(UTC)
    return await run_in_threadpool(
        lambda: series_status(settings=settings, study_uid=study, series_uid=series, now=now)
    )
