"""The QIDO-RS matching keys petiq supports at each level, where each value comes from, and what results hold.

``GET /dicomweb/studies`` (All Studies) matches the study keys of PS3.18 Table 10.6.1-5 (StudyDate, StudyTime,
AccessionNumber, ModalitiesInStudy, ReferringPhysicianName, PatientName, PatientID, StudyInstanceUID, StudyID)
plus PatientBirthDate, PatientSex and StudyDescription; ``Modality`` is taken as ModalitiesInStudy there.
``GET /dicomweb/studies/{study}/series`` (Study's Series) matches the series keys (Modality, SeriesInstanceUID,
SeriesNumber, PerformedProcedureStepStartDate/Time) plus SeriesDescription and the patient keys. The Request
Attributes Sequence keys are not indexed: any key not listed here is reported as ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from core.storage.models import SeriesIndex, StudyAttributes
from service.dicomweb.qido import StudySummary

__all__ = [
    "DATE_TIME_PAIRS",
    "SERIES_KEYS",
    "SERIES_RESULT",
    "STUDY_KEYS",
    "STUDY_RESULT",
    "KeyKind",
    "MatchKey",
]

_R = TypeVar("_R")


class KeyKind(Enum):
    """How a key's value is matched (:mod:`service.dicomweb.matching`)."""

    TEXT = "wildcard, case-sensitive"
    NAME = "person name: wildcard, case-insensitive"
    UIDS = "UID list"
    DATE = "date or date range"
    TIME = "time or time range"
    NUMBER = "integer"
    ANY_OF = "any of the study's values (wildcard; several values separated by backslash or comma)"


@dataclass(frozen=True)
class MatchKey(Generic[_R]):
    """A supported matching key: its kind and the stored value of a record (a study summary or a series index)."""

    kind: KeyKind
    value: Callable[[_R], Any]


_PATIENT: dict[str, tuple[KeyKind, Callable[[StudyAttributes], str]]] = {
    "PatientName": (KeyKind.NAME, lambda study: study.patient_name),
    "PatientID": (KeyKind.TEXT, lambda study: study.patient_id),
    "PatientBirthDate": (KeyKind.DATE, lambda study: study.patient_birth_date),
    "PatientSex": (KeyKind.TEXT, lambda study: study.patient_sex),
}


def _of_study(get: Callable[[StudyAttributes], str]) -> Callable[[Any], str]:
    """A patient attribute of a study summary or a series index (both have ``study``)."""
    return lambda record: get(record.study)


STUDY_KEYS: dict[str, MatchKey[StudySummary]] = {
    "StudyDate": MatchKey(KeyKind.DATE, lambda summary: summary.study.study_date),
    "StudyTime": MatchKey(KeyKind.TIME, lambda summary: summary.study.study_time),
    "AccessionNumber": MatchKey(KeyKind.TEXT, lambda summary: summary.study.accession_number),
    "ModalitiesInStudy": MatchKey(KeyKind.ANY_OF, lambda summary: summary.modalities),
    "Modality": MatchKey(KeyKind.ANY_OF, lambda summary: summary.modalities),
    "ReferringPhysicianName": MatchKey(KeyKind.NAME, lambda summary: summary.study.referring_physician_name),
    "StudyInstanceUID": MatchKey(KeyKind.UIDS, lambda summary: summary.study.study_uid),
    "StudyID": MatchKey(KeyKind.TEXT, lambda summary: summary.study.study_id),
    "StudyDescription": MatchKey(KeyKind.TEXT, lambda summary: summary.study.study_description),
    **{keyword: MatchKey(kind, _of_study(get)) for keyword, (kind, get) in _PATIENT.items()},
}

SERIES_KEYS: dict[str, MatchKey[SeriesIndex]] = {
    "Modality": MatchKey(KeyKind.TEXT, lambda index: index.series.modality),
    "SeriesInstanceUID": MatchKey(KeyKind.UIDS, lambda index: index.series.series_uid),
    "SeriesNumber": MatchKey(KeyKind.NUMBER, lambda index: index.series.series_number),
    "SeriesDescription": MatchKey(KeyKind.TEXT, lambda index: index.series.series_description),
    "PerformedProcedureStepStartDate": MatchKey(
        KeyKind.DATE, lambda index: index.series.performed_procedure_step_start_date
    ),
    "PerformedProcedureStepStartTime": MatchKey(
        KeyKind.TIME, lambda index: index.series.performed_procedure_step_start_time
    ),
    **{keyword: MatchKey(kind, _of_study(get)) for keyword, (kind, get) in _PATIENT.items()},
}

DATE_TIME_PAIRS = {"StudyDate": "StudyTime", "PerformedProcedureStepStartDate": "PerformedProcedureStepStartTime"}
"""Date keys and their time key: asked for together, they are matched as one date-time range."""

_COMMON = ("SpecificCharacterSet", "StudyInstanceUID", "RetrieveURL")
STUDY_RESULT = frozenset(
    (
        *_COMMON,
        "StudyDate",
        "StudyTime",
        "AccessionNumber",
        "ModalitiesInStudy",
        "ReferringPhysicianName",
        "PatientName",
        "PatientID",
        "PatientBirthDate",
        "PatientSex",
        "StudyID",
        "StudyDescription",
        "NumberOfStudyRelatedSeries",
        "NumberOfStudyRelatedInstances",
    )
)
"""The attributes of a study result (:func:`service.dicomweb.dicom_json.study_result`)."""

SERIES_RESULT = frozenset(
    (
        *_COMMON,
        "Modality",
        "SeriesInstanceUID",
        "SeriesNumber",
        "SeriesDescription",
        "PerformedProcedureStepStartDate",
        "PerformedProcedureStepStartTime",
        "NumberOfSeriesRelatedInstances",
    )
)
"""The attributes of a series result (:func:`service.dicomweb.dicom_json.series_result`)."""
