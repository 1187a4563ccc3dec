"""Attribute helpers shared by the PET series writers: enumerated values, codes, DS strings, file meta.

Pure functions building :class:`pydicom.Dataset` pieces; no file I/O.
"""

from __future__ import annotations

import enum
from datetime import datetime

import numpy as np
import numpy.typing as npt
from pydicom import Dataset
from pydicom.dataset import FileMetaDataset
from pydicom.sr.coding import Code
from pydicom.uid import PYDICOM_IMPLEMENTATION_UID, ExplicitVRLittleEndian, PositronEmissionTomographyImageStorage
from pydicom.valuerep import format_number_as_ds

__all__ = [
    "PATIENT_STUDY_TYPE2",
    "PET_IMAGE_STORAGE",
    "PET_IMAGE_TYPE2",
    "TYPE2_EXCLUDED_BY",
    "CorrectedImage",
    "DecayCorrection",
    "ImageType",
    "code_item",
    "da_string",
    "ds_string",
    "dt_string",
    "fill_type2",
    "pixel_format",
    "set_file_meta",
    "set_pixels",
    "set_slice_pixels",
    "tm_string",
]

PET_IMAGE_STORAGE = str(PositronEmissionTomographyImageStorage)
"""SOP Class UID of (classic) PET Image Storage, 1.2.840.10008.5.1.4.1.1.128."""


PATIENT_STUDY_TYPE2 = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "StudyID",
    "AccessionNumber",
)
"""Type 2 attributes of the Patient and General Study modules (present, empty when unknown)."""

PET_IMAGE_TYPE2 = (
    *PATIENT_STUDY_TYPE2,
    "SeriesNumber",
    "Manufacturer",
    "PositionReferenceIndicator",
    "CollimatorType",
    "CorrectedImage",
    "RadiopharmaceuticalInformationSequence",
    "PatientOrientationCodeSequence",
    "PatientGantryRelationshipCodeSequence",
    "InstanceNumber",
    "SliceThickness",
    "AcquisitionDate",
    "AcquisitionTime",
    "ActualFrameDuration",
)
"""Type 2 attributes of the modules of the PET Image IOD (PS3.3 A.21.3): patient, study, series, PET series and
isotope, NM/PET patient orientation, frame of reference, equipment, general image, image plane, PET image."""


TYPE2_EXCLUDED_BY = {"PatientOrientationCodeSequence": "PatientPosition"}
"""Type 2 attributes that shall not be present beside another one (PS3.3 C.7.3.1: Patient Position is absent when
the Patient Orientation Code Sequence is present): not added when that one is there."""


def fill_type2(dataset: Dataset, *, keywords: tuple[str, ...]) -> None:
    """Add each attribute of ``keywords`` that ``dataset`` lacks, empty (a sequence with no item); in place.

    A Type 2 attribute must be present even when its value is unknown; anonymisers and research exports remove
    them. Present attributes, empty or not, are left as they are, and so is an attribute whose presence the
    standard forbids beside one ``dataset`` has (:data:`TYPE2_EXCLUDED_BY`).
    """
    for keyword in keywords:
        excluded_by = TYPE2_EXCLUDED_BY.get(keyword)
        if keyword not in dataset and (excluded_by is None or excluded_by not in dataset):
            setattr(dataset, keyword, [] if keyword.endswith("Sequence") else None)


class ImageType(enum.StrEnum):
    """Values 1 (pixel data characteristics) of Image Type (0008,0008); value 2 is always PRIMARY for PET."""

    ORIGINAL = "ORIGINAL"
    DERIVED = "DERIVED"


class DecayCorrection(enum.StrEnum):
    """Decay Correction (0054,1102): the time the pixel values are decay corrected to (PS3.3 C.8.9.1.1.6)."""

    NONE = "NONE"
    START = "START"  # acquisition start: Series Date/Time
    ADMIN = "ADMIN"  # radiopharmaceutical administration time


class CorrectedImage(enum.StrEnum):
    """Defined terms of Corrected Image (0028,0051) for PET (PS3.3 C.8.9.1.1.5)."""

    DECY = "DECY"  # decay
    ATTN = "ATTN"  # attenuation
    SCAT = "SCAT"  # scatter
    DTIM = "DTIM"  # dead time
    MOTN = "MOTN"  # gantry motion
    PMOT = "PMOT"  # patient motion
    CLN = "CLN"  # count loss normalisation
    RAN = "RAN"  # randoms
    RADL = "RADL"  # non-uniform radial sampling
    DCAL = "DCAL"  # sensitivity calibrated with a dose calibrator
    NORM = "NORM"  # detector normalisation


def ds_string(value: float) -> str:
    """``value`` as a Decimal String of at most 16 characters (the closest such string)."""
    return str(format_number_as_ds(float(value)))


def da_string(moment: datetime) -> str:
    """``moment`` as a DA value, ``YYYYMMDD``."""
    return moment.strftime("%Y%m%d")


def tm_string(moment: datetime) -> str:
    """``moment`` as a TM value, ``HHMMSS.FFFFFF``."""
    return moment.strftime("%H%M%S.%f")


def dt_string(moment: datetime) -> str:
    """``moment`` as a DT value, ``YYYYMMDDHHMMSS.FFFFFF`` plus ``&ZZXX`` when it carries a time zone."""
    return moment.strftime("%Y%m%d%H%M%S.%f%z")


def code_item(code: Code) -> Dataset:
    """One item of a code sequence: Code Value (or Long Code Value), Coding Scheme Designator, Code Meaning."""
    item = Dataset()
    if len(code.value) > 16:
        item.LongCodeValue = code.value
    else:
        item.CodeValue = code.value
    item.CodingSchemeDesignator = code.scheme_designator
    if code.scheme_version:
        item.CodingSchemeVersion = code.scheme_version
    item.CodeMeaning = code.meaning
    return item


def set_file_meta(dataset: Dataset) -> None:
    """Give ``dataset`` a File Meta Information for Explicit VR Little Endian, from its SOP Class/Instance UID.

    The encoder is pydicom, so the Implementation Class UID is pydicom's.
    """
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = dataset.SOPClassUID
    meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    dataset.file_meta = meta


def pixel_format(*, rows: int, columns: int) -> dict[str, object]:
    """Keyword → value of the Image Pixel attributes that every slice of an int16 MONOCHROME2 series shares, and
    its Rescale Intercept (0, as the PET Image module requires)."""
    return {
        "SamplesPerPixel": 1,
        "PhotometricInterpretation": "MONOCHROME2",
        "Rows": rows,
        "Columns": columns,
        "BitsAllocated": 16,
        "BitsStored": 16,
        "HighBit": 15,
        "PixelRepresentation": 1,
        "RescaleIntercept": "0",
    }


def _check_stored(stored: npt.NDArray[np.int16]) -> None:
    if stored.ndim != 2 or stored.dtype != np.int16:
        raise ValueError(f"Argument 'stored' should be a 2D int16 array, got {stored.dtype} {stored.shape}.")


def set_slice_pixels(dataset: Dataset, *, stored: npt.NDArray[np.int16], slope: str) -> None:
    """Set what differs from slice to slice: Smallest/Largest Image Pixel Value, Rescale Slope and Pixel Data.

    Args:
        dataset: the slice's dataset, changed in place.
        stored: ``(y, x) int16`` stored values, MONOCHROME2, signed.
        slope: Rescale Slope as the DS string to write.
    """
    _check_stored(stored)
    dataset.add_new(0x00280106, "SS", int(stored.min()))  # Smallest Image Pixel Value
    dataset.add_new(0x00280107, "SS", int(stored.max()))  # Largest Image Pixel Value
    dataset.RescaleSlope = slope
    dataset.PixelData = np.ascontiguousarray(stored, dtype="<i2").tobytes()


def set_pixels(dataset: Dataset, *, stored: npt.NDArray[np.int16], slope: str) -> None:
    """Set the Image Pixel attributes and the rescale of one slice in ``dataset``: :func:`pixel_format` and
    :func:`set_slice_pixels`.

    Args:
        dataset: the slice's dataset, changed in place.
        stored: ``(y, x) int16`` stored values, MONOCHROME2, signed.
        slope: Rescale Slope as the DS string to write; the intercept is 0 (PET Image module).
    """
    _check_stored(stored)
    rows, columns = (int(n) for n in stored.shape)
    for keyword, value in pixel_format(rows=rows, columns=columns).items():
        setattr(dataset, keyword, value)
    set_slice_pixels(dataset, stored=stored, slope=slope)
