"""QIDO-RS search: ``GET /dicomweb/studies`` and ``GET /dicomweb/studies/{study}/series`` (PS3.18 §10.6).

``application/dicom+json`` arrays (200, ``[]`` when nothing matches). The matching keys of each level are
:mod:`service.dicomweb.qido_keys`, matched as :mod:`service.dicomweb.matching` says; a key, ``fuzzymatching`` or
``includefield`` petiq does not honour, and a page that leaves matches out, are reported in ``Warning: 299``
header fields (:mod:`service.dicomweb.qido_query`). The search reads every stored series index of the studies
concerned: fine for a gateway's working set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.storage.catalog import series_indices, study_uids
from core.storage.layout import Layout, check_uid
from service.api.deps import BaseUrlDep, LayoutDep
from service.api.errors import problem_responses
from service.api.params import uid_path
from service.api.routes.stow import DICOM_JSON
from service.dicomweb.dicom_json import series_result, study_result
from service.dicomweb.qido import StudySummary, page, remaining, summarise
from service.dicomweb.qido_keys import SERIES_KEYS, SERIES_RESULT, STUDY_KEYS, STUDY_RESULT, MatchKey
from service.dicomweb.qido_query import SearchQuery, parse_search, search_warnings

__all__ = ["router"]

router = APIRouter(tags=["dicomweb"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Matching results (an empty array when none); Warning: 299 names what was not honoured",
        "content": {DICOM_JSON: {}},
    },
    **problem_responses(400, 401),
}
_Limit = Annotated[int | None, Query(ge=1, le=10_000, description="Most results to return")]
_Offset = Annotated[int, Query(ge=0, description="Results to skip")]


def _documented(keys: Mapping[str, MatchKey[Any]]) -> dict[str, Any]:
    """``openapi_extra`` listing the matching keys (parsed by the route itself: keywords or tags)."""
    parameters = [
        {"name": keyword, "in": "query", "required": False, "schema": {"type": "string"}, "description": key.kind.value}
        for keyword, key in keys.items()
    ]
    parameters += [
        {"name": "fuzzymatching", "in": "query", "required": False, "schema": {"type": "boolean"}},
        {"name": "includefield", "in": "query", "required": False, "schema": {"type": "string"}},
    ]
    return {"parameters": parameters}


def _answer(*, body: list[Any], query: SearchQuery[Any], base_url: str, left: int) -> JSONResponse:
    response = JSONResponse(body, media_type=DICOM_JSON)
    for warning in search_warnings(query=query, service=f"{base_url}/dicomweb", remaining=left):
        response.headers.append("Warning", warning)
    return response


def _studies(layout: Layout, query: SearchQuery[StudySummary]) -> list[StudySummary]:
    found = (series_indices(layout=layout, study_uid=uid) for uid in study_uids(layout=layout))
    return [summary for summary in (summarise(series=series) for series in found if series) if query.matches(summary)]


@router.get(
    "/studies",
    operation_id="search_studies",
    responses=_RESPONSES,
    response_class=JSONResponse,
    openapi_extra=_documented(STUDY_KEYS),
)
async def search_studies(
    request: Request, layout: LayoutDep, base_url: BaseUrlDep, limit: _Limit = None, offset: _Offset = 0
) -> JSONResponse:
    """Stored studies matching the study keys (PatientName with wildcards, StudyDate ranges, ...)."""
    query = parse_search(items=request.query_params.multi_items(), keys=STUDY_KEYS, returned=STUDY_RESULT)
    found = await run_in_threadpool(_studies, layout, query)
    body = [study_result(summary=summary, base_url=base_url) for summary in page(found, limit=limit, offset=offset)]
    left = remaining(total=len(found), limit=limit, offset=offset)
    return _answer(body=body, query=query, base_url=base_url, left=left)


@router.get(
    "/studies/{study}/series",
    operation_id="search_series",
    responses=_RESPONSES,
    response_class=JSONResponse,
    openapi_extra=_documented(SERIES_KEYS),
)
async def search_series(
    request: Request,
    study: Annotated[str, uid_path(description="StudyInstanceUID")],
    layout: LayoutDep,
    base_url: BaseUrlDep,
    limit: _Limit = None,
    offset: _Offset = 0,
) -> JSONResponse:
    """The stored series of ``study`` (by SeriesNumber) matching the series keys; ``[]`` for an unknown study."""
    query = parse_search(items=request.query_params.multi_items(), keys=SERIES_KEYS, returned=SERIES_RESULT)
    indices = await run_in_threadpool(
        lambda: series_indices(layout=layout, study_uid=check_uid(value=study, name="study"))
    )
    found = [index for index in indices if query.matches(index)]
    body = [series_result(index=index, base_url=base_url) for index in page(found, limit=limit, offset=offset)]
    left = remaining(total=len(found), limit=limit, offset=offset)
    return _answer(body=body, query=query, base_url=base_url, left=left)
