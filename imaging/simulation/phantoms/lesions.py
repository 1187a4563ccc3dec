"""Spherical hot lesions placed inside host regions of a painted canvas, apart from each other and from edges.

A lesion is placed only where its host fills every voxel out to ``radius + margin`` (margin: two voxels), so the
shell around it holds pure host tissue and its contrast (lesion : host activity) is exactly measurable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from imaging.simulation.phantom import Lesion
from imaging.simulation.phantoms.canvas import Canvas
from imaging.simulation.phantoms.shapes import Ellipsoid

__all__ = ["LesionSpec", "PlacedLesion", "lesion_mask", "place_lesions"]

Float64Array = npt.NDArray[np.float64]
_MIN_SHRINK = 0.7


@dataclass(frozen=True)
class LesionSpec:
    """How to draw lesions: host labels with their probabilities, diameter and contrast ranges."""

    hosts: tuple[str, ...]
    host_weights: tuple[float, ...]
    diameter_mm: tuple[float, float] = (6.0, 30.0)
    contrast: tuple[float, float] = (2.0, 8.0)


@dataclass(frozen=True)
class PlacedLesion:
    """A painted lesion and the label of the tissue it sits in."""

    lesion: Lesion
    host: str


def _room_mm(*, canvas: Canvas, host: str) -> Float64Array:
    """Distance (mm) from each voxel to the nearest voxel not purely ``host`` (or the grid edge)."""
    pure = np.pad(canvas.pure(host), 1, constant_values=False)
    room: Float64Array = ndimage.distance_transform_edt(pure, sampling=canvas.spacing_mm)[1:-1, 1:-1, 1:-1]
    return room


def _pick_centre(
    *,
    room: Float64Array,
    need_mm: float,
    placed: Sequence[PlacedLesion],
    spacing: Float64Array,
    radius: float,
    margin: float,
    rng: np.random.Generator,
) -> Float64Array | None:
    """A random centre (mm) with ``need_mm`` of host around it and clear of the lesions already placed."""
    candidates = np.argwhere(room >= need_mm).astype(np.float64) * spacing
    for other in placed:
        gap = np.linalg.norm(candidates - np.asarray(other.lesion.centre_mm), axis=1)
        candidates = candidates[gap >= radius + other.lesion.diameter_mm / 2 + 2 * margin]
    if candidates.shape[0] == 0:
        return None
    jitter = rng.uniform(-0.25, 0.25, size=3) * spacing
    centre: Float64Array = candidates[int(rng.integers(candidates.shape[0]))] + jitter
    return centre


def _draw_one(
    *,
    canvas: Canvas,
    rooms: dict[str, Float64Array],
    spec: LesionSpec,
    placed: list[PlacedLesion],
    rng: np.random.Generator,
) -> tuple[str, float, Float64Array] | None:
    """Draw a host, a diameter (log-uniform, shrunk until it fits) and a centre; ``None`` when nothing fits."""
    spacing = np.asarray(canvas.spacing_mm)
    margin = 2.0 * float(spacing.max())
    weights = np.asarray(spec.host_weights) / np.sum(spec.host_weights)
    host = spec.hosts[int(rng.choice(len(spec.hosts), p=weights))]
    low, high = spec.diameter_mm
    diameter = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    while True:
        radius = diameter / 2
        centre = _pick_centre(
            room=rooms[host],
            need_mm=radius + margin,
            placed=placed,
            spacing=spacing,
            radius=radius,
            margin=margin,
            rng=rng,
        )
        if centre is not None:
            return host, diameter, centre
        if diameter <= low:
            return None
        diameter = max(low, diameter * _MIN_SHRINK)


def place_lesions(*, canvas: Canvas, spec: LesionSpec, count: int, rng: np.random.Generator) -> list[PlacedLesion]:
    """Draw and paint up to ``count`` lesions (fewer if the hosts have no room), labels ``lesion:<host><i>``.

    Each lesion's activity is ``contrast`` times its host's (uniform) activity, its mu the host's. Its mask is
    the voxels at least half inside it, or its most-filled voxel when none is (lesions smaller than a voxel).
    """
    rooms = {host: _room_mm(canvas=canvas, host=host) for host in spec.hosts if host in canvas.visible}
    spec = LesionSpec(
        hosts=tuple(h for h in spec.hosts if h in rooms),
        host_weights=tuple(w for h, w in zip(spec.hosts, spec.host_weights, strict=True) if h in rooms),
        diameter_mm=spec.diameter_mm,
        contrast=spec.contrast,
    )
    placed: list[PlacedLesion] = []
    for index in range(count if spec.hosts else 0):
        drawn = _draw_one(canvas=canvas, rooms=rooms, spec=spec, placed=placed, rng=rng)
        contrast = float(rng.uniform(*spec.contrast))
        if drawn is None:
            continue
        host, diameter, centre = drawn
        host_activity, host_mu = canvas.values[host]
        name = f"{host}{index + 1}"
        sphere = Ellipsoid(centre_mm=(centre[0], centre[1], centre[2]), semi_axes_mm=(diameter / 2,) * 3)
        canvas.paint(label=f"lesion:{name}", shape=sphere, activity_bqml=contrast * host_activity, mu_per_mm=host_mu)
        lesion = Lesion(
            name=name,
            centre_mm=(float(centre[0]), float(centre[1]), float(centre[2])),
            diameter_mm=diameter,
            contrast=contrast,
            activity_bqml=contrast * host_activity,
        )
        placed.append(PlacedLesion(lesion=lesion, host=host))
    return placed


def lesion_mask(*, canvas: Canvas, name: str) -> npt.NDArray[np.bool_]:
    """Mask of lesion ``name``: voxels at least half inside it, else its most-filled voxel(s): ``(z, y, x) bool``."""
    visible = canvas.visible[f"lesion:{name}"]
    mask: npt.NDArray[np.bool_] = visible >= 0.5
    if not mask.any():
        mask = visible >= max(float(visible.max()), 1e-6)
    return mask
