"""Where things live on the storage volume; every path is built from validated UIDs only.

::

    ROOT/studies/<study>/series/<series>/index.json            the series index (QIDO attributes, hashes)
    ROOT/studies/<study>/series/<series>/.lock                 flock'ed while the series is written
    ROOT/studies/<study>/series/<series>/instances/<sop>.dcm   the instances, as received (PS3.10)
    ROOT/tmp/                                                  spooled request parts (same file system: rename)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core.errors import MalformedRequestError

__all__ = ["UID_MAX_LENGTH", "UID_PATTERN", "Layout", "check_uid", "is_uid"]

UID_PATTERN = r"^[0-9]+(?:\.[0-9]+)*$"
"""A DICOM UID as petiq accepts it: digits and dots (an ECMA-262 and Python regular expression)."""
UID_MAX_LENGTH = 64
_UID = re.compile(UID_PATTERN)


def is_uid(value: object) -> bool:
    """Whether ``value`` is a DICOM UID: digits and dots, at most 64 characters (safe as a path component)."""
    return isinstance(value, str) and len(value) <= UID_MAX_LENGTH and _UID.match(value) is not None


def check_uid(*, value: str, name: str) -> str:
    """``value`` when it is a UID; MalformedRequestError (check ``uid``) naming argument ``name`` otherwise."""
    if not is_uid(value):
        raise MalformedRequestError(
            f"Argument '{name}' should be a DICOM UID (digits and dots), got {value!r}.", check="uid"
        )
    return value


@dataclass(frozen=True)
class Layout:
    """The paths under ``root`` (see the module docstring)."""

    root: Path

    @property
    def studies(self) -> Path:
        return self.root / "studies"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def study(self, study_uid: str) -> Path:
        return self.studies / check_uid(value=study_uid, name="study_uid")

    def series(self, study_uid: str, series_uid: str) -> Path:
        return self.study(study_uid) / "series" / check_uid(value=series_uid, name="series_uid")

    def index(self, study_uid: str, series_uid: str) -> Path:
        return self.series(study_uid, series_uid) / "index.json"

    def lock(self, study_uid: str, series_uid: str) -> Path:
        return self.series(study_uid, series_uid) / ".lock"

    def instance(self, study_uid: str, series_uid: str, sop_uid: str) -> Path:
        name = check_uid(value=sop_uid, name="sop_instance_uid")
        return self.series(study_uid, series_uid) / "instances" / f"{name}.dcm"
