"""Where a job's result is forwarded, and the destination's credentials kept out of the manifest.

A job's result goes to a DICOMweb service (STOW-RS), a DICOM storage SCP (C-STORE), or both. Its destinations
are, in order: those a ``POST /v1/jobs/{id}/deliver`` gave, the job's own (``options.forward``: its ``url``
and/or ``dimse``), the server's (``PETIQ_FORWARD_URL`` and/or ``PETIQ_FORWARD_DIMSE``); each of these replaces
the next as a whole. They are recorded as ``delivery.destination`` (the URL) and ``delivery.dimse``
(``AET@host:port``) when the job is created or its delivery asked for again. The URL's Authorization value:

- a job's own value lives in ``jobs/<id>/forward-auth`` (mode 0600), written by the gateway, read by the worker;
  the manifest and the API never show it;
- ``PETIQ_FORWARD_AUTH`` is sent only to ``PETIQ_FORWARD_URL`` itself, never to a destination a job names.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from core.ae import DimseDestination, parse_destination
from core.errors import ConflictError
from core.jobs.delivery import requested
from core.jobs.models import (
    Delivery,
    DeliveryStatus,
    ForwardRequest,
    JobOptions,
    JobPublic,
    JobStatus,
    utc_now,
)
from core.jobs.store import JobStore
from core.settings import Settings
from imaging.errors import InputError, OutputError

__all__ = [
    "AUTH_NAME",
    "Destination",
    "destination_of",
    "dimse_destination_of",
    "initial_delivery",
    "redeliver",
    "save_auth",
]

AUTH_NAME = "forward-auth"


@dataclass(frozen=True)
class Destination:
    """A DICOMweb base URL and the Authorization header value to send there (never in ``repr``)."""

    url: str
    authorization: str | None = field(default=None, repr=False)


def _configured(*, options: JobOptions, settings: Settings) -> tuple[str | None, str | None]:
    """The job's own destinations, else the server's: (DICOMweb URL, C-STORE ``AET@host:port``)."""
    if options.forward is not None:
        return options.forward.url, options.forward.dimse
    return settings.forward_url, str(settings.forward_dimse) if settings.forward_dimse is not None else None


def _recorded(*, job: JobPublic, settings: Settings) -> tuple[str | None, str | None]:
    """The destinations recorded in the delivery; the configured ones when it records none (an older manifest)."""
    if job.delivery.destination is None and job.delivery.dimse is None:
        return _configured(options=job.options, settings=settings)
    return job.delivery.destination, job.delivery.dimse


def initial_delivery(*, options: JobOptions, settings: Settings) -> Delivery:
    """The delivery of a new job: ``pending`` to its own or the server's destinations, else ``not_requested``."""
    url, dimse = _configured(options=options, settings=settings)
    if url is None and dimse is None:
        return Delivery()
    return Delivery(status=DeliveryStatus.PENDING, destination=url, dimse=dimse, updated=utc_now())


def _auth_path(*, store: JobStore, job_id: str) -> Path:
    return store.job_dir(job_id) / AUTH_NAME


def save_auth(*, store: JobStore, job_id: str, auth: SecretStr | None) -> None:
    """Keep ``auth`` as the job's own Authorization value (owner-only file); None removes it.

    Raises:
        OutputError: the file could not be written.
    """
    path = _auth_path(store=store, job_id=job_id)
    if auth is None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return
    temporary = path.with_name(f".{AUTH_NAME}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(auth.get_secret_value())
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"Could not keep the destination's credentials: {error.strerror}.") from error


def destination_of(*, job: JobPublic, settings: Settings, store: JobStore) -> Destination | None:
    """The DICOMweb service the result of ``job`` is STOW-RSed to and the Authorization value sent there (module
    docstring); None: none."""
    url, _ = _recorded(job=job, settings=settings)
    if url is None:
        return None
    try:
        own: str | None = _auth_path(store=store, job_id=job.id).read_text(encoding="utf-8")
    except FileNotFoundError:
        own = None
    if own is not None:
        return Destination(url=url, authorization=own)
    server = settings.forward_auth if url == settings.forward_url else None
    return Destination(url=url, authorization=server.get_secret_value() if server is not None else None)


def dimse_destination_of(*, job: JobPublic, settings: Settings) -> DimseDestination | None:
    """The DICOM storage SCP the result of ``job`` is C-STOREd to (module docstring); None: none."""
    _, dimse = _recorded(job=job, settings=settings)
    return parse_destination(value=dimse, name="dimse") if dimse is not None else None


def redeliver(*, store: JobStore, settings: Settings, job_id: str, forward: ForwardRequest | None) -> JobPublic:
    """Ask for the delivery of a succeeded job's result again, to ``forward`` (its URL and/or C-STORE
    destination, replacing both of the job's; its ``auth`` replaces the job's own credentials, none when it has
    none) or to the destinations the job has; returns the pending manifest. A destination already delivered is
    skipped unless every one was (:func:`core.jobs.delivery.requested`).

    Raises:
        NotFoundError: no such job.
        ConflictError: the job has not succeeded.
        InputError: no ``forward`` given and the job has no destination (none of its own, no server default).
    """
    job = store.get(job_id)
    if job.status is not JobStatus.SUCCEEDED:
        raise ConflictError(
            f"Only a succeeded job's result can be delivered; this job is {job.status.value}.", check="job_status"
        )
    if forward is not None:
        save_auth(store=store, job_id=job_id, auth=forward.auth)
        url, dimse = forward.url, forward.dimse
    else:
        url, dimse = _recorded(job=job, settings=settings)
    if url is None and dimse is None:
        raise InputError(
            "Argument 'url' or 'dimse' is needed: the job has no destination and neither PETIQ_FORWARD_URL nor "
            "PETIQ_FORWARD_DIMSE is set.",
            check="forward_url",
        )
    return store.update(job_id, lambda current: requested(current, destination=url, dimse=dimse))
