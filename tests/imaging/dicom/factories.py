"""Synthetic PET Image Storage series built with pydicom, with the true voxel values they encode.

The headers follow the PET Image IOD: Patient, General Study, Patient Study, General Series, PET Series,
PET Isotope, NM/PET Patient Orientation, Frame of Reference, General Equipment, General Image, Image Plane,
Image Pixel, PET Image and SOP Common modules. UIDs are derived from ``seed`` (no hidden randomness).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import ExplicitVRLittleEndian, PositronEmissionTomographyImageStorage, generate_uid

__all__ = ["SyntheticSeries", "make_pet_series", "shuffled_paths", "to_bytes", "write_series"]

WEIGHT_KG = 70.0
DOSE_BQ = 3.5e8
HALF_LIFE_S = 6586.2
INJECTION_TIME = "093000.00"
SERIES_TIME = "103000.00"
STUDY_DATE = "20240102"


@dataclass(frozen=True, kw_only=True)
class SyntheticSeries:
    """``datasets`` in z order (increasing position along the normal); ``truth`` their ``(z, y, x) float32``."""

    datasets: list[Dataset]
    truth: npt.NDArray[np.float32]
    stored: npt.NDArray[np.int16]
    slopes: tuple[float, ...]


def uid(seed: int, *parts: object) -> str:
    """A UID derived from ``seed`` and ``parts``."""
    return str(generate_uid(entropy_srcs=[str(seed), *(str(part) for part in parts)]))


def _code(value: str, scheme: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    return item


def _isotope() -> Dataset:
    drug = Dataset()
    drug.Radiopharmaceutical = "Fluorodeoxyglucose"
    drug.RadiopharmaceuticalStartTime = INJECTION_TIME
    drug.RadionuclideTotalDose = f"{DOSE_BQ:.6g}"
    drug.RadionuclideHalfLife = f"{HALF_LIFE_S}"
    drug.RadionuclidePositronFraction = "0.97"
    drug.RadionuclideCodeSequence = DicomSequence([_code("77004003", "SCT", "^18^Fluorine")])
    return drug


def _series_header(*, seed: int, manufacturer: str, n_slices: int) -> Dataset:
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = "Synthetic^Patient", "SYN001", "", "O"
    ds.PatientWeight = f"{WEIGHT_KG}"
    ds.StudyInstanceUID, ds.StudyID, ds.AccessionNumber = uid(seed, "study"), "1", ""
    ds.StudyDate, ds.StudyTime, ds.ReferringPhysicianName = STUDY_DATE, "100000.00", ""
    ds.Modality, ds.SeriesInstanceUID, ds.SeriesNumber = "PT", uid(seed, "series"), "1"
    ds.Laterality = ""
    ds.SeriesDate, ds.SeriesTime = STUDY_DATE, SERIES_TIME
    ds.Units, ds.CountsSource, ds.SeriesType = "BQML", "EMISSION", ["WHOLE BODY", "IMAGE"]
    ds.CorrectedImage, ds.DecayCorrection = ["DECY", "ATTN"], "START"
    ds.RandomsCorrectionMethod, ds.AttenuationCorrectionMethod = "DLYD", "CT"
    ds.ReconstructionMethod, ds.NumberOfSlices = "OSEM", n_slices
    ds.CollimatorType = "NONE"
    ds.RadiopharmaceuticalInformationSequence = DicomSequence([_isotope()])
    ds.PatientOrientationCodeSequence = DicomSequence([_code("102538003", "SCT", "recumbent")])
    ds.PatientGantryRelationshipCodeSequence = DicomSequence([_code("126830005", "SCT", "headfirst")])
    ds.FrameOfReferenceUID, ds.PositionReferenceIndicator = uid(seed, "frame"), ""
    ds.Manufacturer = manufacturer
    ds.SOPClassUID = PositronEmissionTomographyImageStorage
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    return ds


def _pixel_module(ds: Dataset, stored: npt.NDArray[np.int16]) -> None:
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows, ds.Columns = stored.shape
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelData = np.ascontiguousarray(stored, dtype="<i2").tobytes()


def _slice(
    *, header: Dataset, seed: int, index: int, stored: npt.NDArray[np.int16], slope: str, position: float
) -> Dataset:
    ds = Dataset()
    ds.update(header)
    ds.SOPInstanceUID = uid(seed, "instance", index)
    ds.ImagePositionPatient = ["-10.0", "-20.0", f"{position}"]
    ds.PixelSpacing, ds.SliceThickness = ["2.5", "2.0"], "3.0"
    ds.RescaleSlope, ds.RescaleIntercept = slope, "0"
    ds.AcquisitionDate, ds.AcquisitionTime, ds.ActualFrameDuration = STUDY_DATE, SERIES_TIME, 120000
    ds.FrameReferenceTime, ds.ImageIndex, ds.DecayFactor = "0", index + 1, "1.0"
    _pixel_module(ds, stored)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def make_pet_series(
    *,
    rng: np.random.Generator,
    shape: tuple[int, int, int] = (6, 5, 4),
    per_slice_slope: bool = True,
    reverse_instances: bool = False,
    manufacturer: str = "GE MEDICAL SYSTEMS",
    seed: int = 0,
    spacing_z_mm: float = 3.0,
) -> SyntheticSeries:
    """A PET series of ``shape`` (z, y, x): random int16 stored values, one slope per slice (GE) or one for all
    (Siemens). ``reverse_instances`` numbers the instances from the top slice down (InstanceNumber 1 = last z)."""
    stored = rng.integers(0, 32767, size=shape, dtype=np.int16)
    slopes = [f"{0.25 * (index + 1):g}" for index in range(shape[0])] if per_slice_slope else ["1.5"] * shape[0]
    header = _series_header(seed=seed, manufacturer=manufacturer, n_slices=shape[0])
    datasets = []
    for index in range(shape[0]):
        ds = _slice(
            header=header,
            seed=seed,
            index=index,
            stored=stored[index],
            slope=slopes[index],
            position=-100.0 + index * spacing_z_mm,
        )
        ds.InstanceNumber = shape[0] - index if reverse_instances else index + 1
        datasets.append(ds)
    floats = tuple(float(slope) for slope in slopes)
    truth = (stored.astype(np.float64) * np.asarray(floats)[:, None, None]).astype(np.float32)
    return SyntheticSeries(datasets=datasets, truth=truth, stored=stored, slopes=floats)


def to_bytes(dataset: Dataset) -> bytes:
    """``dataset`` as the bytes of a DICOM Part 10 file."""
    buffer = io.BytesIO()
    pydicom.dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def write_series(datasets: Sequence[Dataset], directory: Path, *, names: Sequence[str] | None = None) -> list[Path]:
    """Write ``datasets`` to ``directory`` (names ``IM{i:04d}.dcm`` unless given); returns the paths in order."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / (names[i] if names else f"IM{i:04d}.dcm") for i in range(len(datasets))]
    for path, dataset in zip(paths, datasets, strict=True):
        path.write_bytes(to_bytes(dataset))
    return paths


def shuffled_paths(datasets: Sequence[Dataset], directory: Path, *, rng: np.random.Generator) -> list[Path]:
    """Write ``datasets`` under names that sort in a random order (no relation to position or instance)."""
    order = rng.permutation(len(datasets))
    return write_series(datasets, directory, names=[f"{int(rank):04d}.dcm" for rank in order])
