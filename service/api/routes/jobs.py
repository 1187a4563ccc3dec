"""The job API: ``POST /v1/jobs``, ``GET /v1/jobs/{id}``, ``GET /v1/jobs?study_uid=``,
``POST /v1/jobs/{id}/deliver``.

``POST`` answers 202 Accepted with ``Location: /v1/jobs/{id}`` when it queued the job (new, or a failed one
retried), 200 with the same ``Location`` when that job exists already (same series, splits and options); 404
when the series is not stored, 400 for a body that does not validate, 422 when petiq will not process the series
(its radionuclide is not a positron emitter: :mod:`core.jobs.radionuclide`; nothing is queued). The job's state
is in the manifest; the client polls ``GET /v1/jobs/{id}``.

``POST /v1/jobs/{id}/deliver`` forwards a succeeded job's result again (to the destinations in the body, its
``url`` and/or ``dimse``, or the job's): 202 with the manifest, its delivery ``pending``; 409 when the job has
not succeeded. A destination that already stored everything is skipped, unless all had. A destination's
``auth`` is write-only: it is never in a response.

Both answer as usual while the broker is away: the manifest then shows ``enqueue_error`` and the gateway sends
the message once the broker is back (:mod:`core.jobs.enqueue`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response

from core.jobs.create import new_job, submit
from core.jobs.enqueue import send_pending
from core.jobs.forwarding import redeliver, save_auth
from core.jobs.models import ForwardRequest, JobCreate, JobPublic
from core.jobs.queue import JobQueue
from core.jobs.radionuclide import radionuclide_refusal
from core.jobs.store import JobStore
from core.storage.layout import check_uid
from service.api.deps import LayoutDep, SettingsDep
from service.api.errors import problem_responses
from service.api.params import job_id_path, uid_query

__all__ = ["router"]

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


def _store(settings: SettingsDep) -> JobStore:
    return JobStore(settings.storage_dir)


def _queue(request: Request) -> JobQueue:
    queue: JobQueue = request.app.state.job_queue
    return queue


StoreDep = Annotated[JobStore, Depends(_store)]
QueueDep = Annotated[JobQueue, Depends(_queue)]

_CREATED: dict[int | str, dict[str, Any]] = {
    202: {"description": "Job queued; its URL is in Location", "model": JobPublic},
    200: {"description": "The same job exists already; its URL is in Location", "model": JobPublic},
    **problem_responses(400, 401, 404, 422),
}


@router.post("", operation_id="create_job", status_code=202, response_model=JobPublic, responses=_CREATED)
def create_job(
    body: JobCreate, response: Response, settings: SettingsDep, layout: LayoutDep, store: StoreDep, queue: QueueDep
) -> JobPublic:
    """Queue a job for a stored PT series (with its split pair for N2N adaptation, if any)."""
    job = new_job(layout=layout, request=body, settings=settings)
    refusal = radionuclide_refusal(layout=layout, study_uid=job.study_uid, series_uid=job.series_uid)
    if refusal is not None:
        raise refusal
    if body.forward is not None and body.forward.auth is not None:  # kept before a worker may look for it
        store.job_dir(job.id).mkdir(parents=True, exist_ok=True)
        save_auth(store=store, job_id=job.id, auth=body.forward.auth)
    job, created = submit(store=store, job=job, queue=queue)
    response.status_code = 202 if created else 200
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job


@router.get("/{job_id}", operation_id="get_job", response_model=JobPublic, responses=problem_responses(401, 404))
def get_job(job_id: Annotated[str, job_id_path()], store: StoreDep) -> JobPublic:
    """A job: status, stage, progress %, timings, and its result or error."""
    return store.get(job_id)


@router.get("", operation_id="list_jobs", response_model=list[JobPublic], responses=problem_responses(400, 401))
def list_jobs(
    store: StoreDep,
    study_uid: Annotated[str | None, uid_query(description="Only the jobs of this StudyInstanceUID")] = None,
) -> list[JobPublic]:
    """The jobs (of one study), oldest first."""
    if study_uid is not None:
        check_uid(value=study_uid, name="study_uid")
    jobs = [job for job in store.all() if study_uid is None or job.study_uid == study_uid]
    return sorted(jobs, key=lambda job: (job.timings.created, job.id))


_DELIVER: dict[int | str, dict[str, Any]] = {
    202: {"description": "Delivery queued; the manifest shows it pending", "model": JobPublic},
    **problem_responses(400, 401, 404, 409),
}


@router.post(
    "/{job_id}/deliver", operation_id="deliver_job", status_code=202, response_model=JobPublic, responses=_DELIVER
)
def deliver_job(
    job_id: Annotated[str, job_id_path()],
    settings: SettingsDep,
    store: StoreDep,
    queue: QueueDep,
    forward: Annotated[
        ForwardRequest | None,
        Body(description="Other destinations, replacing the job's: 'url' (STOW-RS) and/or 'dimse' (C-STORE)"),
    ] = None,
) -> JobPublic:
    """Forward a succeeded job's derived series and SR again (STOW-RS and/or C-STORE), e.g. after
    ``delivery: failed``."""
    job = redeliver(store=store, settings=settings, job_id=job_id, forward=forward)
    sent, _ = send_pending(store=store, queue=queue, job_id=job.id)  # a broker away: recorded, retried later
    return sent or job
