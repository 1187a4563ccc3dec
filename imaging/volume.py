"""The PET domain objects: a volume of voxels with its geometry, units, SUV factor and source UIDs.

These are plain, immutable values: readers build them from DICOM, the simulator builds them from phantoms,
writers turn them back into DICOM. Arrays are ``(z, y, x)``: z runs along the slice normal
(``row_direction × column_direction``) in increasing position, y down the rows, x along the columns.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Geometry", "PetVolume", "SeriesUids", "SuvFactor", "Units"]

Vector3 = tuple[float, float, float]


class Units(enum.StrEnum):
    """Units (0054,1001) of PET pixel values after rescale (PS3.3 C.8.9.1.1.3), those petiq names."""

    BQML = "BQML"  # Bq/ml: what SUV and denoising expect
    CNTS = "CNTS"  # counts
    GML = "GML"  # SUV body weight, g/ml
    PROPCNTS = "PROPCNTS"
    CM2 = "CM2"
    PCNT = "PCNT"
    NONE = "NONE"
    OTHER = "OTHER"  # anything else; the raw value is kept in PetVolume.units_raw


@dataclass(frozen=True, kw_only=True)
class Geometry:
    """Where the voxels are in the patient coordinate system (LPS, mm).

    Attributes:
        origin_mm: patient position of the centre of voxel ``[0, 0, 0]`` (ImagePositionPatient of slice 0).
        row_direction: unit vector along a row, i.e. increasing x index (ImageOrientationPatient[0:3]).
        column_direction: unit vector down a column, i.e. increasing y index (ImageOrientationPatient[3:6]).
        spacing_mm: ``(z, y, x)`` voxel spacing: slice spacing, PixelSpacing[0] (rows), PixelSpacing[1] (columns).
        slice_positions_mm: position of each slice along ``slice_direction``, increasing, one per z index.
        slice_thickness_mm: SliceThickness when known (may differ from the spacing).
    """

    origin_mm: Vector3
    row_direction: Vector3
    column_direction: Vector3
    spacing_mm: Vector3
    slice_positions_mm: tuple[float, ...]
    slice_thickness_mm: float | None = None

    @property
    def slice_direction(self) -> Vector3:
        """Unit slice normal ``row_direction × column_direction``; z index increases along it."""
        normal = np.cross(np.asarray(self.row_direction), np.asarray(self.column_direction))
        return (float(normal[0]), float(normal[1]), float(normal[2]))

    @property
    def image_orientation(self) -> tuple[float, float, float, float, float, float]:
        """ImageOrientationPatient: row then column direction cosines."""
        return (*self.row_direction, *self.column_direction)

    def slice_origin_mm(self, index: int) -> Vector3:
        """ImagePositionPatient (mm) of slice ``index``: the origin moved along the normal to its position."""
        normal = np.asarray(self.slice_direction)
        offset = self.slice_positions_mm[index] - self.slice_positions_mm[0]
        position = np.asarray(self.origin_mm) + offset * normal
        return (float(position[0]), float(position[1]), float(position[2]))


@dataclass(frozen=True, kw_only=True)
class SuvFactor:
    """SUVbw per pixel unit: ``suv = voxel * factor``; ``factor`` is None with the ``reason`` when not computable.

    Attributes:
        factor: SUVbw per Bq/ml, i.e. weight_g / decay-corrected injected dose in Bq; None when not computable.
        reason: why the factor is None, or None when it was computed.
    """

    factor: float | None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class SeriesUids:
    """The identifying UIDs of a series and of its instances, the instances in z order."""

    study_uid: str
    series_uid: str
    frame_of_reference_uid: str | None
    sop_class_uid: str
    sop_instance_uids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PetVolume:
    """A reconstructed PET volume.

    Attributes:
        voxels: ``(z, y, x) float32`` activity in ``units`` (Bq/ml for BQML), rescale applied.
        geometry: voxel positions in patient space.
        units: the pixel units; ``units_raw`` keeps the DICOM value when it is not one petiq names.
        suv: the SUVbw factor or the reason it is unknown.
        uids: the study, series and instance UIDs the voxels came from.
    """

    voxels: npt.NDArray[np.float32]
    geometry: Geometry
    units: Units
    suv: SuvFactor
    uids: SeriesUids
    units_raw: str = field(default="")

    def __post_init__(self) -> None:
        if self.voxels.ndim != 3:
            raise ValueError(f"Argument 'voxels' should be a 3D (z, y, x) array, got shape {self.voxels.shape}.")
        if self.voxels.dtype != np.float32:
            raise ValueError(f"Argument 'voxels' should be float32, got {self.voxels.dtype}.")
        if len(self.geometry.slice_positions_mm) != self.voxels.shape[0]:
            raise ValueError(
                "Argument 'geometry' should have one slice position per slice: "
                f"{len(self.geometry.slice_positions_mm)} positions for {self.voxels.shape[0]} slices."
            )
        if len(self.uids.sop_instance_uids) not in (0, self.voxels.shape[0]):
            raise ValueError("Argument 'uids' should list one SOP instance UID per slice, or none.")

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(z, y, x)`` number of voxels."""
        z, y, x = self.voxels.shape
        return (int(z), int(y), int(x))
