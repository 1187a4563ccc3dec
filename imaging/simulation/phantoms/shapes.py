"""Analytic 3D shapes and their partial-volume rasterisation onto a voxel grid.

Coordinates are the phantom's: ``(z, y, x)`` in mm from the centre of voxel ``[0, 0, 0]``
(``position_mm = index * spacing_mm``). A shape has a centre and a rotation whose columns are its local axes
expressed in grid coordinates, so ``world = centre + rotation @ local``.

Rasterisation gives each voxel the fraction of its volume inside the shape: voxels whose eight corners are all
inside (or all outside) count as 1 (or 0) -- exact for convex shapes -- and only the voxels in between are
supersampled. Shapes thinner than a voxel diagonal are supersampled everywhere in their bounding box.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = [
    "Box",
    "Cylinder",
    "DSection",
    "Ellipsoid",
    "FoldedEllipsoid",
    "Intersection",
    "LocalShape",
    "Raster",
    "Shape",
    "ellipsoidal_radius",
    "rasterise",
    "rotation_zyx",
]

Float64Array = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
Coords = tuple[Float64Array, Float64Array, Float64Array]
Vec3 = tuple[float, float, float]
GridSlices = tuple[slice, slice, slice]

_BATCH_POINTS = 1 << 20
_MAX_SUPERSAMPLE = 8
# Weyl-sequence multipliers: (3, 3) voxel index -> sub-step shift per axis, irrational and mutually unrelated.
_WEYL = np.array(
    [
        [0.6180339887, 0.3247179572, 0.5698402910],
        [0.7548776662, 0.1478990357, 0.4142135624],
        [0.2207440846, 0.8191725134, 0.7320508076],
    ]
)


def rotation_zyx(*, angles_rad: Vec3) -> Float64Array:
    """Rotation acting on ``(z, y, x)`` vectors: ``Rz @ Ry @ Rx``.

    Args:
        angles_rad: rotation about the z axis (in the y-x plane), about y (z-x plane), about x (z-y plane), rad.

    Returns:
        ``(3, 3) float64`` orthonormal matrix.
    """
    a, b, c = angles_rad
    rz = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(a), -np.sin(a)], [0.0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0.0, np.sin(b)], [0.0, 1.0, 0.0], [-np.sin(b), 0.0, np.cos(b)]])
    rx = np.array([[np.cos(c), -np.sin(c), 0.0], [np.sin(c), np.cos(c), 0.0], [0.0, 0.0, 1.0]])
    rotation: Float64Array = rz @ ry @ rx
    return rotation


class Shape(abc.ABC):
    """A region of space, tested point-wise on ``(z, y, x)`` mm coordinates."""

    @abc.abstractmethod
    def contains(self, *, z: Float64Array, y: Float64Array, x: Float64Array) -> BoolArray:
        """Whether each point (broadcast of ``z``, ``y``, ``x``, mm) is inside."""

    @abc.abstractmethod
    def bounds_mm(self) -> tuple[Float64Array, Float64Array]:
        """``(low, high)`` corners ``(3,) float64`` of an axis-aligned box holding the shape, mm."""

    @abc.abstractmethod
    def thinnest_mm(self) -> float:
        """The shape's smallest extent, mm (decides whether the corner test can miss it)."""

    def near(self, *, z: Float64Array, y: Float64Array, x: Float64Array, reach_mm: float) -> BoolArray:
        """A superset of the points within ``reach_mm`` of the shape (default: everywhere)."""
        return np.ones(np.broadcast_shapes(z.shape, y.shape, x.shape), dtype=np.bool_)


@dataclass(frozen=True, kw_only=True, eq=False)
class LocalShape(Shape):
    """A shape defined in its own frame: ``centre_mm`` (z, y, x) and ``rotation`` ``(3, 3)`` (columns = axes)."""

    centre_mm: Vec3
    rotation: Float64Array = field(default_factory=lambda: np.eye(3))

    @abc.abstractmethod
    def half_extent_mm(self) -> Float64Array:
        """``(3,)`` half-size of the shape's box along its local axes, mm."""

    @abc.abstractmethod
    def contains_local(self, u: Coords) -> BoolArray:
        """Whether each point given in local ``(z, y, x)`` mm coordinates is inside."""

    def contains(self, *, z: Float64Array, y: Float64Array, x: Float64Array) -> BoolArray:
        deltas = (z - self.centre_mm[0], y - self.centre_mm[1], x - self.centre_mm[2])
        if np.allclose(self.rotation, np.eye(3)):
            return self.contains_local(deltas)
        r = self.rotation
        local = tuple(r[0, k] * deltas[0] + r[1, k] * deltas[1] + r[2, k] * deltas[2] for k in range(3))
        return self.contains_local((local[0], local[1], local[2]))

    def bounds_mm(self) -> tuple[Float64Array, Float64Array]:
        reach = np.abs(self.rotation) @ self.half_extent_mm()
        centre = np.asarray(self.centre_mm, dtype=np.float64)
        return centre - reach, centre + reach

    def thinnest_mm(self) -> float:
        return float(2.0 * np.min(self.half_extent_mm()))


@dataclass(frozen=True, kw_only=True, eq=False)
class Ellipsoid(LocalShape):
    """Solid ellipsoid with local semi-axes ``semi_axes_mm`` (z, y, x), mm."""

    semi_axes_mm: Vec3

    def half_extent_mm(self) -> Float64Array:
        return np.asarray(self.semi_axes_mm, dtype=np.float64)

    def contains_local(self, u: Coords) -> BoolArray:
        a = self.semi_axes_mm
        inside: BoolArray = (u[0] / a[0]) ** 2 + (u[1] / a[1]) ** 2 + (u[2] / a[2]) ** 2 <= 1.0
        return inside

    def near(self, *, z: Float64Array, y: Float64Array, x: Float64Array, reach_mm: float) -> BoolArray:
        # the ellipsoid with every semi-axis grown by ``reach_mm`` holds all points that close to this one
        a, b, c = self.semi_axes_mm
        grown = Ellipsoid(
            centre_mm=self.centre_mm, rotation=self.rotation, semi_axes_mm=(a + reach_mm, b + reach_mm, c + reach_mm)
        )
        return grown.contains(z=z, y=y, x=x)


@dataclass(frozen=True, kw_only=True, eq=False)
class FoldedEllipsoid(LocalShape):
    """Ellipsoid whose surface is folded radially: inside where ``rho <= 1 + sum_k a_k cos(f_k d_k.n + p_k)``.

    ``rho`` is the ellipsoidal radius (1 on the plain surface) and ``n`` the unit direction in the ellipsoid's
    normalised frame; the folds imitate gyri. ``directions`` is ``(K, 3)`` unit vectors, the other tuples length K.
    """

    semi_axes_mm: Vec3
    amplitudes: tuple[float, ...]
    frequencies: tuple[float, ...]
    phases: tuple[float, ...]
    directions: Float64Array

    def half_extent_mm(self) -> Float64Array:
        grow = 1.0 + float(np.sum(np.abs(self.amplitudes)))
        return grow * np.asarray(self.semi_axes_mm, dtype=np.float64)

    def contains_local(self, u: Coords) -> BoolArray:
        a = self.semi_axes_mm
        n = (u[0] / a[0], u[1] / a[1], u[2] / a[2])
        rho = np.sqrt(n[0] ** 2 + n[1] ** 2 + n[2] ** 2)
        safe = np.maximum(rho, 1e-9)
        radius = np.ones_like(rho)
        for amp, freq, phase, d in zip(self.amplitudes, self.frequencies, self.phases, self.directions, strict=True):
            cosine = (d[0] * n[0] + d[1] * n[1] + d[2] * n[2]) / safe
            radius = radius + amp * np.cos(freq * cosine + phase)
        inside: BoolArray = rho <= radius
        return inside


@dataclass(frozen=True, kw_only=True, eq=False)
class Cylinder(LocalShape):
    """Elliptic cylinder along the local z axis: ``semi_axes_mm`` = (half length, semi-axis y, semi-axis x), mm."""

    semi_axes_mm: Vec3

    def half_extent_mm(self) -> Float64Array:
        return np.asarray(self.semi_axes_mm, dtype=np.float64)

    def contains_local(self, u: Coords) -> BoolArray:
        h, b, c = self.semi_axes_mm
        inside: BoolArray = (np.abs(u[0]) <= h) & ((u[1] / b) ** 2 + (u[2] / c) ** 2 <= 1.0)
        return inside

    def near(self, *, z: Float64Array, y: Float64Array, x: Float64Array, reach_mm: float) -> BoolArray:
        h, b, c = self.semi_axes_mm
        grown = Cylinder(
            centre_mm=self.centre_mm, rotation=self.rotation, semi_axes_mm=(h + reach_mm, b + reach_mm, c + reach_mm)
        )
        return grown.contains(z=z, y=y, x=x)


@dataclass(frozen=True, kw_only=True, eq=False)
class Box(LocalShape):
    """Rectangular box with half-sizes ``half_sizes_mm`` (z, y, x) along its local axes, mm."""

    half_sizes_mm: Vec3

    def half_extent_mm(self) -> Float64Array:
        return np.asarray(self.half_sizes_mm, dtype=np.float64)

    def contains_local(self, u: Coords) -> BoolArray:
        h = self.half_sizes_mm
        inside: BoolArray = (np.abs(u[0]) <= h[0]) & (np.abs(u[1]) <= h[1]) & (np.abs(u[2]) <= h[2])
        return inside


@dataclass(frozen=True, kw_only=True, eq=False)
class DSection(LocalShape):
    """Prism along local z with a "D" cross-section (the NEMA IEC body phantom's), convex.

    For local ``y <= 0`` (the rounded, anterior side) the section is the set within ``top_radius_mm`` of the
    segment ``y = 0, |x| <= top_flat_mm``; for ``y > 0`` within ``bottom_radius_mm`` of ``y = 0,
    |x| <= bottom_flat_mm``. Both halves are equally wide at ``y = 0`` when the sums match.
    """

    half_length_mm: float
    top_radius_mm: float = 147.0
    top_flat_mm: float = 3.0
    bottom_radius_mm: float = 77.0
    bottom_flat_mm: float = 73.0

    def half_extent_mm(self) -> Float64Array:
        half_width = max(self.top_radius_mm + self.top_flat_mm, self.bottom_radius_mm + self.bottom_flat_mm)
        half_depth = max(self.top_radius_mm, self.bottom_radius_mm)
        return np.array([self.half_length_mm, half_depth, half_width])

    def contains_local(self, u: Coords) -> BoolArray:
        top = u[1] <= 0.0
        flat = np.where(top, self.top_flat_mm, self.bottom_flat_mm)
        radius = np.where(top, self.top_radius_mm, self.bottom_radius_mm)
        excess_x = np.maximum(np.abs(u[2]) - flat, 0.0)
        inside: BoolArray = (np.abs(u[0]) <= self.half_length_mm) & (excess_x**2 + u[1] ** 2 <= radius**2)
        return inside


@dataclass(frozen=True, kw_only=True, eq=False)
class Intersection(Shape):
    """Points inside every one of ``parts``."""

    parts: tuple[Shape, ...]

    def contains(self, *, z: Float64Array, y: Float64Array, x: Float64Array) -> BoolArray:
        inside = self.parts[0].contains(z=z, y=y, x=x)
        for part in self.parts[1:]:
            inside = inside & part.contains(z=z, y=y, x=x)
        return inside

    def bounds_mm(self) -> tuple[Float64Array, Float64Array]:
        lows, highs = zip(*(part.bounds_mm() for part in self.parts), strict=True)
        return np.max(np.stack(lows), axis=0), np.min(np.stack(highs), axis=0)

    def thinnest_mm(self) -> float:
        return min(part.thinnest_mm() for part in self.parts)

    def near(self, *, z: Float64Array, y: Float64Array, x: Float64Array, reach_mm: float) -> BoolArray:
        close = self.parts[0].near(z=z, y=y, x=x, reach_mm=reach_mm)
        for part in self.parts[1:]:
            close = close & part.near(z=z, y=y, x=x, reach_mm=reach_mm)
        return close


@dataclass(frozen=True)
class Raster:
    """A shape's partial-volume fractions on the part of the grid its bounding box covers.

    Attributes:
        slices: ``(z, y, x)`` slices of the full grid the crop occupies (may be empty).
        fraction: crop ``float32`` in [0, 1], the fraction of each voxel's volume inside the shape.
    """

    slices: GridSlices
    fraction: Float32Array


def _crop(*, shape: Shape, grid_shape: tuple[int, int, int], spacing: Float64Array) -> GridSlices:
    low, high = shape.bounds_mm()
    start = np.clip(np.floor(low / spacing - 0.5).astype(int), 0, grid_shape)
    stop = np.clip(np.ceil(high / spacing + 0.5).astype(int) + 1, 0, grid_shape)
    stop = np.maximum(stop, start)
    return (slice(int(start[0]), int(stop[0])), slice(int(start[1]), int(stop[1])), slice(int(start[2]), int(stop[2])))


def _axis_mm(*, sl: slice, spacing: float, axis: int, offset: float) -> Float64Array:
    values = (np.arange(sl.start, sl.stop + (1 if offset else 0), dtype=np.float64) - offset) * spacing
    view = [1, 1, 1]
    view[axis] = values.size
    return values.reshape(view)


def _corner_counts(*, shape: Shape, slices: GridSlices, spacing: Float64Array) -> npt.NDArray[np.uint8]:
    """How many of each voxel's 8 corners lie inside ``shape``: ``(crop) uint8``."""
    z, y, x = (_axis_mm(sl=slices[k], spacing=float(spacing[k]), axis=k, offset=0.5) for k in range(3))
    full_shape = (z.shape[0], y.shape[1], x.shape[2])
    corners = np.broadcast_to(shape.contains(z=z, y=y, x=x), full_shape).astype(np.uint8)
    nz, ny, nx = (n - 1 for n in full_shape)
    counts = np.zeros((nz, ny, nx), dtype=np.uint8)
    for dz in (0, 1):
        for dy in (0, 1):
            for dx in (0, 1):
                counts += corners[dz : dz + nz, dy : dy + ny, dx : dx + nx]
    return counts


def _supersampled(
    *, shape: Shape, index: Float64Array, spacing: Float64Array, supersample: int
) -> npt.NDArray[np.float64]:
    """Inside fraction of the voxels at grid ``index`` ``(n, 3)``: ``(n,) float64``.

    Each voxel's ``supersample**3`` lattice is shifted by a deterministic, quasi-random fraction of a sub-step
    (a Weyl sequence of the voxel index), so thin shapes are not aliased by one lattice repeated along them.
    """
    steps = (np.arange(supersample) + 0.5) / supersample - 0.5
    offsets = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), axis=-1).reshape(-1, 3)
    shifts = (np.mod(index @ _WEYL, 1.0) - 0.5) / supersample
    out = np.empty(index.shape[0])
    step = max(1, _BATCH_POINTS // offsets.shape[0])
    for start in range(0, index.shape[0], step):
        voxel = index[start : start + step] + shifts[start : start + step]
        batch = (voxel[:, None, :] + offsets[None, :, :]) * spacing
        inside = shape.contains(z=batch[..., 0], y=batch[..., 1], x=batch[..., 2])
        out[start : start + step] = inside.mean(axis=1)
    return out


def _near_voxels(*, shape: Shape, slices: GridSlices, spacing: Float64Array) -> BoolArray:
    """Voxels (of the crop) whose centre is within a half voxel diagonal of ``shape``, or may be."""
    z, y, x = (_axis_mm(sl=slices[k], spacing=float(spacing[k]), axis=k, offset=0.0) for k in range(3))
    crop = (z.shape[0], y.shape[1], x.shape[2])
    reach = 0.5 * float(np.linalg.norm(spacing))
    return np.broadcast_to(shape.near(z=z, y=y, x=x, reach_mm=reach), crop)


def rasterise(*, shape: Shape, grid_shape: tuple[int, int, int], spacing_mm: Vec3, supersample: int = 4) -> Raster:
    """Partial-volume fractions of ``shape`` on a ``grid_shape`` ``(z, y, x)`` grid of ``spacing_mm`` voxels.

    Args:
        shape: the region, in grid mm coordinates.
        grid_shape: number of voxels ``(z, y, x)``.
        spacing_mm: voxel size ``(z, y, x)``, mm.
        supersample: sub-samples per axis in the voxels the shape's surface crosses (``supersample**3`` each);
            raised (up to 8) for shapes thinner than a voxel.

    Returns:
        The fractions on the crop of the grid the shape's bounding box covers.
    """
    if supersample < 1:
        raise ValueError(f"Argument 'supersample' should be >= 1, got {supersample}.")
    spacing = np.asarray(spacing_mm, dtype=np.float64)
    slices = _crop(shape=shape, grid_shape=grid_shape, spacing=spacing)
    crop_shape = tuple(sl.stop - sl.start for sl in slices)
    if min(crop_shape) == 0:
        return Raster(slices=slices, fraction=np.zeros(crop_shape, dtype=np.float32))
    counts = _corner_counts(shape=shape, slices=slices, spacing=spacing)
    fraction = (counts == 8).astype(np.float32)
    thinnest = shape.thinnest_mm()
    thin = thinnest < float(np.linalg.norm(spacing))
    mixed = (
        _near_voxels(shape=shape, slices=slices, spacing=spacing) & (counts < 8)
        if thin
        else ((counts > 0) & (counts < 8))
    )
    if thin:  # at least ~4 sub-samples across the shape's thinnest extent
        needed = int(np.ceil(4.0 * float(spacing.max()) / max(thinnest, 1e-6)))
        supersample = max(supersample, min(needed, _MAX_SUPERSAMPLE))
    index = np.nonzero(mixed)
    if index[0].size:
        starts = np.array([sl.start for sl in slices], dtype=np.float64)
        voxels = np.stack(index, axis=1) + starts
        values = _supersampled(shape=shape, index=voxels, spacing=spacing, supersample=supersample)
        fraction[index] = values.astype(np.float32)
    return Raster(slices=slices, fraction=fraction)


def ellipsoidal_radius(*, ellipsoid: Ellipsoid, grid_shape: tuple[int, int, int], spacing_mm: Vec3) -> Float32Array:
    """Ellipsoidal radius of every voxel centre (0 at the centre, 1 on the surface): ``(z, y, x) float32``."""
    axes = [np.arange(n, dtype=np.float64) * s for n, s in zip(grid_shape, spacing_mm, strict=True)]
    z, y, x = axes[0][:, None, None], axes[1][None, :, None], axes[2][None, None, :]
    deltas = (z - ellipsoid.centre_mm[0], y - ellipsoid.centre_mm[1], x - ellipsoid.centre_mm[2])
    r = ellipsoid.rotation
    total = np.zeros(grid_shape, dtype=np.float64)
    for k in range(3):
        local = r[0, k] * deltas[0] + r[1, k] * deltas[1] + r[2, k] * deltas[2]
        total += (local / ellipsoid.semi_axes_mm[k]) ** 2
    return np.sqrt(total).astype(np.float32)
