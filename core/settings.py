"""The one ``Settings`` of petiq, shared by the gateway, the workers and the CLI (no FastAPI import here).

Every knob is an environment variable with the prefix ``PETIQ_`` and a default that works on one machine.

Authentication is closed by default: with ``PETIQ_API_KEYS`` unset (or empty) every request except the health
probes is refused with 401 and a problem detail telling the operator to set it. A trusted single-user setup can
opt out explicitly with ``PETIQ_ALLOW_ANONYMOUS=true``; that switch has no effect once keys are configured.

Secrets (``api_keys``, ``broker_url``, ``forward_auth``, ``report_secret``) are pydantic ``SecretStr``: ``repr``,
``str``, ``model_dump`` and ``model_dump_json`` show ``'**********'``, never the value, and a validation error
never echoes an input; read one with ``get_secret_value()`` only where it is used.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from core.adapt import AdaptMode
from core.ae import AllowRule, DimseDestination, check_ae_title, parse_allow_list, parse_destination
from core.strength import DEFAULT_STRENGTH, Strength

__all__ = ["DEFAULT_SPLIT_PATTERN", "Settings", "check_forward_url", "get_settings"]

DEFAULT_SPLIT_PATTERN = (
    r"(?<![a-z0-9])(?:split|half)(?:[\s_-]*counts?)?[\s_-]*(?:a|b|1|2)(?:\s*/\s*(?:a|b|1|2))?(?![a-z0-9])"
)
"""Matched case-insensitively (``re.search``): "split A", "Split B", "split A/B", "half A", "half-count 2",
"wb_split_b", "sim osem 100% split a r0" (the simulator's names); not "splitting", "half body" or "A split"."""

_GIB = 1024**3
_MIB = 1024**2
_HTTP_URL = re.compile(r"^https?://[^/@\s]+(/\S*)?$")


def check_forward_url(*, value: str, name: str) -> str:
    """``value`` as a DICOMweb base URL: absolute http(s), no credentials in it, no trailing slash.

    Raises:
        ValueError: naming ``name``, when ``value`` is not such a URL.
    """
    value = value.strip()
    if not _HTTP_URL.match(value):
        raise ValueError(
            f"Argument '{name}' should be an absolute http(s) URL without credentials (send those as the "
            "Authorization value), e.g. 'https://pacs.example/dicom-web'."
        )
    return value.rstrip("/")


class Settings(BaseSettings):
    """petiq's configuration; read from ``PETIQ_*`` environment variables.

    Attributes:
        storage_dir: the storage volume (instances, indices, job manifests); created on first use.
        api_keys: accepted bearer keys (secrets); ``PETIQ_API_KEYS`` is a comma-separated list.
        allow_anonymous: with no keys configured, let every request through instead of refusing it.
        max_request_bytes: largest STOW-RS request body accepted, bytes (413 beyond).
        max_instances_per_series: most instances one series may hold (413 for a request going beyond).
        split_description_pattern: regex (case-insensitive search) on SeriesDescription marking a half-count
            split reconstruction of another series of the study.
        base_url: public base URL of the gateway for RetrieveURL (e.g. ``https://pacs-gw.example/``); taken
            from each request when unset.
        broker_url: Celery broker (``redis://host:6379/0``, with a password ``redis://:pw@host:6379/0``; a secret,
            shown with the password masked): distributed mode, ``petiq serve`` runs the gateway only and
            ``petiq worker`` the workers. Unset: embedded mode, one process, in-process ``memory://``.
        default_adapt: adaptation mode of the jobs STOW-RS starts (``auto``, ``off``, ``n2n-split``, ``single``).
        default_score: whether the jobs STOW-RS starts run the quality scorer.
        default_strength: denoising strength level (``low``, ``medium``, ``high``; :mod:`core.strength`) of the
            jobs STOW-RS starts, of a ``POST /v1/jobs`` without ``strength`` and of ``petiq process`` without
            ``--strength``; default ``medium``.
        job_soft_time_limit_s, job_time_limit_s: a job's soft limit (it fails cleanly) and hard limit (its
            worker process is killed), seconds; enforced by ``petiq worker`` (prefork), not in embedded mode.
            Default 28 and 30 min: a whole-body study takes about a minute on a GPU and a few on a CPU, so these
            only end a job that hangs while its worker still beats (a lost or frozen worker is noticed after
            ``job_stall_after_s``); lower them when jobs are known to be short.
        job_max_retries: retries of a job after a transient error (OSError, a lost connection), with backoff; a
            job whose worker died in ``job_max_retries + 1`` attempts is failed.
        broker_visibility_timeout_s: (Redis) seconds before a delivered, unacknowledged message is handed out
            again (its worker died): the broker's own recovery, for when no gateway runs (the gateway re-queues a
            lost job after ``job_stall_after_s``). It may be shorter than a job: a message handed out again while
            its job runs finds the job's run lock held and returns at once, and a finished job is never run
            again. Keep it above the longest retry countdown (a delivery's backoff, at most 600 s), which Redis
            also counts from the delivery: below it, a scheduled retry may be handed out twice. Default 900 s.
        adapt_max_steps, adapt_max_seconds: the budget of a job's per-study adaptation (steps, wall-clock s).
        denoise_ensemble: orientations averaged per slice (1, 2, 4 or 8; :mod:`models.inference`), default
            :data:`models.inference.DEFAULT_ENSEMBLE` (2); each is one more pass of the network (4 gained
            0.2–0.5 dB over 1); 1 on a slow CPU-only worker, 4 or 8 on a GPU.
        denoiser_weights: the denoiser's weight bundle folder (``PETIQ_DENOISER_WEIGHTS``); the shipped bundle
            ``models/weights/dncnn`` when unset.
        scorer_weights: the quality scorer's folder (``PETIQ_SCORER_WEIGHTS``), e.g. a site calibration written by
            ``petiq iqa-calibrate``; the shipped scorer ``models/weights/iqa`` when unset.
        forward_url: the DICOMweb base URL (``…/dicom-web``) every succeeded job's derived series and SR are
            STOW-RSed to, unless the job names its own destination; no forwarding when unset.
        forward_auth: the ``Authorization`` header value sent to ``forward_url`` (e.g. ``Bearer abc``); a secret:
            never logged, never in a manifest, and never sent to any other destination.
        forward_max_retries: retries of a delivery after a transient failure (connection, 5xx, 408, 429; for
            C-STORE also a transient association rejection, an abort, no answer), with exponential backoff; then
            the job shows ``delivery: failed``. A retry sends only to the destinations not yet delivered.
        forward_backoff_s: delay before the first retry of a delivery, s; doubled at each retry (at most 10 min,
            at least the destination's ``Retry-After``).
        forward_timeout_s: timeout of one STOW-RS request to the destination (connect, each read/write), s;
            for C-STORE, of the TCP connection, the association request and each C-STORE answer.
        forward_max_request_bytes: largest STOW-RS request body sent; a bigger series goes in several requests.
        report_secret: the key signing report links (``PETIQ_REPORT_SECRET``); derived from ``api_keys`` when unset
            (changing the keys then revokes every link). Set it to one value on every gateway.
        report_link_ttl_s: how long a signed report link stays valid, seconds.
        incomplete_grace_s: seconds a PT series short of its NumberOfSlices may go without a new instance before
            it is reported ``incomplete`` (series status, a failed job record naming the missing slices).
        min_free_bytes: free space on the storage volume, bytes, below which ``/readyz`` answers 503 (check
            ``storage``), so that a load balancer stops sending studies before the volume is full; 0 turns the
            threshold off (a read-only volume still fails the check).
        public_docs: serve the API docs (``/docs``, ``/redoc``, ``/openapi.json``) without a key; they need the
            bearer key like every other route when False (the default).
        job_heartbeat_s: seconds between the heartbeats a worker writes into the manifest of the job it runs.
        job_stall_after_s: seconds without a heartbeat after which the gateway sees a running job as lost (its
            worker died: re-queued) or stalled (its worker holds it but is frozen: shown, not re-queued); more
            than ``job_heartbeat_s``, plus any clock difference between the hosts. Recovery from a lost worker
            takes up to this plus a quarter of it.
        dimse_port: TCP port of the DICOM storage SCP (C-ECHO, C-STORE of PET images) that ``petiq serve``
            starts beside the HTTP gateway; no SCP when unset.
        dimse_host: address the storage SCP listens on (all interfaces by default, like a PACS node).
        dimse_ae_title: petiq's AE title: the called AE title the SCP answers to and the calling AE title of its
            C-STORE forwarding.
        dimse_allowed: ``PETIQ_DIMSE_ALLOWED``, comma-separated ``AET``, ``AET@host`` or ``*@host``
            (:mod:`core.ae`): the peers that may associate with the SCP; anyone when empty.
        dimse_max_associations: most associations the SCP serves at once; more are rejected (transient).
        forward_dimse: ``AET@host:port`` of a C-STORE SCP (a PACS) every succeeded job's derived series and SR are
            sent to, unless the job names its own destinations (``forward``: they replace both server settings);
            beside ``forward_url`` or instead of it. petiq calls as ``dimse_ae_title``.
    """

    model_config = SettingsConfigDict(env_prefix="PETIQ_", frozen=True, extra="ignore", hide_input_in_errors=True)

    storage_dir: Path = Path("./petiq-data")
    api_keys: Annotated[frozenset[SecretStr], NoDecode] = frozenset()
    allow_anonymous: bool = False
    max_request_bytes: int = Field(default=2 * _GIB, gt=0)
    max_instances_per_series: int = Field(default=5000, gt=0)
    split_description_pattern: str = DEFAULT_SPLIT_PATTERN
    base_url: str | None = None
    broker_url: SecretStr | None = None
    default_adapt: AdaptMode = AdaptMode.AUTO
    default_score: bool = True
    default_strength: Strength = DEFAULT_STRENGTH
    job_soft_time_limit_s: float = Field(default=1680.0, gt=0)
    job_time_limit_s: float = Field(default=1800.0, gt=0)
    job_max_retries: int = Field(default=3, ge=0)
    broker_visibility_timeout_s: float = Field(default=900.0, gt=0)
    adapt_max_steps: int = Field(default=300, ge=1)
    adapt_max_seconds: float = Field(default=90.0, gt=0)
    denoise_ensemble: Literal[1, 2, 4, 8] = 2
    denoiser_weights: Path | None = None
    scorer_weights: Path | None = None
    forward_url: str | None = None
    forward_auth: SecretStr | None = None
    forward_max_retries: int = Field(default=5, ge=0)
    forward_backoff_s: float = Field(default=5.0, gt=0)
    forward_timeout_s: float = Field(default=60.0, gt=0)
    forward_max_request_bytes: int = Field(default=64 * _MIB, gt=0)
    report_secret: SecretStr | None = None
    report_link_ttl_s: int = Field(default=86_400, ge=60, le=30 * 86_400)
    incomplete_grace_s: float = Field(default=300.0, gt=0)
    min_free_bytes: int = Field(default=_GIB, ge=0)
    public_docs: bool = False
    job_heartbeat_s: float = Field(default=15.0, gt=0)
    job_stall_after_s: float = Field(default=120.0, gt=0)
    dimse_port: int | None = Field(default=None, ge=1, le=65535)
    dimse_host: str = "0.0.0.0"
    dimse_ae_title: str = "PETIQ"
    dimse_allowed: Annotated[tuple[AllowRule, ...], NoDecode] = ()
    dimse_max_associations: int = Field(default=8, gt=0)
    forward_dimse: Annotated[DimseDestination | None, NoDecode] = None

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(key.strip() for key in value.split(",") if key.strip())
        return value

    @field_validator("split_description_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"Setting 'split_description_pattern' should be a regular expression: {error}") from error
        return value

    @field_validator("forward_url")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("denoiser_weights", "scorer_weights", mode="before")
    @classmethod
    def _blank_folder_is_unset(cls, value: object) -> object:  # compose's ${VAR:-}: the shipped weights
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("broker_url", mode="before")
    @classmethod
    def _blank_broker_is_unset(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    @field_validator("forward_url")
    @classmethod
    def _forward_url(cls, value: str | None) -> str | None:
        return check_forward_url(value=value, name="forward_url") if value is not None else None

    @field_validator("forward_auth")
    @classmethod
    def _empty_auth_is_unset(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("report_secret", mode="before")
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("base_url")
    @classmethod
    def _absolute(cls, value: str | None) -> str | None:
        value = value.strip() or None if value is not None else None  # blank (compose's ${VAR:-}) is unset
        if value is not None and not re.match(r"^https?://[^/]+", value):
            raise ValueError("Setting 'base_url' should be an absolute http(s) URL.")
        return value.rstrip("/") if value else None

    @model_validator(mode="after")
    def _limits_in_order(self) -> Settings:
        if self.job_soft_time_limit_s > self.job_time_limit_s:
            raise ValueError("Setting 'job_soft_time_limit_s' should not exceed 'job_time_limit_s'.")
        return self

    @field_validator("denoise_ensemble", mode="before")
    @classmethod
    def _ensemble_from_text(cls, value: object) -> object:  # PETIQ_DENOISE_ENSEMBLE=4 arrives as "4"
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value

    @model_validator(mode="after")
    def _stall_after_heartbeats(self) -> Settings:
        if self.job_stall_after_s <= self.job_heartbeat_s:
            raise ValueError("Setting 'job_stall_after_s' should exceed 'job_heartbeat_s' (a few heartbeats).")
        return self

    @field_validator("dimse_port", mode="before")
    @classmethod
    def _blank_port_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dimse_ae_title")
    @classmethod
    def _ae_title(cls, value: str) -> str:
        return check_ae_title(value=value, name="dimse_ae_title")

    @field_validator("dimse_allowed", mode="before")
    @classmethod
    def _allow_list(cls, value: object) -> object:
        return parse_allow_list(value=value, name="dimse_allowed") if isinstance(value, str) else value

    @field_validator("forward_dimse", mode="before")
    @classmethod
    def _dimse_destination(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_destination(value=value, name="forward_dimse") if value.strip() else None
        return value

    @property
    def split_regex(self) -> re.Pattern[str]:
        """``split_description_pattern`` compiled, case-insensitive."""
        return re.compile(self.split_description_pattern, re.IGNORECASE)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (workers and the CLI use this)."""
    return Settings()
