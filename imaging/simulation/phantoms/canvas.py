"""A painter's canvas for phantoms: shapes are painted in order, each over what lies beneath it.

Painting a shape with fraction ``f`` in a voxel sets ``value = (1 - f) * value + f * shape_value`` for both the
activity and mu, and scales the visible fraction of every earlier label by ``1 - f``. Masks are then the voxels
where a label's visible fraction reaches a threshold; "pure" voxels are those it fills entirely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from imaging.simulation.phantoms.shapes import Raster, Shape, Vec3, rasterise

__all__ = ["Canvas", "new_canvas"]

Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

_PURE = 0.999


@dataclass(eq=False)
class Canvas:
    """Activity (Bq/ml) and mu (1/mm) ``(z, y, x) float32`` being painted, with each label's visible fraction.

    Build it with :func:`new_canvas`.
    """

    grid_shape: tuple[int, int, int]
    spacing_mm: Vec3
    activity: Float32Array
    mu: Float32Array
    visible: dict[str, Float32Array] = field(default_factory=dict)
    values: dict[str, tuple[float, float]] = field(default_factory=dict)

    def paint(self, *, label: str, shape: Shape, activity_bqml: float, mu_per_mm: float) -> Raster:
        """Paint ``shape`` with a uniform activity (Bq/ml) and mu (1/mm) over everything painted before.

        Painting the same ``label`` again (e.g. the second lung) adds to that label's region; its activity and mu
        are those of the last paint. Returns the shape's raster.
        """
        raster = rasterise(shape=shape, grid_shape=self.grid_shape, spacing_mm=self.spacing_mm)
        sl, f = raster.slices, raster.fraction
        keep = 1.0 - f
        self.activity[sl] = self.activity[sl] * keep + np.float32(activity_bqml) * f
        self.mu[sl] = self.mu[sl] * keep + np.float32(mu_per_mm) * f
        for fractions in self.visible.values():
            fractions[sl] *= keep
        mine = self.visible.setdefault(label, np.zeros(self.grid_shape, dtype=np.float32))
        mine[sl] += f
        self.values[label] = (float(activity_bqml), float(mu_per_mm))
        return raster

    def scale_activity(self, *, label: str, weight: Float32Array, factor: float) -> None:
        """Multiply the activity of ``label``'s share of each voxel by ``1 + (factor - 1) * weight``.

        ``weight`` is ``(z, y, x) float32`` in [0, 1] (e.g. a soft region); the label's recorded activity is
        unchanged (it is the unmodified level).
        """
        level = self.values[label][0]
        self.activity -= np.float32((1.0 - factor) * level) * weight * self.visible[label]

    def mask(self, label: str, *, threshold: float = 0.5) -> BoolArray:
        """Voxels whose visible fraction of ``label`` is at least ``threshold``: ``(z, y, x) bool``."""
        region: BoolArray = self.visible[label] >= threshold
        return region

    def pure(self, label: str) -> BoolArray:
        """Voxels ``label`` fills entirely (visible fraction >= 0.999): ``(z, y, x) bool``."""
        return self.mask(label, threshold=_PURE)


def new_canvas(*, grid_shape: tuple[int, int, int], spacing_mm: Vec3) -> Canvas:
    """An empty (air: zero activity, zero mu) canvas of ``grid_shape`` ``(z, y, x)`` voxels of ``spacing_mm``."""
    if len(grid_shape) != 3 or min(grid_shape) < 1:
        raise ValueError(f"Argument 'shape' should be three positive voxel counts (z, y, x), got {grid_shape}.")
    if len(spacing_mm) != 3 or min(spacing_mm) <= 0:
        raise ValueError(f"Argument 'spacing_mm' should be three positive sizes (z, y, x) in mm, got {spacing_mm}.")
    return Canvas(
        grid_shape=(int(grid_shape[0]), int(grid_shape[1]), int(grid_shape[2])),
        spacing_mm=(float(spacing_mm[0]), float(spacing_mm[1]), float(spacing_mm[2])),
        activity=np.zeros(grid_shape, dtype=np.float32),
        mu=np.zeros(grid_shape, dtype=np.float32),
    )
