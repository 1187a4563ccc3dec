"""QIDO-RS search: ``GET /dicomweb/studies`` and ``GET /dicomweb/studies/{study}/series`` (PS3.18 §10.6).

``application/dicom+json`` arrays (200, ``[]`` when nothing matches); matching as in :mod:`service.dicomweb.qido`.
The search reads every stored series index of the studies concerned: fine for a gateway's working set.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from service.api.deps import BaseUrlDep, LayoutDep
from service.api.errors import problem_responses
from service.api.params import uid_path
from service.api.routes.stow import DICOM_JSON
from service.dicomweb.dicom_json import series_result, study_result
from service.dicomweb.qido import StudyQuery, match_series, match_studies, page, summarise, uid_list
from service.storage.catalog import series_indices, study_uids
from service.storage.layout import Layout, check_uid

__all__ = ["router"]

router = APIRouter(tags=["dicomweb"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Matching results (an empty array when none)", "content": {DICOM_JSON: {}}},
    **problem_responses(400, 401),
}
_Limit = Annotated[int | None, Query(ge=1, le=10_000, description="Most results to return")]
_Offset = Annotated[int, Query(ge=0, description="Results to skip")]


def _studies(layout: Layout, query: StudyQuery) -> list[Any]:
    uids = study_uids(layout=layout)
    if query.study_uids is not None:
        uids = [uid for uid in uids if uid in query.study_uids]
    summaries = [summarise(series=found) for uid in uids if (found := series_indices(layout=layout, study_uid=uid))]
    return match_studies(summaries=summaries, query=query)


@router.get("/studies", operation_id="search_studies", responses=_RESPONSES, response_class=JSONResponse)
async def search_studies(
    layout: LayoutDep,
    base_url: BaseUrlDep,
    study_instance_uid: Annotated[list[str], Query(alias="StudyInstanceUID")] = [],  # noqa: B006 (FastAPI query list)
    patient_id: Annotated[str | None, Query(alias="PatientID")] = None,
    modalities_in_study: Annotated[str | None, Query(alias="ModalitiesInStudy")] = None,
    modality: Annotated[str | None, Query(alias="Modality")] = None,
    limit: _Limit = None,
    offset: _Offset = 0,
) -> JSONResponse:
    """Stored studies matching StudyInstanceUID (UID list), PatientID (wildcards) and ModalitiesInStudy."""
    query = StudyQuery(
        study_uids=uid_list(study_instance_uid), patient_id=patient_id, modality=modalities_in_study or modality
    )
    found = await run_in_threadpool(_studies, layout, query)
    body = [study_result(summary=summary, base_url=base_url) for summary in page(found, limit=limit, offset=offset)]
    return JSONResponse(body, media_type=DICOM_JSON)


@router.get("/studies/{study}/series", operation_id="search_series", responses=_RESPONSES, response_class=JSONResponse)
async def search_series(
    study: Annotated[str, uid_path(description="StudyInstanceUID")],
    layout: LayoutDep,
    base_url: BaseUrlDep,
    modality: Annotated[str | None, Query(alias="Modality")] = None,
    limit: _Limit = None,
    offset: _Offset = 0,
) -> JSONResponse:
    """The stored series of ``study`` (by SeriesNumber), optionally of one Modality; ``[]`` for an unknown study."""
    indices = await run_in_threadpool(
        lambda: series_indices(layout=layout, study_uid=check_uid(value=study, name="study"))
    )
    found = page(match_series(series=indices, modality=modality), limit=limit, offset=offset)
    return JSONResponse([series_result(index=index, base_url=base_url) for index in found], media_type=DICOM_JSON)
