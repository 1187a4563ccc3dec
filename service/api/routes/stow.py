"""STOW-RS ``POST /dicomweb/studies[/{study}]`` (PS3.18 §10.5): store instances from a streamed multipart body.

Order of checks: key (401), Content-Type (415; 400 without boundary), Content-Length against
``max_request_bytes`` (413, before a byte is read), then the body is parsed as it arrives, each part spooled to
the storage volume (413 as soon as the count passes the limit; 400 for broken multipart), validated and stored.
The answer is a Store Instances Response in ``application/dicom+json``: 200 all stored, 202 some failed, 409
none stored, 507 none stored and the storage volume full or read-only for some (each such instance in the
FailedSOPSequence with 0xA700). 202 never means a job was queued. When the volume is full or read-only already
while the body is spooled, before any instance can be read, the answer is a 507 problem+json (check
``storage_space`` or ``storage_read_only``) and every spool file of the request is deleted. After storing, the
``on_series_stored`` hooks get the report.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from core.errors import MalformedRequestError, TooLargeError
from core.settings import Settings
from core.storage.layout import Layout, check_uid
from core.storage.outcomes import StoreReport
from core.storage.store import store_instances
from service.api.deps import BaseUrlDep, HooksDep, LayoutDep, SettingsDep
from service.api.errors import PROBLEM_JSON, problem_responses
from service.api.params import uid_path
from service.dicomweb.dicom_json import store_response
from service.dicomweb.media import boundary_of
from service.dicomweb.multipart import MultipartSpooler
from service.dicomweb.stow import stow_status, warning_values
from service.hooks import SeriesStoredHooks

__all__ = ["DICOM_JSON", "router"]

DICOM_JSON = "application/dicom+json"

router = APIRouter(tags=["dicomweb"])

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "All instances stored", "content": {DICOM_JSON: {}}},
    202: {"description": "Some instances stored, others failed (never 'job queued')", "content": {DICOM_JSON: {}}},
    409: {"description": "No instance stored", "content": {DICOM_JSON: {}}},
    **problem_responses(400, 401, 413, 415),
    507: {
        "description": "No instance stored: the storage volume is full or read-only. A Store Instances Response "
        "(FailedSOPSequence, 0xA700) when instances were read; a problem detail when the body could not be spooled",
        "content": {DICOM_JSON: {}, PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    },
}


def _check_length(content_length: str | None, limit: int) -> None:
    if content_length is None:
        return
    try:
        length = int(content_length)
    except ValueError as error:
        raise MalformedRequestError(f"Content-Length should be a number, got {content_length!r}.") from error
    if length > limit:
        raise TooLargeError(
            f"The request body ({length} bytes) exceeds the limit (max_request_bytes) of {limit} bytes.",
            check="max_request_bytes",
        )


async def _receive(*, request: Request, settings: Settings, layout: Layout, study_uid: str | None) -> StoreReport:
    boundary = boundary_of(content_type=request.headers.get("content-type"))
    _check_length(request.headers.get("content-length"), settings.max_request_bytes)
    with MultipartSpooler(boundary=boundary, directory=layout.tmp, max_bytes=settings.max_request_bytes) as spooler:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(spooler.write, chunk)
        files = spooler.finish()
        return await run_in_threadpool(
            lambda: store_instances(
                root=layout.root,
                files=files,
                study_uid=study_uid,
                max_instances_per_series=settings.max_instances_per_series,
                split_pattern=settings.split_regex,
            )
        )


async def _stow(
    *,
    request: Request,
    settings: Settings,
    layout: Layout,
    base_url: str,
    hooks: SeriesStoredHooks,
    study_uid: str | None,
) -> JSONResponse:
    report = await _receive(request=request, settings=settings, layout=layout, study_uid=study_uid)
    if report.n_stored:
        await run_in_threadpool(hooks.notify, report)
    body = store_response(report=report, base_url=base_url, study_uid=study_uid)
    response = JSONResponse(body, status_code=stow_status(report), media_type=DICOM_JSON)
    for value in warning_values(report=report):
        response.headers.append("Warning", value)
    return response


_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "DICOM PS3.10 files, one per part",
        "content": {'multipart/related; type="application/dicom"': {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/studies",
    operation_id="store_instances",
    responses=_RESPONSES,
    response_class=JSONResponse,
    openapi_extra=_REQUEST_BODY,
)
async def store_studies(
    request: Request,
    settings: SettingsDep,
    layout: LayoutDep,
    base_url: BaseUrlDep,
    hooks: HooksDep,
) -> JSONResponse:
    """Store the PET instances of the request body, whatever their studies."""
    return await _stow(
        request=request, settings=settings, layout=layout, base_url=base_url, hooks=hooks, study_uid=None
    )


@router.post(
    "/studies/{study}",
    operation_id="store_study_instances",
    responses=_RESPONSES,
    response_class=JSONResponse,
    openapi_extra=_REQUEST_BODY,
)
async def store_study(
    request: Request,
    study: Annotated[str, uid_path(description="StudyInstanceUID every instance must belong to")],
    settings: SettingsDep,
    layout: LayoutDep,
    base_url: BaseUrlDep,
    hooks: HooksDep,
) -> JSONResponse:
    """Store the PET instances of the request body into study ``study`` (others fail with 0xA901)."""
    study_uid = check_uid(value=study, name="study")
    return await _stow(
        request=request, settings=settings, layout=layout, base_url=base_url, hooks=hooks, study_uid=study_uid
    )
