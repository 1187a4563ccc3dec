"""Read one received file and validate what the storage needs before keeping it.

Accepted from STOW-RS (:data:`STOW_SOP_CLASSES`): PET Image Storage (1.2.840.10008.5.1.4.1.1.128) with Modality
PT, a lossless transfer syntax petiq decodes (:data:`STORABLE_TRANSFER_SYNTAXES`), the identifying UIDs, the image
plane (position, orientation, spacing), the Image Pixel attributes a decoder needs (Rows, Columns, SamplesPerPixel 1,
a MONOCHROME PhotometricInterpretation, BitsAllocated, BitsStored, PixelRepresentation: without them the values
cannot be decoded, nor re-encoded for WADO-RS) and complete Pixel Data within :mod:`imaging.dicom.limits`
(a Deflated file is inflated in bounded memory; an over-limit image fails with 0xA700, out of resources).
Every refusal is an :class:`InstanceRejectedError` carrying its
PS3.18 Failure Reason; any other SOP Class is refused with 0x0122 (SOP Class not supported).

The worker storing a job's output also passes :data:`JOB_OUTPUT_SOP_CLASSES`, which adds petiq's own scores SR:
Comprehensive 3D SR Storage (1.2.840.10008.5.1.4.1.1.88.34) with Modality SR and the identifying UIDs (an SR has
no image plane and no Pixel Data; its series is recorded without image attributes).

A part holding File Meta Information but no preamble and ``DICM`` prefix (what pydicom writes without
``enforce_file_format``, and so what ``dicomweb-client`` sends) is rewritten as a PS3.10 file by
:func:`normalise_part10` before it is read, so that every stored file is PS3.10.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

from pydicom import dcmwrite
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import (
    UID,
    Comprehensive3DSRStorage,
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    PositronEmissionTomographyImageStorage,
    RLELossless,
)

from core.errors import InstanceRejectedError
from core.storage.layout import is_uid
from core.storage.models import InstanceHeader, InstanceRecord, SeriesAttributes, StudyAttributes
from core.storage.status import FailureReason
from imaging.atomic import write_atomic
from imaging.dicom.bounded import read_bounded
from imaging.dicom.checks import check_image_pixel, is_decodable
from imaging.dicom.limits import check_encapsulated_size, image_bytes
from imaging.dicom.sources import SourceFile
from imaging.errors import NotDicomError, PetiqError, SeriesError, UnsupportedError

__all__ = [
    "JOB_OUTPUT_SOP_CLASSES",
    "STORABLE_TRANSFER_SYNTAXES",
    "STOW_SOP_CLASSES",
    "normalise_part10",
    "read_instance",
]

STORABLE_TRANSFER_SYNTAXES = frozenset(
    {
        ImplicitVRLittleEndian,
        ExplicitVRLittleEndian,
        DeflatedExplicitVRLittleEndian,
        RLELossless,
        JPEGLSLossless,
        JPEG2000Lossless,
        JPEGLossless,
        JPEGLosslessSV1,
    }
)
"""The lossless syntaxes stored (a compressed one only while a decoder for it is installed): lossy compression
would change the activity values petiq quantifies."""
STOW_SOP_CLASSES = frozenset({str(PositronEmissionTomographyImageStorage)})
"""What STOW-RS stores: PET Image Storage only."""
JOB_OUTPUT_SOP_CLASSES = frozenset({*STOW_SOP_CLASSES, str(Comprehensive3DSRStorage)})
"""What a worker stores as a job's output: the derived PET series and the scores SR (Comprehensive 3D SR)."""
_MODALITIES = {str(PositronEmissionTomographyImageStorage): "PT", str(Comprehensive3DSRStorage): "SR"}
_DEFER_BYTES = 1024  # pixel data and other large values stay on disk while the header is checked
_PREAMBLE_BYTES = 128
_PART = "the part"
_READ_ERRORS = (InvalidDicomError, EOFError, ValueError, KeyError, TypeError, AttributeError, OSError)


def normalise_part10(*, path: Path) -> bool:
    """Rewrite the file at ``path`` as PS3.10 (preamble, ``DICM``, complete File Meta) when it starts with File
    Meta elements but has no preamble; whether it was rewritten. Anything else is left for :func:`read_instance`
    to judge."""
    with path.open("rb") as handle:
        head = handle.read(_PREAMBLE_BYTES + 4)
    if head[_PREAMBLE_BYTES:] == b"DICM" or not head.startswith(b"\x02\x00"):
        return False
    try:
        dataset = read_bounded(data=path, name=_PART, force=True)
    except (*_READ_ERRORS, PetiqError):
        return False
    if "TransferSyntaxUID" not in dataset.file_meta:
        return False
    write_atomic(path=path, write=lambda handle: dcmwrite(handle, dataset, enforce_file_format=True))
    return True


def _raw_text(ds: Dataset, keyword: str) -> str:
    """The value of ``keyword`` as text without pydicom's value validation (which warns on bad input)."""
    element = ds.get_item(keyword)
    value = None if element is None else element.value
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip(" \x00")
    return "" if value is None else str(value)


def _reject(message: str, reason: FailureReason, check: str, ds: Dataset | None = None) -> InstanceRejectedError:
    uid = _raw_text(ds, "SOPInstanceUID") if ds is not None else ""
    sop_class = _raw_text(ds, "SOPClassUID") if ds is not None else ""
    return InstanceRejectedError(
        message,
        reason=reason,
        check=check,
        uid=uid if is_uid(uid) else None,
        sop_class_uid=sop_class if is_uid(sop_class) else None,
    )


def _read(path: Path) -> Dataset:
    try:
        return read_bounded(data=path, name=_PART, defer_size=_DEFER_BYTES)
    except UnsupportedError as error:
        raise _reject(error.message, FailureReason.OUT_OF_RESOURCES, error.check or "limits") from error
    except NotDicomError as error:
        raise _reject(error.message, FailureReason.CANNOT_UNDERSTAND, "dicom") from error
    except InvalidDicomError as error:
        message = "The part is not a DICOM PS3.10 file (no 'DICM' prefix and File Meta Information)."
        raise _reject(message, FailureReason.CANNOT_UNDERSTAND, "dicom") from error
    except _READ_ERRORS as error:
        message = f"The part cannot be read as DICOM: {error}"
        raise _reject(message, FailureReason.CANNOT_UNDERSTAND, "dicom") from error


def _check_identity(ds: Dataset, sop_classes: frozenset[str]) -> None:
    for keyword in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
        if not is_uid(_raw_text(ds, keyword)):
            reason = FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS
            raise _reject(f"Attribute '{keyword}' should be a UID.", reason, "attribute", ds)
    sop_class = str(ds.SOPClassUID)
    if sop_class not in sop_classes or sop_class not in _MODALITIES:
        message = f"SOP Class {sop_class} is not stored: petiq accepts PET Image Storage only."
        raise _reject(message, FailureReason.SOP_CLASS_NOT_SUPPORTED, "sop_class", ds)
    modality = _MODALITIES[sop_class]
    if ds.get("Modality") != modality:
        message = f"Attribute 'Modality' should be {modality!r} for SOP Class {sop_class}, got {ds.get('Modality')!r}."
        raise _reject(message, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS, "modality", ds)
    meta_uid = ds.file_meta.get("MediaStorageSOPInstanceUID")
    if meta_uid is not None and str(meta_uid) != str(ds.SOPInstanceUID):
        message = "MediaStorageSOPInstanceUID should equal SOPInstanceUID."
        raise _reject(message, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS, "attribute", ds)
    _check_transfer_syntax(ds)


def _check_transfer_syntax(ds: Dataset) -> None:
    syntax = UID(str(ds.file_meta.get("TransferSyntaxUID", "")))
    if syntax in STORABLE_TRANSFER_SYNTAXES and is_decodable(syntax=syntax):
        return
    named = f"{syntax.name} ({syntax})" if syntax.is_transfer_syntax else repr(str(syntax))
    why = "no decoder for it is installed" if syntax in STORABLE_TRANSFER_SYNTAXES else "it is not a lossless syntax"
    message = f"Transfer syntax {named} is not stored: {why}; send Explicit VR Little Endian."
    raise _reject(message, FailureReason.TRANSFER_SYNTAX_NOT_SUPPORTED, "transfer_syntax", ds)


def _numbers(ds: Dataset, keyword: str, count: int) -> tuple[float, ...]:
    value = ds.get(keyword)
    items = value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else [value]
    try:
        numbers = tuple(float(item) for item in items)
    except (TypeError, ValueError):
        numbers = ()
    if len(numbers) != count or not all(math.isfinite(number) for number in numbers):
        message = f"Attribute '{keyword}' should hold {count} number(s), got {value!r}."
        raise _reject(message, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS, "attribute", ds)
    return numbers


def _image_bytes(ds: Dataset, element_length: int, encapsulated: bool) -> int:
    """The decoded image's bytes, once it and its encapsulated data (``element_length``) are within the limits."""
    try:
        if encapsulated:
            check_encapsulated_size(dataset=ds, encapsulated=element_length, name=_PART)
        return image_bytes(dataset=ds, name=_PART)
    except UnsupportedError as error:
        raise _reject(error.message, FailureReason.OUT_OF_RESOURCES, error.check or "limits", ds) from error
    except SeriesError as error:
        raise _reject(error.message, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS, "attribute", ds) from error


def _check_image_pixel(ds: Dataset) -> None:
    """The Image Pixel attributes a decoder needs (Type 1: Rows ... PixelRepresentation) are there, grayscale."""
    try:
        check_image_pixel(files=[SourceFile(name=_PART, dataset=ds)], uid=_raw_text(ds, "SOPInstanceUID"))
    except SeriesError as error:
        raise _reject(error.message, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS, "attribute", ds) from error


def _check_pixels(ds: Dataset, path: Path) -> None:
    element = ds.get_item("PixelData") if "PixelData" in ds else None
    value = None if element is None else element.value
    deferred = element is not None and value is None
    length = getattr(element, "length", None) if deferred else None if value is None else len(value)
    encapsulated = UID(str(ds.file_meta.TransferSyntaxUID)).is_encapsulated
    expected = _image_bytes(ds, length or 0, encapsulated)
    tell = getattr(element, "value_tell", None)
    truncated = deferred and tell is not None and length is not None and tell + length > os.path.getsize(path)
    short = length is None or (not encapsulated and length < expected)
    if element is None or expected == 0 or short or truncated:
        rows, columns = ds.get("Rows"), ds.get("Columns")
        message = f"Pixel Data should hold {expected} bytes for {rows}x{columns}, got {length} (missing or truncated)."
        raise _reject(message, FailureReason.DATASET_DOES_NOT_MATCH_SOP_CLASS, "pixel_data", ds)


def _text(ds: Dataset, keyword: str) -> str:
    value = ds.get(keyword)
    return "" if value is None else str(value)


def _integer(ds: Dataset, keyword: str) -> int | None:
    try:
        return int(ds.get(keyword))
    except (TypeError, ValueError):
        return None


def _study(ds: Dataset) -> StudyAttributes:
    return StudyAttributes(
        study_uid=str(ds.StudyInstanceUID),
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName"),
        patient_birth_date=_text(ds, "PatientBirthDate"),
        patient_sex=_text(ds, "PatientSex"),
        study_date=_text(ds, "StudyDate"),
        study_time=_text(ds, "StudyTime"),
        study_description=_text(ds, "StudyDescription"),
        accession_number=_text(ds, "AccessionNumber"),
        study_id=_text(ds, "StudyID"),
        referring_physician_name=_text(ds, "ReferringPhysicianName"),
    )


def _series(ds: Dataset, *, images: bool) -> SeriesAttributes:
    """The series attributes; without the image ones (None) when ``images`` is False (an SR)."""
    orientation = _numbers(ds, "ImageOrientationPatient", 6) if images else None
    spacing = _numbers(ds, "PixelSpacing", 2) if images else None
    return SeriesAttributes(
        series_uid=str(ds.SeriesInstanceUID),
        modality=_text(ds, "Modality"),
        series_number=_integer(ds, "SeriesNumber"),
        series_description=_text(ds, "SeriesDescription"),
        frame_of_reference_uid=_text(ds, "FrameOfReferenceUID"),
        rows=int(ds.Rows) if images else None,
        columns=int(ds.Columns) if images else None,
        image_orientation=None if orientation is None else _six(orientation),
        pixel_spacing=None if spacing is None else (spacing[0], spacing[1]),
        number_of_slices=_integer(ds, "NumberOfSlices"),
        performed_procedure_step_start_date=_text(ds, "PerformedProcedureStepStartDate"),
        performed_procedure_step_start_time=_text(ds, "PerformedProcedureStepStartTime"),
    )


def _six(values: tuple[float, ...]) -> tuple[float, float, float, float, float, float]:
    return (values[0], values[1], values[2], values[3], values[4], values[5])


def read_instance(
    *, path: Path, sha256: str, size: int, sop_classes: frozenset[str] = STOW_SOP_CLASSES
) -> InstanceHeader:
    """Read the file at ``path`` (pixel data left on disk) and validate it for storage.

    Args:
        path: a received part, a DICOM PS3.10 file.
        sha256: hex digest of the file's bytes; size: its length in bytes (both computed while spooling).
        sop_classes: the SOP Classes accepted: :data:`STOW_SOP_CLASSES`, or :data:`JOB_OUTPUT_SOP_CLASSES` when
            a worker stores a job's output.

    Raises:
        InstanceRejectedError: the file cannot be stored; ``reason`` is its PS3.18 Failure Reason.
    """
    ds = _read(path)
    _check_identity(ds, sop_classes)
    images = str(ds.SOPClassUID) == PositronEmissionTomographyImageStorage
    if images:
        _check_image_pixel(ds)
        _check_pixels(ds, path)
    position = _numbers(ds, "ImagePositionPatient", 3) if images else None
    series = _series(ds, images=images)
    record = InstanceRecord(
        sop_class_uid=str(ds.SOPClassUID),
        transfer_syntax_uid=str(ds.file_meta.TransferSyntaxUID),
        sha256=sha256,
        size=size,
        instance_number=_integer(ds, "InstanceNumber"),
        image_index=_integer(ds, "ImageIndex") if images else None,
        image_position=None if position is None else (position[0], position[1], position[2]),
        acquisition=_text(ds, "AcquisitionDate") + _text(ds, "AcquisitionTime"),
    )
    return InstanceHeader(sop_instance_uid=str(ds.SOPInstanceUID), study=_study(ds), series=series, record=record)
