"""``GET /readyz`` (broker, storage, denoiser weights, scorer, the DICOM SCP when configured) and ``GET /metrics``
(Prometheus). Open, like /healthz."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from core.jobs.queue import JobQueue
from core.settings import Settings
from service.api.deps import SettingsDep
from service.api.errors import PROBLEM_JSON
from service.dimse.server import StorageScp
from service.readiness import Check, check_broker, check_dimse, check_scorer, check_storage, check_weights

__all__ = ["CheckPublic", "ReadyPublic", "router"]

router = APIRouter(tags=["health"])


class CheckPublic(BaseModel):
    """One readiness check."""

    ok: bool
    detail: str


class ReadyPublic(BaseModel):
    """The readiness answer: every check by name."""

    status: Literal["ready"] = "ready"
    checks: dict[str, CheckPublic]


def _checks(settings: Settings, queue: JobQueue, scp: StorageScp | None) -> dict[str, CheckPublic]:
    found: list[Check] = [
        check_broker(queue=queue),
        check_storage(settings=settings),
        check_weights(settings=settings),
        check_scorer(settings=settings),
    ]
    if settings.dimse_port is not None:
        found.append(check_dimse(settings=settings, scp=scp))
    return {check.name: CheckPublic(ok=check.ok, detail=check.detail) for check in found}


@router.get(
    "/readyz",
    operation_id="readyz",
    response_model=ReadyPublic,
    responses={
        503: {"description": "Not ready: a problem detail with the failed checks", "content": {PROBLEM_JSON: {}}}
    },
)
async def readyz(request: Request, settings: SettingsDep) -> ReadyPublic | JSONResponse:
    """Readiness: 200 when the broker answers, the storage is writable with ``min_free_bytes`` free, the
    denoiser weights (and the scorer, when jobs are scored) are present, and the DICOM storage SCP listens when
    ``PETIQ_DIMSE_PORT`` is set."""
    state = request.app.state
    checks = await run_in_threadpool(_checks, settings, state.job_queue, state.dimse_scp)
    if all(check.ok for check in checks.values()):
        return ReadyPublic(checks=checks)
    failed = ", ".join(name for name, check in checks.items() if not check.ok)
    body = {
        "type": "urn:petiq:problem:not-ready",
        "title": "Not ready",
        "status": 503,
        "detail": f"Failed readiness checks: {failed}.",
        "instance": request.url.path,
        "checks": {name: check.model_dump() for name, check in checks.items()},
    }
    return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)


@router.get(
    "/metrics",
    operation_id="metrics",
    response_class=Response,
    responses={200: {"description": "Prometheus text exposition", "content": {CONTENT_TYPE_LATEST: {}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus metrics: jobs by state, stage durations, queue depth, storage space, DICOM SCP counters."""
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await run_in_threadpool(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
