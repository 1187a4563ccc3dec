"""Patch sampling after Hopson et al.: 80×80 patches from the transverse, coronal and sagittal planes.

A volume ``(z, y, x)`` is viewed as three stacks of 2-D images: transverse ``v[z, :, :]`` (y, x), coronal
``v[:, y, :]`` (z, x) and sagittal ``v[:, :, x]`` (z, y). An image side shorter than the patch is zero-padded
(centred) to the patch size, as a 64-slice torso is on its coronal and sagittal planes. A candidate patch is a
uniformly drawn image of the stack and a uniformly drawn position inside it; it is kept unless its mean is below
``1/8`` of the (unpadded) volume's mean, i.e. mostly air. Up to ``max_tries_per_patch`` candidates are drawn per
wanted patch; a plane that yields none (an empty volume) raises :class:`~imaging.errors.InputError`.

Intensities are divided by :func:`imaging.intensity.activity_scale` of the volume, so the patches of a Bq/ml and
an SUV series of the same image are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError
from imaging.intensity import activity_scale

__all__ = ["MEAN_FRACTION", "PATCHES_PER_PLANE", "PATCH_SIZE", "PatchSample", "Plane", "sample_patches"]

PATCH_SIZE = 80
"""Patch side, voxels."""

PATCHES_PER_PLANE = 100
"""Patches drawn per plane."""

MEAN_FRACTION = 1.0 / 8.0
"""A patch whose mean is below this fraction of the volume mean is rejected."""


class Plane(IntEnum):
    """The stacking axis of a plane's images in a ``(z, y, x)`` volume."""

    TRANSVERSE = 0
    CORONAL = 1
    SAGITTAL = 2


@dataclass(frozen=True, kw_only=True)
class PatchSample:
    """Patches of one volume.

    Attributes:
        patches: ``(n, size, size) float32``, voxels divided by ``scale`` (dimensionless).
        planes: ``(n,) int8`` the :class:`Plane` of each patch.
        origins: ``(n, 3) int32`` index along the plane's stacking axis and the patch's top-left corner (rows,
            columns) in the padded image.
        scale: the volume's activity scale, in the volume's units (Bq/ml or SUV).
        seed: the seed the positions were drawn with.
    """

    patches: npt.NDArray[np.float32]
    planes: npt.NDArray[np.int8]
    origins: npt.NDArray[np.int32]
    scale: float
    seed: int


def _plane_stack(*, volume: npt.NDArray[np.float32], plane: Plane, size: int) -> npt.NDArray[np.float32]:
    """The plane's images ``(n, rows, cols)``, each side zero-padded (centred) to at least ``size``."""
    stack = np.moveaxis(volume, int(plane), 0)
    pads = [(0, 0)] + [((max(0, size - n) + 1) // 2, max(0, size - n) // 2) for n in stack.shape[1:]]
    return np.pad(stack, pads) if any(sum(pad) for pad in pads) else stack


def _draw_plane(
    *, stack: npt.NDArray[np.float32], size: int, count: int, floor: float, rng: np.random.Generator, tries: int
) -> list[tuple[int, int, int]]:
    """Origins of ``count`` accepted patches of ``stack`` (fewer when ``tries`` candidates per patch run out)."""
    accepted: list[tuple[int, int, int]] = []
    for _ in range(count * tries):
        index = int(rng.integers(stack.shape[0]))
        row = int(rng.integers(stack.shape[1] - size + 1))
        col = int(rng.integers(stack.shape[2] - size + 1))
        if float(stack[index, row : row + size, col : col + size].mean()) >= floor:
            accepted.append((index, row, col))
            if len(accepted) == count:
                break
    return accepted


def sample_patches(
    *,
    volume: npt.NDArray[np.floating],
    seed: int,
    per_plane: int = PATCHES_PER_PLANE,
    size: int = PATCH_SIZE,
    max_tries_per_patch: int = 50,
    scale: float | None = None,
) -> PatchSample:
    """Draw ``per_plane`` patches from each plane of ``volume`` ``(z, y, x)`` (Bq/ml or SUV; module docstring).

    ``scale`` is the volume's :func:`~imaging.intensity.activity_scale` when the caller has it already (the
    pipeline's denoise stage computes the input's); None computes it.

    Raises:
        InputError: ``volume`` is not 3-D, or a plane has no patch above the mean threshold (check
            ``iqa_patches``).
    """
    if volume.ndim != 3:
        raise InputError(
            f"Argument 'volume' should be a 3D (z, y, x) array, got shape {volume.shape}.", check="iqa_patches"
        )
    scale = activity_scale(voxels=volume) if scale is None else scale
    values = np.asarray(volume, dtype=np.float32) / np.float32(scale)
    floor = float(values.mean()) * MEAN_FRACTION
    if not np.isfinite(floor) or floor <= 0:
        raise InputError(
            "Argument 'volume' should hold positive activity; its mean is not above 0.", check="iqa_patches"
        )
    rng = np.random.default_rng(seed)
    patches: list[npt.NDArray[np.float32]] = []
    planes: list[int] = []
    origins: list[tuple[int, int, int]] = []
    for plane in Plane:
        stack = _plane_stack(volume=values, plane=plane, size=size)
        drawn = _draw_plane(stack=stack, size=size, count=per_plane, floor=floor, rng=rng, tries=max_tries_per_patch)
        if not drawn:
            raise InputError(
                f"No {plane.name.lower()} patch of the volume has a mean above 1/8 of the volume mean.",
                check="iqa_patches",
            )
        patches.extend(stack[i, r : r + size, c : c + size] for i, r, c in drawn)
        planes.extend([int(plane)] * len(drawn))
        origins.extend(drawn)
    return PatchSample(
        patches=np.stack(patches).astype(np.float32),
        planes=np.asarray(planes, dtype=np.int8),
        origins=np.asarray(origins, dtype=np.int32),
        scale=scale,
        seed=seed,
    )
