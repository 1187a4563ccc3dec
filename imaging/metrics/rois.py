"""Regions of interest on the voxel grid: circles in a transverse slice, slice look-up by position.

Positions are in array mm: ``position_mm = index * spacing_mm`` along each axis, measured from the centre of
voxel ``[0, 0, 0]`` (the phantom's convention).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError
from imaging.metrics._checks import as_spacing, positive

__all__ = ["ball_voxels", "circular_roi_mask", "slice_index"]


def circular_roi_mask(
    *,
    shape_yx: tuple[int, int],
    centre_mm_yx: Sequence[float],
    diameter_mm: float,
    spacing_mm_yx: Sequence[float],
) -> npt.NDArray[np.bool_]:
    """A circular ROI in one transverse slice: the pixels whose centre lies inside the circle.

    Pixel ``(i, j)`` is in the ROI when ``(i·Δy − c_y)² + (j·Δx − c_x)² ≤ (d/2)²``.

    Args:
        shape_yx: ``(rows, columns)`` of the slice.
        centre_mm_yx: circle centre ``(y, x)`` in array mm.
        diameter_mm: circle diameter, mm.
        spacing_mm_yx: pixel spacing ``(Δy, Δx)``, mm.

    Returns:
        ``(y, x)`` bool mask; raises :class:`InputError` when no pixel centre falls inside the circle.
    """
    if len(shape_yx) != 2 or min(shape_yx) < 1:
        raise InputError(f"Argument 'shape_yx' should be two positive sizes, got {shape_yx}.", check="shape")
    if len(centre_mm_yx) != 2:
        raise InputError(f"Argument 'centre_mm_yx' should be (y, x) in mm, got {centre_mm_yx}.", check="roi")
    dy, dx = as_spacing(value=spacing_mm_yx, name="spacing_mm_yx", length=2)
    radius = positive(value=diameter_mm, name="diameter_mm") / 2.0
    rows = np.arange(shape_yx[0])[:, np.newaxis] * dy - float(centre_mm_yx[0])
    columns = np.arange(shape_yx[1])[np.newaxis, :] * dx - float(centre_mm_yx[1])
    mask: npt.NDArray[np.bool_] = rows**2 + columns**2 <= radius**2
    if not mask.any():
        raise InputError(
            f"Argument 'centre_mm_yx' {tuple(centre_mm_yx)} with 'diameter_mm' {diameter_mm} selects no pixel "
            f"of a {shape_yx} slice.",
            check="roi",
        )
    return mask


def slice_index(*, z_mm: float, spacing_mm_z: float, n_slices: int, name: str) -> int:
    """Index of the slice whose centre is nearest to ``z_mm``; raises naming ``name`` when outside the volume."""
    index = int(np.floor(z_mm / spacing_mm_z + 0.5))
    if not 0 <= index < n_slices:
        raise InputError(
            f"Argument '{name}' puts a slice at z = {z_mm} mm, outside the volume's {n_slices} slices "
            f"of {spacing_mm_z} mm.",
            check="roi",
        )
    return index


def ball_voxels(
    *, shape: tuple[int, ...], spacing_mm: Sequence[float], centre_mm: npt.ArrayLike, radius_mm: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """The voxels whose centre lies within ``radius_mm`` of ``centre_mm``: a ball, clipped to the volume.

    Args:
        shape: ``(z, y, x)`` of the volume.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        centre_mm: the ball's centre, ``(z, y, x)`` array mm.
        radius_mm: the ball's radius, mm.

    Returns:
        ``(n, 3)`` voxel indices and ``(n, 3)`` their array-mm positions, in raster order; ``n`` may be 0.
    """
    spacing = np.asarray(as_spacing(value=spacing_mm, name="spacing_mm", length=3))
    centre = np.asarray(centre_mm, dtype=np.float64)
    radius = positive(value=radius_mm, name="radius_mm")
    low = np.maximum(np.floor((centre - radius) / spacing), 0).astype(int)
    high = np.minimum(np.ceil((centre + radius) / spacing) + 1, shape).astype(int)
    axes = [np.arange(a, max(a, b)) for a, b in zip(low, high, strict=True)]
    indices = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, 3)
    positions = indices * spacing
    inside = np.linalg.norm(positions - centre, axis=1) <= radius
    return indices[inside].astype(np.intp), positions[inside]
