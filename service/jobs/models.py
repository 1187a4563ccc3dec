"""The job records: the manifest stored in ``jobs/<id>/manifest.json`` and returned by the API, and the request.

The manifest is the source of truth for a job; the broker only carries its id. ``result`` is the job's
``result.json`` document (DESIGN.md §3) once it succeeded, ``error`` an RFC 9457 problem detail once it failed.
``delivery`` tracks the forwarding of the result to a DICOMweb destination (STOW-RS), apart from ``status``: a
job whose delivery failed has still succeeded (its result can be pulled by WADO-RS). A destination's
Authorization value is write-only: it is kept beside the manifest (:mod:`service.jobs.forwarding`), never in it.

Liveness: the job's message (its run while ``queued``/``running``, its delivery once it succeeded) that could not
be sent to the broker shows ``enqueue_error`` and ``enqueue_attempts`` until the gateway sends it
(:mod:`service.jobs.enqueue`); a running job carries its worker's ``heartbeat`` and, when that heartbeat stopped
while the worker still holds the job, the ``stalled`` reason (:mod:`service.jobs.stall`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from service.core.config import check_forward_url

__all__ = [
    "AdaptOption",
    "Delivery",
    "DeliveryStatus",
    "ForwardDestination",
    "ForwardRequest",
    "JobBase",
    "JobCreate",
    "JobOptions",
    "JobPublic",
    "JobStatus",
    "JobTimings",
    "SplitPair",
    "utc_now",
]


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class JobStatus(StrEnum):
    """Where a job is: ``queued`` → ``running`` → ``succeeded`` | ``failed``."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Whether the job reached a final state."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class AdaptOption(StrEnum):
    """Per-study adaptation mode (the values of ``petiq process --adapt``)."""

    AUTO = "auto"
    OFF = "off"
    N2N_SPLIT = "n2n-split"
    SINGLE = "single"


class SplitPair(BaseModel):
    """The two half-count split series (SeriesInstanceUIDs, same study) used as the Noise2Noise pair."""

    model_config = ConfigDict(frozen=True)

    a: str
    b: str


class ForwardDestination(BaseModel):
    """A DICOMweb destination the job's result is STOW-RSed to, as shown in the manifest (no credentials)."""

    model_config = ConfigDict(frozen=True)

    url: str = Field(description="DICOMweb base URL, e.g. https://pacs.example/dicom-web")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_forward_url(value=value, name="url")


class ForwardRequest(ForwardDestination):
    """A destination as a request gives it: its URL and, optionally, the Authorization header value to send."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auth: SecretStr | None = Field(
        default=None, description="Authorization header value sent to the destination (write-only: never returned)"
    )

    @property
    def public(self) -> ForwardDestination:
        """The destination without its credentials."""
        return ForwardDestination(url=self.url)


class JobOptions(BaseModel):
    """How the job runs; ``forward`` is the job's own destination (null: the server's, ``PETIQ_FORWARD_URL``)."""

    model_config = ConfigDict(frozen=True)

    adapt: AdaptOption = AdaptOption.AUTO
    score: bool = True
    forward: ForwardDestination | None = None


class DeliveryStatus(StrEnum):
    """Where the forwarding of a job's result is: ``pending`` → ``delivering`` → ``delivered`` | ``failed``;
    ``not_requested`` when the job has no destination."""

    NOT_REQUESTED = "not_requested"
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"


class Delivery(BaseModel):
    """The forwarding of the job's derived series and SR: destination URL, attempts, instances the destination
    stored, and the reason of the last failure (kept when a retry is scheduled; cleared once delivered)."""

    status: DeliveryStatus = DeliveryStatus.NOT_REQUESTED
    destination: str | None = None
    attempts: int = 0
    instances_sent: int = 0
    last_error: str | None = None
    updated: datetime | None = None


class JobTimings(BaseModel):
    """When the job was created, last started and finished (UTC), and seconds per pipeline stage."""

    created: datetime
    started: datetime | None = None
    finished: datetime | None = None
    stages_s: dict[str, float] = {}


class JobBase(BaseModel):
    """What a job processes and how."""

    study_uid: str
    series_uid: str
    splits: SplitPair | None = None
    options: JobOptions = JobOptions()


class JobCreate(BaseModel):
    """``POST /v1/jobs``: a stored series, optionally its split pair; unset options take the server defaults."""

    model_config = ConfigDict(extra="forbid")

    series_uid: str = Field(description="SeriesInstanceUID of a stored PT series")
    study_uid: str | None = Field(default=None, description="its StudyInstanceUID (looked up when omitted)")
    split_a: str | None = Field(default=None, description="half-count split A (SeriesInstanceUID, same study)")
    split_b: str | None = Field(default=None, description="half-count split B (SeriesInstanceUID, same study)")
    adapt: AdaptOption | None = Field(default=None, description="adaptation mode (server default when omitted)")
    score: bool | None = Field(default=None, description="run the quality scorer (server default when omitted)")
    forward: ForwardRequest | None = Field(
        default=None, description="where to STOW-RS the result (PETIQ_FORWARD_URL when omitted, if set)"
    )


class JobPublic(JobBase):
    """A job as stored in its manifest and returned by the API; ``progress`` is percent (0–100)."""

    id: str
    status: JobStatus = JobStatus.QUEUED
    stage: str | None = None
    progress: float = Field(default=0.0, ge=0.0, le=100.0)
    timings: JobTimings
    attempts: int = 0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    delivery: Delivery = Delivery()
    enqueue_error: str | None = Field(
        default=None, description="why the job's message could not be sent to the broker (cleared once sent)"
    )
    enqueue_attempts: int = Field(default=0, ge=0, description="failed sends of that message in a row")
    enqueue_retry_at: datetime | None = Field(default=None, description="when the gateway sends it again (UTC)")
    heartbeat: datetime | None = Field(default=None, description="last sign of life of the worker running it (UTC)")
    worker: str | None = Field(default=None, description="the worker that last started it (node name, pid)")
    stalled: str | None = Field(
        default=None, description="why the running job looks stalled: its worker holds it but stopped beating"
    )
