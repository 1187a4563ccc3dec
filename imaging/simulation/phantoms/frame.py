"""A randomly placed, scaled and rotated anatomical frame in which a phantom's organs are laid out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.simulation.phantoms.shapes import Box, Cylinder, Ellipsoid, FoldedEllipsoid, Vec3

__all__ = ["Folds", "Frame", "random_folds"]

Float64Array = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class Frame:
    """Local anatomical coordinates ``(z, y, x)`` mm: ``world = origin + rotation @ (scale * local)``.

    Attributes:
        origin_mm: world ``(z, y, x)`` of the local origin, mm.
        rotation: ``(3, 3)`` rotation, columns = local axes in world coordinates.
        scale: ``(3,)`` per-axis stretch of the anatomy (1 = nominal).
    """

    origin_mm: Float64Array
    rotation: Float64Array
    scale: Float64Array

    def point(self, local_mm: Vec3) -> Vec3:
        """World position of a local point, mm."""
        world = self.origin_mm + self.rotation @ (self.scale * np.asarray(local_mm, dtype=np.float64))
        return (float(world[0]), float(world[1]), float(world[2]))

    def _size(self, size_mm: Vec3) -> Vec3:
        stretched = self.scale * np.asarray(size_mm, dtype=np.float64)
        return (float(stretched[0]), float(stretched[1]), float(stretched[2]))

    def ellipsoid(self, *, centre_mm: Vec3, semi_axes_mm: Vec3) -> Ellipsoid:
        """An axis-aligned (in the frame) ellipsoid."""
        return Ellipsoid(centre_mm=self.point(centre_mm), rotation=self.rotation, semi_axes_mm=self._size(semi_axes_mm))

    def folded(self, *, centre_mm: Vec3, semi_axes_mm: Vec3, folds: Folds) -> FoldedEllipsoid:
        """A folded (gyrated) ellipsoid, axis-aligned in the frame."""
        return FoldedEllipsoid(
            centre_mm=self.point(centre_mm),
            rotation=self.rotation,
            semi_axes_mm=self._size(semi_axes_mm),
            amplitudes=folds.amplitudes,
            frequencies=folds.frequencies,
            phases=folds.phases,
            directions=folds.directions,
        )

    def box(self, *, centre_mm: Vec3, half_sizes_mm: Vec3) -> Box:
        """An axis-aligned (in the frame) box."""
        return Box(centre_mm=self.point(centre_mm), rotation=self.rotation, half_sizes_mm=self._size(half_sizes_mm))

    def cylinder(self, *, centre_mm: Vec3, semi_axes_mm: Vec3) -> Cylinder:
        """An elliptic cylinder along the frame's z axis: semi-axes (half length, y, x)."""
        return Cylinder(centre_mm=self.point(centre_mm), rotation=self.rotation, semi_axes_mm=self._size(semi_axes_mm))


@dataclass(frozen=True, eq=False)
class Folds:
    """Fold parameters of a :class:`FoldedEllipsoid`: K amplitudes, frequencies, phases and ``(K, 3)`` directions."""

    amplitudes: tuple[float, ...]
    frequencies: tuple[float, ...]
    phases: tuple[float, ...]
    directions: Float64Array


def random_folds(*, rng: np.random.Generator, count: int, amplitude: float, frequency: tuple[float, float]) -> Folds:
    """Random folds: ``count`` cosines of ``amplitude`` each (in ellipsoidal radius), ``frequency`` range."""
    directions = rng.normal(size=(count, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    return Folds(
        amplitudes=(amplitude,) * count,
        frequencies=tuple(float(f) for f in rng.uniform(frequency[0], frequency[1], size=count)),
        phases=tuple(float(p) for p in rng.uniform(0.0, 2.0 * np.pi, size=count)),
        directions=directions,
    )
