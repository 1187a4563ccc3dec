"""An ORIGINAL\\PRIMARY PET Image Storage series from a volume: what the simulator writes as "scanner output".

Every module the PET Image IOD (PS3.3 A.21) marks mandatory is filled: Patient, General Study, Patient Study,
General Series, PET Series, PET Isotope, NM/PET Patient Orientation, Frame of Reference, General Equipment,
General Acquisition, General Image, Image Plane, Image Pixel, PET Image and SOP Common. One static frame: its
timing follows PS3.3 C.8.9.4.1.5 (Frame Reference Time = the time within the frame at which the decaying activity
equals its frame average; Decay Factor = decay from then to the Decay Correction reference time).
"""

from __future__ import annotations

import copy
import enum
import math
from dataclasses import dataclass, field
from datetime import date, datetime

from pydicom import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

from imaging.dicom.modules import (
    PET_IMAGE_STORAGE,
    CorrectedImage,
    DecayCorrection,
    ImageType,
    code_item,
    da_string,
    ds_string,
    dt_string,
    set_file_meta,
    set_pixels,
    tm_string,
)
from imaging.dicom.pixels import EncodedSlices, encode_slices
from imaging.volume import PetVolume, Units

__all__ = ["FDG", "AcquisitionInfo", "PatientSex", "Tracer", "create_original_series", "frame_timing"]


class PatientSex(enum.StrEnum):
    """Patient's Sex (0010,0040)."""

    MALE = "M"
    FEMALE = "F"
    OTHER = "O"


@dataclass(frozen=True, kw_only=True)
class Tracer:
    """A radiopharmaceutical and its radionuclide.

    Attributes:
        name: Radiopharmaceutical (0018,0031) free text.
        code: Radiopharmaceutical Code Sequence item (CID 4021).
        radionuclide: Radionuclide Code Sequence item (CID 4020).
        half_life_s: Radionuclide Half Life, s.
        positron_fraction: Radionuclide Positron Fraction, 0–1.
    """

    name: str
    code: Code
    radionuclide: Code
    half_life_s: float
    positron_fraction: float


FDG = Tracer(
    name="Fluorodeoxyglucose F^18^",
    code=codes.SCT.FluorodeoxyglucoseF18,
    radionuclide=codes.SCT._18Fluorine,
    half_life_s=6586.2,
    positron_fraction=0.9673,
)
"""[18F]FDG; F-18 half-life 6586.2 s (109.77 min)."""

_DEFAULT_CORRECTIONS = (
    CorrectedImage.DECY,
    CorrectedImage.ATTN,
    CorrectedImage.SCAT,
    CorrectedImage.DTIM,
    CorrectedImage.RAN,
    CorrectedImage.NORM,
)


@dataclass(frozen=True, kw_only=True)
class AcquisitionInfo:
    """What a scanner would know about the acquisition; the defaults describe a plain adult FDG study.

    Attributes (units in the names): patient identity and size, study and series text, the equipment, the
    acquisition start (Series Date/Time) and injection moments (naive local times or both time-zone aware),
    the injected dose (Bq at ``injection_datetime``), the tracer, how the pixels are corrected and the frame
    duration (ms). ``body_part_examined`` must be an unpaired part (e.g. WHOLEBODY, BRAIN): no Laterality is
    written.
    """

    patient_name: str = "PETIQ^PHANTOM"
    patient_id: str = "PETIQ-PHANTOM"
    patient_sex: PatientSex = PatientSex.OTHER
    patient_birth_date: date | None = None
    patient_weight_kg: float | None = 75.0
    patient_height_m: float | None = 1.75
    study_description: str = "PET simulated study"
    study_id: str = "1"
    accession_number: str = ""
    series_description: str = "PET simulated"
    series_number: int = 1
    body_part_examined: str = "WHOLEBODY"
    manufacturer: str = "petiq"
    model_name: str = "petiq simulator"
    software_version: str = "0.1.0"
    acquisition_datetime: datetime = datetime(2024, 1, 15, 10, 0, 0)
    injection_datetime: datetime = datetime(2024, 1, 15, 9, 0, 0)
    injected_dose_bq: float = 370e6
    tracer: Tracer = FDG
    decay_correction: DecayCorrection = DecayCorrection.START
    corrected_image: tuple[CorrectedImage, ...] = field(default=_DEFAULT_CORRECTIONS)
    frame_duration_ms: int = 180_000
    reconstruction_method: str = "OSEM"

    def __post_init__(self) -> None:
        if self.injected_dose_bq <= 0:
            raise ValueError(f"Argument 'injected_dose_bq' should be positive, got {self.injected_dose_bq}.")
        if self.frame_duration_ms <= 0:
            raise ValueError(f"Argument 'frame_duration_ms' should be positive, got {self.frame_duration_ms}.")
        if self.tracer.half_life_s <= 0:
            raise ValueError(f"Argument 'tracer' should have a positive half-life, got {self.tracer.half_life_s}.")
        if self.injection_datetime > self.acquisition_datetime:
            raise ValueError("Argument 'injection_datetime' should not be after 'acquisition_datetime'.")
        if not 0 <= self.series_number < 2**31:
            raise ValueError(f"Argument 'series_number' should fit an IS, got {self.series_number}.")


def frame_timing(*, info: AcquisitionInfo) -> tuple[float, float | None]:
    """Frame Reference Time (ms after Series Date/Time) and Decay Factor (None when not decay corrected)."""
    decay_constant = math.log(2) / info.tracer.half_life_s  # 1/s
    duration_s = info.frame_duration_ms / 1000
    growth = decay_constant * duration_s / -math.expm1(-decay_constant * duration_s)  # e^(λ t_ref)
    reference_s = math.log(growth) / decay_constant
    if info.decay_correction is DecayCorrection.NONE:
        return reference_s * 1000, None
    if info.decay_correction is DecayCorrection.START:
        return reference_s * 1000, growth
    uptake_s = (info.acquisition_datetime - info.injection_datetime).total_seconds()
    return reference_s * 1000, growth * math.exp(decay_constant * uptake_s)


def _patient_and_study(*, volume: PetVolume, info: AcquisitionInfo) -> Dataset:
    """Patient, General Study and Patient Study modules."""
    ds = Dataset()
    ds.PatientName = info.patient_name
    ds.PatientID = info.patient_id
    ds.PatientBirthDate = info.patient_birth_date.strftime("%Y%m%d") if info.patient_birth_date else ""
    ds.PatientSex = info.patient_sex.value
    if info.patient_weight_kg is not None:
        ds.PatientWeight = ds_string(info.patient_weight_kg)
    if info.patient_height_m is not None:
        ds.PatientSize = ds_string(info.patient_height_m)
    ds.StudyInstanceUID = volume.uids.study_uid
    ds.StudyDate = da_string(info.acquisition_datetime)
    ds.StudyTime = tm_string(info.acquisition_datetime)
    ds.ReferringPhysicianName = ""
    ds.StudyID = info.study_id
    ds.AccessionNumber = info.accession_number
    ds.StudyDescription = info.study_description
    return ds


def _series(*, volume: PetVolume, info: AcquisitionInfo) -> Dataset:
    """General Series, PET Series, Frame of Reference, General Equipment modules."""
    ds = Dataset()
    ds.Modality = "PT"
    ds.BodyPartExamined = info.body_part_examined
    ds.SeriesInstanceUID = volume.uids.series_uid
    ds.SeriesNumber = info.series_number
    ds.SeriesDescription = info.series_description
    ds.SeriesDate = da_string(info.acquisition_datetime)
    ds.SeriesTime = tm_string(info.acquisition_datetime)
    ds.Units = volume.units_raw if volume.units is Units.OTHER else volume.units.value
    ds.CountsSource = "EMISSION"
    ds.SeriesType = ["STATIC", "IMAGE"]
    ds.NumberOfSlices = volume.shape[0]
    ds.CorrectedImage = [flag.value for flag in info.corrected_image]
    ds.DecayCorrection = info.decay_correction.value
    ds.ReconstructionMethod = info.reconstruction_method
    ds.CollimatorType = "NONE"
    ds.FrameOfReferenceUID = volume.uids.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    ds.Manufacturer = info.manufacturer
    ds.ManufacturerModelName = info.model_name
    ds.SoftwareVersions = info.software_version
    return ds


def _isotope_and_orientation(*, info: AcquisitionInfo) -> Dataset:
    """PET Isotope and NM/PET Patient Orientation modules (head first, supine)."""
    drug = Dataset()
    drug.Radiopharmaceutical = info.tracer.name
    drug.RadiopharmaceuticalStartTime = tm_string(info.injection_datetime)
    drug.RadiopharmaceuticalStartDateTime = dt_string(info.injection_datetime)
    drug.RadionuclideTotalDose = ds_string(info.injected_dose_bq)
    drug.RadionuclideHalfLife = ds_string(info.tracer.half_life_s)
    drug.RadionuclidePositronFraction = ds_string(info.tracer.positron_fraction)
    drug.RadionuclideCodeSequence = [code_item(info.tracer.radionuclide)]
    drug.RadiopharmaceuticalCodeSequence = [code_item(info.tracer.code)]
    ds = Dataset()
    ds.RadiopharmaceuticalInformationSequence = [drug]
    orientation = code_item(codes.SCT.Recumbent)
    orientation.PatientOrientationModifierCodeSequence = [code_item(codes.SCT.Supine)]
    ds.PatientOrientationCodeSequence = [orientation]
    ds.PatientGantryRelationshipCodeSequence = [code_item(codes.SCT.Headfirst)]
    return ds


def _image_common(*, info: AcquisitionInfo) -> Dataset:
    """The attributes of General Acquisition, General Image and PET Image shared by every slice."""
    ds = Dataset()
    ds.ImageType = [ImageType.ORIGINAL.value, "PRIMARY"]
    ds.AcquisitionDate = da_string(info.acquisition_datetime)
    ds.AcquisitionTime = tm_string(info.acquisition_datetime)
    ds.ContentDate = da_string(info.acquisition_datetime)
    ds.ContentTime = tm_string(info.acquisition_datetime)
    reference_ms, decay_factor = frame_timing(info=info)
    ds.FrameReferenceTime = ds_string(reference_ms)
    ds.ActualFrameDuration = info.frame_duration_ms
    if decay_factor is not None:
        ds.DecayFactor = ds_string(decay_factor)
    ds.SliceSensitivityFactor = "1"
    ds.LossyImageCompression = "00"
    ds.SOPClassUID = PET_IMAGE_STORAGE
    ds.SpecificCharacterSet = "ISO_IR 192"
    return ds


def _check_volume(*, volume: PetVolume) -> None:
    if volume.uids.frame_of_reference_uid is None:
        raise ValueError("Argument 'volume' should carry a Frame of Reference UID (uids.frame_of_reference_uid).")
    if len(volume.uids.sop_instance_uids) != volume.shape[0]:
        raise ValueError("Argument 'volume' should carry one SOP Instance UID per slice (uids.sop_instance_uids).")
    if volume.uids.sop_class_uid != PET_IMAGE_STORAGE:
        raise ValueError(f"Argument 'volume' should name PET Image Storage, got {volume.uids.sop_class_uid}.")
    if volume.units is Units.OTHER and not volume.units_raw:
        raise ValueError("Argument 'volume' should give 'units_raw' when its units are OTHER.")


def _slice_dataset(*, shared: Dataset, volume: PetVolume, encoded: EncodedSlices, index: int) -> Dataset:
    """Slice ``index``: a copy of the shared attributes plus its UID, numbers, Image Plane and pixels."""
    geometry = volume.geometry
    ds = copy.deepcopy(shared)
    ds.SOPInstanceUID = volume.uids.sop_instance_uids[index]
    ds.InstanceNumber = index + 1
    ds.ImageIndex = index + 1
    ds.ImagePositionPatient = [ds_string(v) for v in geometry.slice_origin_mm(index)]
    ds.ImageOrientationPatient = [ds_string(v) for v in geometry.image_orientation]
    ds.PixelSpacing = [ds_string(v) for v in geometry.spacing_mm[1:]]
    ds.SliceThickness = ds_string(geometry.slice_thickness_mm or geometry.spacing_mm[0])
    ds.SliceLocation = ds_string(geometry.slice_positions_mm[index])
    set_pixels(ds, stored=encoded.stored[index], slope=encoded.slope_strings[index])
    set_file_meta(ds)
    return ds


def create_original_series(*, volume: PetVolume, info: AcquisitionInfo) -> list[Dataset]:
    """One ORIGINAL\\PRIMARY PET Image Storage dataset per slice, in z order, with file meta.

    Args:
        volume: ``(z, y, x) float32`` voxels in ``volume.units`` (Bq/ml for BQML) with its geometry (mm) and UIDs
            (study, series, frame of reference, one SOP Instance UID per slice; SOP Class PET Image Storage).
        info: the acquisition description.

    Returns:
        Datasets with Instance Number and Image Index ``1..z`` in z order, int16 pixels with per-slice slope.
    """
    _check_volume(volume=volume)
    encoded = encode_slices(voxels=volume.voxels)
    shared = Dataset()
    for part in (
        _patient_and_study(volume=volume, info=info),
        _series(volume=volume, info=info),
        _isotope_and_orientation(info=info),
        _image_common(info=info),
    ):
        shared.update(part)
    return [
        _slice_dataset(shared=shared, volume=volume, encoded=encoded, index=index) for index in range(volume.shape[0])
    ]
