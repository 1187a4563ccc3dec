"""What the storage records about each study, series and instance: the per-series index (JSON on disk).

The index holds the QIDO-RS attributes, the geometry the split-series rule compares, and per instance the
content hash that makes STOW-RS idempotent. Values are plain strings and numbers as read from the headers.
Attributes added later have a default, so older index files still load (their series show them empty).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["InstanceHeader", "InstanceRecord", "SeriesAttributes", "SeriesIndex", "StudyAttributes"]


class StudyAttributes(BaseModel):
    """Patient and study level attributes (from the series' first stored instance)."""

    model_config = ConfigDict(frozen=True)

    study_uid: str
    patient_id: str = ""
    patient_name: str = ""
    patient_birth_date: str = ""
    patient_sex: str = ""
    study_date: str = ""
    study_time: str = ""
    study_description: str = ""
    accession_number: str = ""
    study_id: str = ""
    referring_physician_name: str = ""


class SeriesAttributes(BaseModel):
    """Series level attributes; ``image_orientation`` (6 direction cosines), ``pixel_spacing`` (row, column) mm.

    The image attributes (``rows`` ... ``pixel_spacing``) are None for a series without images: petiq's own
    scores SR (see :data:`core.storage.instances.JOB_OUTPUT_SOP_CLASSES`).
    """

    model_config = ConfigDict(frozen=True)

    series_uid: str
    modality: str
    series_number: int | None = None
    series_description: str = ""
    frame_of_reference_uid: str = ""
    rows: int | None
    columns: int | None
    image_orientation: tuple[float, float, float, float, float, float] | None
    pixel_spacing: tuple[float, float] | None
    number_of_slices: int | None = None
    performed_procedure_step_start_date: str = ""
    performed_procedure_step_start_time: str = ""


class InstanceRecord(BaseModel):
    """One stored instance: ``image_position`` mm (patient coordinates; None for an SR), ``image_index`` the PET
    ImageIndex (0054,1330) when stated, ``acquisition`` = AcquisitionDate + AcquisitionTime as written (``""`` when
    absent), ``sha256`` and ``size`` (bytes) of the part as received (the stored file is those bytes, unless the
    part lacked its PS3.10 preamble and was completed, see :func:`core.storage.instances.normalise_part10`)."""

    model_config = ConfigDict(frozen=True)

    sop_class_uid: str
    transfer_syntax_uid: str
    sha256: str
    size: int
    instance_number: int | None = None
    image_index: int | None = None
    image_position: tuple[float, float, float] | None
    acquisition: str = ""


class InstanceHeader(BaseModel):
    """An instance read and validated, ready to be stored."""

    model_config = ConfigDict(frozen=True)

    sop_instance_uid: str
    study: StudyAttributes
    series: SeriesAttributes
    record: InstanceRecord


class SeriesIndex(BaseModel):
    """The index of one stored series: ``instances`` maps SOPInstanceUID to its record."""

    study: StudyAttributes
    series: SeriesAttributes
    instances: dict[str, InstanceRecord] = {}
