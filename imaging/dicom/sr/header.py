"""The patient and study attributes the scores SR takes from its sources, read tolerantly.

highdicom's SR constructor reads Patient Name, Patient ID, Patient's Birth Date, Patient's Sex, Accession Number,
Study ID, Study Date, Study Time and Referring Physician's Name from its first evidence dataset as attributes, so
a source without one of them (Type 2: anonymisers and research exports remove them) would fail with an
AttributeError, and a malformed one (``PatientSex`` "U", a Study Date "2019-03-01") with a ValueError.

:func:`evidence_header` gives the SR a small stand-in for the first source: the identifying UIDs plus each of those
attributes as the source has it when it is valid for the SR, else empty (Type 2: present and empty is what the
standard asks for when the value is unknown). The sources themselves are never changed.
"""

from __future__ import annotations

from collections.abc import Callable

from pydicom import Dataset
from pydicom.valuerep import DA, TM

from imaging.dicom.modules import PATIENT_STUDY_TYPE2

__all__ = ["evidence_header"]

_IDENTITY = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "SpecificCharacterSet")
_PATIENT_SEX = frozenset({"M", "F", "O"})


def _valid_date(value: str) -> bool:
    return DA(value) is not None


def _valid_time(value: str) -> bool:
    return TM(value) is not None


_VALIDATORS: dict[str, Callable[[str], bool]] = {
    "PatientBirthDate": _valid_date,
    "StudyDate": _valid_date,
    "StudyTime": _valid_time,
    "PatientSex": lambda value: value in _PATIENT_SEX,
}


def _usable(keyword: str, value: object) -> bool:
    """Whether ``value`` of ``keyword`` is present, single-valued and accepted by the SR's writer."""
    if value is None or value == "" or isinstance(value, list | tuple):
        return False
    check = _VALIDATORS.get(keyword)
    if check is None:
        return True
    try:
        return check(str(value).strip())
    except (TypeError, ValueError):
        return False


def evidence_header(*, source: Dataset) -> Dataset:
    """A header-only copy of ``source`` for the SR's first evidence item (module docstring).

    Args:
        source: one source instance (its Pixel Data, if any, is not copied).

    Returns:
        A new dataset with ``source``'s SOP/study/series UIDs and character set and every attribute of
        :data:`PATIENT_STUDY_TYPE2`: the source's value when usable, else empty.
    """
    header = Dataset()
    for keyword in _IDENTITY:
        if keyword in source:
            setattr(header, keyword, source[keyword].value)
    for keyword in PATIENT_STUDY_TYPE2:
        value = source.get(keyword)
        setattr(header, keyword, value if _usable(keyword, value) else None)
    return header
