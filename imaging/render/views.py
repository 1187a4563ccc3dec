"""2-D views of a ``(z, y, x)`` PET volume, as readers look at them, and their size on screen.

Axial slices are shown as stored (row 0 at the top, column 0 on the left: for the usual ImageOrientationPatient
``1\\0\\0\\0\\1\\0`` that is anterior up and the patient's right on the viewer's left, the radiological convention).
The coronal maximum-intensity projection (MIP) runs along y (anterior–posterior for axial acquisitions); its
rows are z, turned so that the head is at the top when z increases towards the head.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["axial_slice", "coronal_mip", "display_size", "hottest_slice"]

FloatImage = npt.NDArray[np.float32]


def _check_volume(voxels: npt.NDArray[np.floating]) -> None:
    if voxels.ndim != 3 or 0 in voxels.shape:
        raise ValueError(f"Argument 'voxels' should be a non-empty (z, y, x) array, got shape {voxels.shape}.")


def hottest_slice(*, voxels: npt.NDArray[np.floating]) -> int:
    """The z index of the slice holding the volume's maximum (the lowest such index on ties).

    Args:
        voxels: ``(z, y, x)`` activity, any unit.
    """
    _check_volume(voxels)
    return int(np.unravel_index(int(np.argmax(voxels)), voxels.shape)[0])


def axial_slice(*, voxels: npt.NDArray[np.floating], index: int) -> FloatImage:
    """Slice ``index`` of ``voxels`` ``(z, y, x)`` as a ``(y, x) float32`` image, in the volume's unit."""
    _check_volume(voxels)
    if not 0 <= index < voxels.shape[0]:
        raise ValueError(f"Argument 'index' should be in [0, {voxels.shape[0]}), got {index}.")
    return np.asarray(voxels[index], dtype=np.float32)


def coronal_mip(*, voxels: npt.NDArray[np.floating], head_at_high_z: bool) -> FloatImage:
    """The maximum over y of ``voxels`` ``(z, y, x)``: a ``(z, x) float32`` image in the volume's unit.

    Args:
        head_at_high_z: whether z increases towards the head (the slice normal points superior); the rows are
            then reversed so that the head is in row 0.
    """
    _check_volume(voxels)
    mip: FloatImage = np.max(voxels, axis=1).astype(np.float32)
    return np.ascontiguousarray(mip[::-1]) if head_at_high_z else mip


def display_size(*, shape: tuple[int, int], spacing_mm: tuple[float, float], px_per_mm: float) -> tuple[int, int]:
    """``(height, width)`` in CSS pixels of an image of ``shape`` ``(rows, columns)`` with pixels of
    ``spacing_mm`` ``(row spacing, column spacing)``, drawn at ``px_per_mm`` (true aspect ratio, at least 1 px)."""
    if any(size <= 0 for size in shape) or any(step <= 0 for step in spacing_mm) or px_per_mm <= 0:
        raise ValueError(
            f"Arguments 'shape', 'spacing_mm' and 'px_per_mm' should be positive, got {shape}, {spacing_mm}, "
            f"{px_per_mm}."
        )
    height = max(1, round(shape[0] * spacing_mm[0] * px_per_mm))
    width = max(1, round(shape[1] * spacing_mm[1] * px_per_mm))
    return height, width
