"""DICOM JSON (PS3.18 Annex F) bodies: the STOW-RS Store Instances Response and the QIDO-RS result objects.

Built as pydicom datasets and serialised with ``Dataset.to_json_dict`` so every VR (PN, US, UR, IS …) is encoded
as the standard says; empty values come out as attributes without a ``Value``.
"""

from __future__ import annotations

from typing import Any

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from core.storage.models import SeriesIndex
from core.storage.outcomes import InstanceOutcome, StoreReport
from service.dicomweb.qido import StudySummary

__all__ = ["series_result", "store_response", "study_result"]


def _referenced(outcome: InstanceOutcome, base_url: str) -> Dataset:
    item = Dataset()
    item.ReferencedSOPClassUID = outcome.sop_class_uid
    item.ReferencedSOPInstanceUID = outcome.sop_instance_uid
    if outcome.failure is not None:
        item.FailureReason = int(outcome.failure)
    elif outcome.series is not None:
        study, series = outcome.series
        item.RetrieveURL = f"{base_url}/dicomweb/studies/{study}/series/{series}/instances/{outcome.sop_instance_uid}"
    return item


def store_response(*, report: StoreReport, base_url: str, study_uid: str | None) -> dict[str, Any]:
    """The Store Instances Response of ``report``: RetrieveURL of the study (the URL's study, or the single study
    stored), ReferencedSOPSequence (stored, each with its RetrieveURL), FailedSOPSequence (with FailureReason)."""
    response = Dataset()
    studies = {outcome.series.study_uid for outcome in report.outcomes if outcome.stored and outcome.series}
    study = study_uid or (next(iter(studies)) if len(studies) == 1 else None)
    if study is not None:
        response.RetrieveURL = f"{base_url}/dicomweb/studies/{study}"
    stored = [_referenced(outcome, base_url) for outcome in report.outcomes if outcome.stored]
    failed = [_referenced(outcome, base_url) for outcome in report.outcomes if not outcome.stored]
    if stored:
        response.ReferencedSOPSequence = DicomSequence(stored)
    if failed:
        response.FailedSOPSequence = DicomSequence(failed)
    return response.to_json_dict()


def study_result(*, summary: StudySummary, base_url: str) -> dict[str, Any]:
    """One QIDO-RS study result: identity, patient, ModalitiesInStudy and the related series/instance counts
    (the attributes of :data:`service.dicomweb.qido_keys.STUDY_RESULT`)."""
    study = summary.study
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.StudyDate, ds.StudyTime, ds.AccessionNumber = study.study_date, study.study_time, study.accession_number
    ds.ModalitiesInStudy = list(summary.modalities)
    ds.ReferringPhysicianName = study.referring_physician_name
    ds.PatientName, ds.PatientID = study.patient_name, study.patient_id
    ds.PatientBirthDate, ds.PatientSex = study.patient_birth_date, study.patient_sex
    ds.StudyInstanceUID, ds.StudyID, ds.StudyDescription = study.study_uid, study.study_id, study.study_description
    ds.NumberOfStudyRelatedSeries = summary.n_series
    ds.NumberOfStudyRelatedInstances = summary.n_instances
    ds.RetrieveURL = f"{base_url}/dicomweb/studies/{study.study_uid}"
    return ds.to_json_dict()


def series_result(*, index: SeriesIndex, base_url: str) -> dict[str, Any]:
    """One QIDO-RS series result: Modality, SeriesInstanceUID, SeriesNumber, SeriesDescription, the Performed
    Procedure Step start, instance count (:data:`service.dicomweb.qido_keys.SERIES_RESULT`)."""
    series = index.series
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.Modality, ds.SeriesDescription = series.modality, series.series_description
    ds.PerformedProcedureStepStartDate = series.performed_procedure_step_start_date
    ds.PerformedProcedureStepStartTime = series.performed_procedure_step_start_time
    ds.StudyInstanceUID, ds.SeriesInstanceUID = index.study.study_uid, series.series_uid
    ds.SeriesNumber = series.series_number
    ds.NumberOfSeriesRelatedInstances = len(index.instances)
    ds.RetrieveURL = f"{base_url}/dicomweb/studies/{index.study.study_uid}/series/{series.series_uid}"
    return ds.to_json_dict()
