"""The radiologist's report: ``GET /v1/jobs/{id}/report`` (HTML) and ``GET /v1/jobs/{id}/report-link``.

The report is one self-contained HTML page (:mod:`service.report`): 200 ``text/html`` for every existing job,
the report itself once the job succeeded, else a page giving its status (queued or running: it reloads itself;
failed: the error). 404 problem for an unknown job.

A browser cannot send a bearer key, so the report also accepts a signed, expiring link
(:mod:`service.report.signing`): ``GET /v1/jobs/{id}/report-link`` (bearer key required) answers
``{url, path, expires, expires_at}``; the URL opens the report without a key until it expires
(``PETIQ_REPORT_LINK_TTL_S``). A request with a bearer key is judged by the key alone; without one, by the
link: a missing, tampered or expired signature is 401 problem+json (check ``report_link`` or
``report_link_expired``). An anonymous gateway (PETIQ_ALLOW_ANONYMOUS, no keys) needs neither. The page is sent
with ``Cache-Control: no-store`` (the gateway keeps the pictures itself for a while:
:mod:`service.report.cache`), a Content-Security-Policy that allows no script and no fetch (only inline
styles and ``data:`` images) and ``Referrer-Policy: no-referrer``, so the signed URL does not leak to other
sites.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from core.jobs.models import utc_now
from core.jobs.store import JobStore
from core.settings import Settings
from service.api.deps import BaseUrlDep, BearerDep, LayoutDep, SettingsDep, require_key
from service.api.errors import PROBLEM_JSON, problem_responses
from service.api.params import job_id_path
from service.report.build import build_report
from service.report.signing import check_link, link_secret, report_path

__all__ = ["REPORT_HEADERS", "ReportLinkPublic", "router", "signing_secret"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

REPORT_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_JOB_ID = job_id_path()
_PROBLEM_SCHEMA = {"schema": {"$ref": "#/components/schemas/Problem"}}
_HTML: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report page (or, for a job that has not succeeded, its status page)",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
    # errors stay problem+json: spelled out, as a ``model`` would be documented under the route's text/html
    **{
        status: {"description": HTTPStatus(status).phrase, "content": {PROBLEM_JSON: _PROBLEM_SCHEMA}}
        for status in (401, 404, 500)
    },
}


class ReportLinkPublic(BaseModel):
    """A link that opens a job's report in a browser without a key, until it expires."""

    url: str = Field(description="absolute URL of the report, signed")
    path: str = Field(description="the same, relative to the gateway's base URL")
    expires: int | None = Field(description="Unix seconds after which the link is refused; null: no key needed")
    expires_at: datetime | None = Field(description="the same as a UTC date-time")


def signing_secret(settings: Settings) -> bytes | None:
    """The key of the report links for ``settings`` (PETIQ_REPORT_SECRET, else derived from the API keys)."""
    return link_secret(explicit=settings.report_secret, api_keys=settings.api_keys)


@router.get(
    "/{job_id}/report-link",
    operation_id="get_job_report_link",
    response_model=ReportLinkPublic,
    responses=problem_responses(401, 404),
    dependencies=[Depends(require_key)],
)
def get_job_report_link(
    job_id: Annotated[str, _JOB_ID], settings: SettingsDep, base_url: BaseUrlDep
) -> ReportLinkPublic:
    """A signed link to the job's report, valid for PETIQ_REPORT_LINK_TTL_S seconds."""
    JobStore(settings.storage_dir).get(job_id)
    secret = signing_secret(settings)
    if secret is None:  # anonymous gateway: the report needs no credentials
        path = f"/v1/jobs/{job_id}/report"
        return ReportLinkPublic(url=base_url + path, path=path, expires=None, expires_at=None)
    expires = int(time.time()) + settings.report_link_ttl_s
    path = report_path(secret=secret, job_id=job_id, expires=expires)
    return ReportLinkPublic(
        url=base_url + path, path=path, expires=expires, expires_at=datetime.fromtimestamp(expires, tz=UTC)
    )


@router.get("/{job_id}/report", operation_id="get_job_report", response_class=HTMLResponse, responses=_HTML)
async def get_job_report(
    request: Request,
    job_id: Annotated[str, _JOB_ID],
    settings: SettingsDep,
    layout: LayoutDep,
    credentials: BearerDep,
    expires: Annotated[int | None, Query(description="Signed link: expiry, Unix seconds")] = None,
    signature: Annotated[str | None, Query(description="Signed link: hex HMAC-SHA256")] = None,
) -> HTMLResponse:
    """The job's report for the radiologist: before/after images, scores, QC, provenance and timings. Open with
    a bearer key, or without one through the signed link of ``GET /v1/jobs/{id}/report-link``."""
    secret = signing_secret(settings)
    if credentials is None and secret is not None and (expires is not None or signature is not None):
        check_link(secret=secret, job_id=job_id, expires=expires, signature=signature, now=time.time())
    else:
        require_key(settings, credentials)
    job = JobStore(settings.storage_dir).get(job_id)
    cache = getattr(request.app.state, "report_cache", None)
    page = await run_in_threadpool(lambda: build_report(layout=layout, job=job, generated=utc_now(), cache=cache))
    return HTMLResponse(page, headers=REPORT_HEADERS)
