"""The one error hierarchy of petiq.

Every error petiq raises on purpose derives from :class:`PetiqError` and carries its context: which check failed,
the DICOM UID it concerns and the file, when known. The CLI turns them into one readable line and exit code 2
(input) or 1 (other); the HTTP layer maps them to RFC 9457 problem+json in one place.

::

    PetiqError                    base: message + check + uid + path
    ├── InputError                the caller's input cannot be used (CLI exit 2, HTTP 4xx)
    │   ├── NotDicomError         a file is not DICOM, or is truncated
    │   ├── SeriesError           a series fails a validation check (e.g. "modality", "slice_spacing")
    │   │   └── MixedSeriesError  the input holds more than one series; lists them
    │   └── UnsupportedError      valid DICOM that petiq does not handle (Enhanced PET, undecodable compression)
    └── OutputError               a result could not be written (nothing half-written is left behind)
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "MixedSeriesError",
    "NotDicomError",
    "OutputError",
    "PetiqError",
    "SeriesError",
    "UnsupportedError",
]


class PetiqError(Exception):
    """Base of every error petiq raises on purpose.

    Args:
        message: what went wrong, in one sentence a user can act on.
        check: the name of the validation check that failed, e.g. ``"modality"``.
        uid: the DICOM UID (series, SOP instance) the error concerns.
        path: the file the error concerns.
    """

    def __init__(
        self, message: str, *, check: str | None = None, uid: str | None = None, path: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.check = check
        self.uid = uid
        self.path = path

    def __str__(self) -> str:
        context = [f"{name}={value}" for name, value in self.context().items() if name != "message"]
        return f"{self.message} [{', '.join(context)}]" if context else self.message

    def context(self) -> dict[str, str]:
        """The error as a flat mapping (for JSON bodies and logs); absent fields are left out."""
        fields = {"message": self.message, "check": self.check, "uid": self.uid, "path": self.path}
        return {key: value for key, value in fields.items() if value is not None}


class InputError(PetiqError):
    """The caller's input cannot be used."""


class NotDicomError(InputError):
    """A file is not DICOM, or is truncated."""


class SeriesError(InputError):
    """A series fails a validation check; ``check`` names it."""


class MixedSeriesError(SeriesError):
    """The input holds more than one SeriesInstanceUID.

    Args:
        series: the series found, as ``{series_uid: n_files}``.
    """

    def __init__(self, message: str, *, series: dict[str, int], path: str | None = None) -> None:
        super().__init__(message, check="single_series", path=path)
        self.series = dict(series)


class UnsupportedError(InputError):
    """Valid DICOM that petiq does not handle, e.g. Enhanced PET or a compression with no decoder installed."""


class OutputError(PetiqError):
    """A result could not be written."""
