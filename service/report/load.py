"""The edge of the report: a stored series read from the storage volume, and the header lines the page shows."""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.dataset import Dataset

from core.storage.catalog import instance_files
from core.storage.layout import Layout
from imaging.dicom.reader import PetSeries, read_pet_series

__all__ = ["StudyHeader", "read_stored_series", "study_header"]


def read_stored_series(*, layout: Layout, study_uid: str, series_uid: str) -> PetSeries:
    """The stored series ``series_uid`` of study ``study_uid``, read and validated.

    Raises:
        NotFoundError: the series is not stored.
        InputError: its files are not one valid PET series.
    """
    files = instance_files(layout=layout, study_uid=study_uid, series_uid=series_uid)
    return read_pet_series(source=[path for path, _ in files])


@dataclass(frozen=True, kw_only=True)
class StudyHeader:
    """What the page's header says about the patient and the series (raw text: the page escapes it)."""

    patient_name: str
    patient_id: str
    study_date: str
    study_description: str
    input_description: str
    output_description: str


def _text(dataset: Dataset | None, keyword: str) -> str:
    value = dataset.get(keyword) if dataset is not None else None
    return str(value) if value not in (None, "") else ""


def study_header(*, before: Dataset | None, after: Dataset | None) -> StudyHeader:
    """The header of the page from the first slices of the input (``before``) and output (``after``) series."""
    return StudyHeader(
        patient_name=_text(before, "PatientName"),
        patient_id=_text(before, "PatientID"),
        study_date=_text(before, "StudyDate"),
        study_description=_text(before, "StudyDescription"),
        input_description=_text(before, "SeriesDescription"),
        output_description=_text(after, "SeriesDescription"),
    )
