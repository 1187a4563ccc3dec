"""WADO-RS retrieve: ``GET /dicomweb/studies/{study}/series/{series}[/instances/{sop}]`` (PS3.18 §10.4).

``multipart/related; type="application/dicom"``, streamed from disk; Explicit VR Little Endian unless the Accept
header asks for Implicit VR Little Endian or ``transfer-syntax=*`` (as stored). 406 for other Accept values, 404
for what is not stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import StreamingResponse

from core.multipart import DICOM, RELATED, new_boundary, related_content_type
from core.storage.catalog import instance_files
from core.storage.layout import Layout, check_uid
from service.api.deps import LayoutDep
from service.api.errors import problem_responses
from service.api.params import uid_path
from service.dicomweb.media import wado_transfer_syntax
from service.dicomweb.wado import multipart_instances

__all__ = ["router"]

router = APIRouter(tags=["dicomweb"])

_MULTIPART = f'{RELATED}; type="{DICOM}"'
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The instances, one per part", "content": {_MULTIPART: {}}},
    **problem_responses(400, 401, 404, 406),
}
_ACCEPT = Header(description=f"{_MULTIPART}[; transfer-syntax=1.2.840.10008.1.2.1|1.2.840.10008.1.2|*]")
_STUDY = uid_path(description="StudyInstanceUID")
_SERIES = uid_path(description="SeriesInstanceUID")


def _retrieve(*, layout: Layout, accept: str | None, study: str, series: str, sop: str | None) -> StreamingResponse:
    transfer_syntax = wado_transfer_syntax(accept=accept)
    files = instance_files(
        layout=layout,
        study_uid=check_uid(value=study, name="study"),
        series_uid=check_uid(value=series, name="series"),
        sop_uid=None if sop is None else check_uid(value=sop, name="instance"),
    )
    boundary = new_boundary()
    body = multipart_instances(files=files, transfer_syntax=transfer_syntax, boundary=boundary)
    return StreamingResponse(body, media_type=related_content_type(boundary=boundary))


@router.get(
    "/studies/{study}/series/{series}",
    operation_id="retrieve_series",
    responses=_RESPONSES,
    response_class=StreamingResponse,
)
def retrieve_series(
    study: Annotated[str, _STUDY],
    series: Annotated[str, _SERIES],
    layout: LayoutDep,
    accept: Annotated[str | None, _ACCEPT] = None,
) -> StreamingResponse:
    """All instances of a stored series, in InstanceNumber order."""
    return _retrieve(layout=layout, accept=accept, study=study, series=series, sop=None)


@router.get(
    "/studies/{study}/series/{series}/instances/{sop}",
    operation_id="retrieve_instance",
    responses=_RESPONSES,
    response_class=StreamingResponse,
)
def retrieve_instance(
    study: Annotated[str, _STUDY],
    series: Annotated[str, _SERIES],
    sop: Annotated[str, uid_path(description="SOPInstanceUID")],
    layout: LayoutDep,
    accept: Annotated[str | None, _ACCEPT] = None,
) -> StreamingResponse:
    """One stored instance, as a one-part multipart body."""
    return _retrieve(layout=layout, accept=accept, study=study, series=series, sop=sop)
