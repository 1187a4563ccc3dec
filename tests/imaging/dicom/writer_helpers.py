"""Test helpers of the DICOM writers: a synthetic volume, a test-local reader (pydicom only), strict reading."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import highdicom as hd
import numpy as np
import numpy.typing as npt
import pydicom
from pydicom import Dataset

from imaging.dicom.derived import AlgorithmIdentity
from imaging.volume import Geometry, PetVolume, SeriesUids, SuvFactor, Units

__all__ = ["read_datasets", "strict_reading", "synthetic_volume", "volume_from_datasets", "voxels_of"]

PET_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.128"
ALGORITHM = AlgorithmIdentity(
    name="DnCNN-2.5D",
    version="1.2",
    software_version="0.1.0",
    device_uid="1.2.826.0.1.3680043.10.511.8.0",
    description="x",
)
"""The denoiser named by the derived series of the writer tests."""


def synthetic_volume(*, rng: np.random.Generator, shape: tuple[int, int, int] = (5, 12, 10)) -> PetVolume:
    """A small oblique-free BQML volume with new UIDs: Poisson-like background, one hot spot, one empty slice."""
    voxels = rng.gamma(shape=2.0, scale=2500.0, size=shape).astype(np.float32)
    voxels[1, 3:6, 4:7] *= 40.0
    voxels[-1] = 0.0
    z = shape[0]
    geometry = Geometry(
        origin_mm=(-150.25, -120.5, -40.0),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, 1.0, 0.0),
        spacing_mm=(3.27, 4.6875, 4.6875),
        slice_positions_mm=tuple(-40.0 + 3.27 * index for index in range(z)),
        slice_thickness_mm=3.27,
    )
    uids = SeriesUids(
        study_uid=hd.UID(),
        series_uid=hd.UID(),
        frame_of_reference_uid=hd.UID(),
        sop_class_uid=PET_IMAGE_STORAGE,
        sop_instance_uids=tuple(hd.UID() for _ in range(z)),
    )
    return PetVolume(voxels=voxels, geometry=geometry, units=Units.BQML, suv=SuvFactor(factor=None), uids=uids)


@contextmanager
def strict_reading() -> Iterator[None]:
    """pydicom raises on any invalid value read while inside the block; the previous mode is restored."""
    previous = pydicom.config.settings.reading_validation_mode
    pydicom.config.settings.reading_validation_mode = pydicom.config.RAISE
    try:
        yield
    finally:
        pydicom.config.settings.reading_validation_mode = previous


def read_datasets(paths: Sequence[Path]) -> list[Dataset]:
    """Read ``paths`` with pydicom, every element decoded (so strict mode sees all), sorted along the normal."""
    datasets = []
    for path in paths:
        dataset = pydicom.dcmread(path)
        for element in dataset.iterall():
            _ = element.value
        datasets.append(dataset)
    return sorted(datasets, key=_position_along_normal)


def _position_along_normal(dataset: Dataset) -> float:
    orientation = np.asarray(dataset.ImageOrientationPatient, dtype=np.float64)
    normal = np.cross(orientation[:3], orientation[3:])
    return float(np.dot(np.asarray(dataset.ImagePositionPatient, dtype=np.float64), normal))


def voxels_of(datasets: Sequence[Dataset]) -> npt.NDArray[np.float32]:
    """``(z, y, x) float32`` rescaled voxels of datasets already in z order."""
    slices = [ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for ds in datasets]
    return np.stack(slices).astype(np.float32)


def volume_from_datasets(datasets: Sequence[Dataset]) -> PetVolume:
    """A PetVolume of z-ordered PET datasets (BQML), as the real reader would build it."""
    orientation = [float(v) for v in datasets[0].ImageOrientationPatient]
    normal = np.cross(orientation[:3], orientation[3:])
    positions = tuple(_position_along_normal(ds) for ds in datasets)
    origin = tuple(float(v) for v in datasets[0].ImagePositionPatient)
    spacing = float(np.median(np.diff(positions))) if len(positions) > 1 else float(datasets[0].SliceThickness)
    row_spacing, column_spacing = (float(v) for v in datasets[0].PixelSpacing)
    geometry = Geometry(
        origin_mm=(origin[0], origin[1], origin[2]),
        row_direction=(orientation[0], orientation[1], orientation[2]),
        column_direction=(orientation[3], orientation[4], orientation[5]),
        spacing_mm=(spacing, row_spacing, column_spacing),
        slice_positions_mm=positions,
        slice_thickness_mm=float(datasets[0].SliceThickness),
    )
    assert np.isclose(np.linalg.norm(normal), 1.0)
    uids = SeriesUids(
        study_uid=datasets[0].StudyInstanceUID,
        series_uid=datasets[0].SeriesInstanceUID,
        frame_of_reference_uid=datasets[0].FrameOfReferenceUID,
        sop_class_uid=datasets[0].SOPClassUID,
        sop_instance_uids=tuple(ds.SOPInstanceUID for ds in datasets),
    )
    return PetVolume(
        voxels=voxels_of(datasets), geometry=geometry, units=Units.BQML, suv=SuvFactor(factor=None), uids=uids
    )
