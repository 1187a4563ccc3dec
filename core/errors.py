"""The gateway's branch of petiq's one error hierarchy (:mod:`imaging.errors`).

These are raised by storage and DICOMweb code that knows nothing of HTTP; :mod:`service.api.errors` maps each
class to its status in one place. ``check`` names the failed check, ``uid`` the DICOM UID concerned.

::

    PetiqError
    ├── InputError
    │   ├── UnauthorizedError        no or wrong bearer key, or no keys configured (401)
    │   ├── NotFoundError            no such study, series or instance (404)
    │   ├── MalformedRequestError    a request's syntax is broken, e.g. truncated multipart (400)
    │   ├── UnsupportedMediaError    Content-Type the route does not take (415)
    │   ├── NotAcceptableError       no representation matches the Accept header (406)
    │   ├── TooLargeError            over a size limit: request bytes or instances per series (413)
    │   ├── ConflictError            the resource is not in a state that allows the request (409)
    │   ├── UnprocessableError       a stored series petiq will not process, e.g. not a positron emitter (422)
    │   └── InstanceRejectedError    one STOW-RS instance refused; carries its PS3.18 FailureReason
    └── OutputError
        └── InsufficientStorageError the storage volume is full or read-only (507); ``check`` says which
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imaging.errors import InputError, OutputError

if TYPE_CHECKING:
    from core.storage.status import FailureReason

__all__ = [
    "ConflictError",
    "InstanceRejectedError",
    "InsufficientStorageError",
    "MalformedRequestError",
    "NotAcceptableError",
    "NotFoundError",
    "TooLargeError",
    "UnauthorizedError",
    "UnprocessableError",
    "UnsupportedMediaError",
]


class UnauthorizedError(InputError):
    """The request carries no valid ``Authorization: Bearer`` key."""


class NotFoundError(InputError):
    """The study, series or instance asked for is not stored."""


class MalformedRequestError(InputError):
    """The request's syntax is broken (e.g. a multipart body without its closing boundary)."""


class UnsupportedMediaError(InputError):
    """The request's Content-Type is not one the route accepts."""


class NotAcceptableError(InputError):
    """None of the media types in the Accept header can be produced."""


class TooLargeError(InputError):
    """The request exceeds a configured limit (``max_request_bytes``, ``max_instances_per_series``)."""


class ConflictError(InputError):
    """The resource's state does not allow the request (e.g. delivering the result of a job not succeeded)."""


class UnprocessableError(InputError):
    """The series is stored and valid DICOM, but petiq will not process it (e.g. its radionuclide is Lu-177)."""


class InstanceRejectedError(InputError):
    """One instance of a STOW-RS request cannot be stored.

    Args:
        reason: the Failure Reason (0008,1197) to report for it.
        sop_class_uid: its SOPClassUID when it could be read.
    """

    def __init__(
        self,
        message: str,
        *,
        reason: FailureReason,
        check: str,
        uid: str | None = None,
        sop_class_uid: str | None = None,
    ) -> None:
        super().__init__(message, check=check, uid=uid)
        self.reason = reason
        self.sop_class_uid = sop_class_uid


class InsufficientStorageError(OutputError):
    """The storage volume cannot take what is being written: it is full (``check`` ``storage_space``: ENOSPC,
    EDQUOT) or read-only (``check`` ``storage_read_only``: EROFS, EACCES). The message names no path.
    :func:`core.storage.faults.storage_fault` finds one in an error's chain."""
