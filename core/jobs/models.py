"""The job records: the manifest stored in ``jobs/<id>/manifest.json`` and returned by the API, and the request.

The manifest is the source of truth for a job; the broker only carries its id. ``result`` is the job's
``result.json`` document (DESIGN.md §3, :class:`core.jobs.result.ResultDocument`) once it succeeded, ``error`` an
RFC 9457 problem detail once it failed.
``delivery`` tracks the forwarding of the result to a DICOMweb destination (STOW-RS) and/or a DICOM storage SCP
(C-STORE), apart from ``status``: a job whose delivery failed has still succeeded (its result can be pulled by
WADO-RS). ``delivery.results`` holds one entry per destination; ``delivery``'s own fields sum them up. A
destination's Authorization value is write-only: it is kept beside the manifest
(:mod:`core.jobs.forwarding`), never in it.

Liveness: the job's message (its run while ``queued``/``running``, its delivery once it succeeded) that could not
be sent to the broker shows ``enqueue_error`` and ``enqueue_attempts`` until the gateway sends it
(:mod:`core.jobs.enqueue`); a running job carries its worker's ``heartbeat`` and, when that heartbeat stopped
while the worker still holds the job, the ``stalled`` reason (:mod:`core.jobs.stall`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StrictBool, field_validator, model_validator

from core.adapt import AdaptMode
from core.ae import parse_destination
from core.jobs.result import ResultDocument
from core.settings import check_forward_url
from core.strength import LEGACY_STRENGTH, Strength

__all__ = [
    "Delivery",
    "DeliveryStatus",
    "DestinationDelivery",
    "ForwardDestination",
    "ForwardKind",
    "ForwardRequest",
    "InstanceStatus",
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


class SplitPair(BaseModel):
    """The two half-count split series (SeriesInstanceUIDs, same study) used as the Noise2Noise pair."""

    model_config = ConfigDict(frozen=True)

    a: str
    b: str


class ForwardDestination(BaseModel):
    """Where the job's result is forwarded, as shown in the manifest (no credentials): a DICOMweb service
    (STOW-RS), a DICOM storage SCP (C-STORE), or both; at least one."""

    model_config = ConfigDict(frozen=True)

    url: str | None = Field(default=None, description="DICOMweb base URL, e.g. https://pacs.example/dicom-web")
    dimse: str | None = Field(
        default=None,
        description="C-STORE destination 'AET@host:port' (called AE title, host, port), e.g. PACS@10.0.0.5:104",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_forward_url(value=value, name="url") if value is not None else None

    @field_validator("dimse")
    @classmethod
    def _dimse(cls, value: str | None) -> str | None:
        return str(parse_destination(value=value, name="dimse")) if value is not None else None

    @model_validator(mode="after")
    def _some_destination(self) -> ForwardDestination:
        if self.url is None and self.dimse is None:
            raise ValueError("Argument 'url' or 'dimse' is needed: a destination names at least one of them.")
        return self


class ForwardRequest(ForwardDestination):
    """A destination as a request gives it: a URL and/or a C-STORE destination and, optionally, the
    Authorization header value to send to the URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auth: SecretStr | None = Field(
        default=None,
        description="Authorization header value sent to 'url' (write-only: never returned); not for 'dimse'",
    )

    @model_validator(mode="after")
    def _auth_with_url(self) -> ForwardRequest:
        if self.auth is not None and self.url is None:
            raise ValueError("Argument 'auth' goes with 'url': a C-STORE destination ('dimse') takes no credentials.")
        return self

    @property
    def public(self) -> ForwardDestination:
        """The destination without its credentials."""
        return ForwardDestination(url=self.url, dimse=self.dimse)


class JobOptions(BaseModel):
    """How the job runs; ``forward`` is the job's own destination (null: the server's, ``PETIQ_FORWARD_URL``
    and/or ``PETIQ_FORWARD_DIMSE``). A new job always has every option filled in (the request's, else the
    server's defaults); a field's default here is what a manifest written before that option existed meant:
    ``strength`` ``high``, the network's full output (:data:`core.strength.LEGACY_STRENGTH`), and no
    ``uncertainty``."""

    model_config = ConfigDict(frozen=True)

    adapt: AdaptMode = AdaptMode.AUTO
    score: bool = True
    strength: Strength = Field(
        default=LEGACY_STRENGTH,
        description="denoising strength level the job runs at (low, medium, high); a new job has the request's or "
        "the server's default (PETIQ_DEFAULT_STRENGTH), a manifest from before levels existed reads as high",
    )
    uncertainty: bool = Field(
        default=False,
        description="estimate the voxel-wise uncertainty of the output from the split pair, written as a second "
        "derived series (without the pair the result says it is unavailable)",
    )
    forward: ForwardDestination | None = None


class DeliveryStatus(StrEnum):
    """Where the forwarding of a job's result is: ``pending`` → ``delivering`` → ``delivered`` | ``failed``;
    ``not_requested`` when the job has no destination."""

    NOT_REQUESTED = "not_requested"
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"


class ForwardKind(StrEnum):
    """How a destination is sent to: DICOMweb STOW-RS or DIMSE C-STORE."""

    STOW_RS = "stow-rs"
    DIMSE = "dimse"


class InstanceStatus(BaseModel):
    """An instance a C-STORE destination answered with a warning or a failure status."""

    sop_instance_uid: str
    status: str = Field(description="the C-STORE status, hexadecimal, e.g. 0xB007")
    meaning: str = Field(description="what the status means (PS3.4 B.2.3, PS3.7 C), e.g. 'Refused: Out of Resources'")
    comment: str | None = Field(default=None, description="the destination's Error Comment (0000,0902), if any")


class DestinationDelivery(BaseModel):
    """The forwarding to one destination: attempts, instances it stored, its answers (C-STORE: the count of
    each status, e.g. ``{"0x0000": 266, "0xB000": 1}``; the first instances with a warning; the one it failed),
    and the reason of its last failure."""

    kind: ForwardKind
    destination: str = Field(description="the DICOMweb base URL or the C-STORE 'AET@host:port'")
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    instances_sent: int = 0
    statuses: dict[str, int] = Field(default_factory=dict)
    warnings: list[InstanceStatus] = Field(default_factory=list)
    failed: list[InstanceStatus] = Field(default_factory=list)
    last_error: str | None = None
    updated: datetime | None = None


class Delivery(BaseModel):
    """The forwarding of the job's derived series and SR: its destinations (``destination``: the DICOMweb URL;
    ``dimse``: the C-STORE ``AET@host:port``), attempts, instances stored (summed over the destinations), the
    reason of the last failure (kept when a retry is scheduled; cleared once delivered), and ``results``, one per
    destination (a retry skips those already delivered)."""

    status: DeliveryStatus = DeliveryStatus.NOT_REQUESTED
    destination: str | None = None
    dimse: str | None = None
    attempts: int = 0
    instances_sent: int = 0
    last_error: str | None = None
    updated: datetime | None = None
    results: list[DestinationDelivery] = Field(default_factory=list)


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
    adapt: AdaptMode | None = Field(default=None, description="adaptation mode (server default when omitted)")
    score: bool | None = Field(default=None, description="run the quality scorer (server default when omitted)")
    strength: Strength | None = Field(
        default=None,
        description="denoising strength: low, medium or high, a blend of the input and the network's output "
        "(server default PETIQ_DEFAULT_STRENGTH when omitted)",
    )
    uncertainty: StrictBool = Field(
        default=False,
        description="with the split pair: also write a voxel-wise uncertainty series of the output (its standard "
        "deviation estimated from the two half-count splits) and deliver it with the output",
    )
    forward: ForwardRequest | None = Field(
        default=None,
        description="where to forward the result, STOW-RS and/or C-STORE (when omitted: PETIQ_FORWARD_URL and "
        "PETIQ_FORWARD_DIMSE, those set)",
    )


class JobPublic(JobBase):
    """A job as stored in its manifest and returned by the API; ``progress`` is percent (0–100)."""

    id: str
    status: JobStatus = JobStatus.QUEUED
    stage: str | None = None
    progress: float = Field(default=0.0, ge=0.0, le=100.0)
    timings: JobTimings
    attempts: int = 0
    result: ResultDocument | None = None
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
