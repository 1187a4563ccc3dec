"""Regional cortical hypometabolism ("pathology") patterns for the brain phantom.

Each pattern reduces cortical grey-matter uptake by a random 20-40 % inside one or two ellipsoidal regions of the
head frame, fully in their inner 70 % (ellipsoidal radius) and tapering to none at their surface. A reference
region of normal uptake comes with it: the mirror region for a unilateral pattern, a spared region otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.simulation.phantoms.canvas import Canvas
from imaging.simulation.phantoms.frame import Frame
from imaging.simulation.phantoms.shapes import Vec3, ellipsoidal_radius
from imaging.simulation.phantoms.tissues import uniform

__all__ = ["HYPOMETABOLISM_PATTERNS", "Hypometabolism", "apply_hypometabolism"]

BoolArray = npt.NDArray[np.bool_]
Float32Array = npt.NDArray[np.float32]
Region = tuple[Vec3, Vec3]  # (centre, semi-axes) in the head frame, mm

HYPOMETABOLISM_PATTERNS = ("ad", "ftd", "unilateral")
_CORE = 0.7
_TEMPOROPARIETAL: Region = ((5.0, 30.0, 50.0), (32.0, 34.0, 26.0))
_SENSORIMOTOR: Region = ((48.0, -2.0, 26.0), (20.0, 16.0, 22.0))
_FRONTAL: Region = ((15.0, -55.0, 26.0), (34.0, 30.0, 28.0))
_OCCIPITAL: Region = ((10.0, 66.0, 22.0), (26.0, 20.0, 26.0))


@dataclass(frozen=True)
class Hypometabolism:
    """Where uptake was reduced (``region``) and a reference of normal uptake, ``(z, y, x) bool``; the reduction."""

    region: BoolArray
    reference: BoolArray
    reduction: float


def _mirror(region: Region, side: float) -> Region:
    (cz, cy, cx), axes = region
    return ((cz, cy, side * cx), axes)


def _regions(*, pattern: str, rng: np.random.Generator) -> tuple[list[Region], list[Region]]:
    """(reduced, reference) regions of a pattern, in the head frame."""
    both = (-1.0, 1.0)
    if pattern == "ad":
        return [_mirror(_TEMPOROPARIETAL, s) for s in both], [_mirror(_SENSORIMOTOR, s) for s in both]
    if pattern == "ftd":
        return [_mirror(_FRONTAL, s) for s in both], [_mirror(_OCCIPITAL, s) for s in both]
    side = float(rng.choice(both))
    (cz, _, cx), axes = _TEMPOROPARIETAL
    lesion: Region = ((cz, uniform(rng, (-30.0, 30.0)), side * cx), axes)
    return [lesion], [_mirror(lesion, -1.0)]


def _weights(*, canvas: Canvas, frame: Frame, regions: list[Region]) -> Float32Array:
    """1 in the regions' cores, tapering linearly to 0 at their surfaces: ``(z, y, x) float32``."""
    weight = np.zeros(canvas.grid_shape, dtype=np.float32)
    for centre, axes in regions:
        rho = ellipsoidal_radius(
            ellipsoid=frame.ellipsoid(centre_mm=centre, semi_axes_mm=axes),
            grid_shape=canvas.grid_shape,
            spacing_mm=canvas.spacing_mm,
        )
        np.maximum(weight, np.clip((1.0 - rho) / (1.0 - _CORE), 0.0, 1.0), out=weight)
    return weight


def apply_hypometabolism(*, canvas: Canvas, frame: Frame, pattern: str, rng: np.random.Generator) -> Hypometabolism:
    """Reduce the ``"cortex"`` label's uptake by the pattern (one of :data:`HYPOMETABOLISM_PATTERNS`)."""
    if pattern not in HYPOMETABOLISM_PATTERNS:
        raise ValueError(f"Argument 'pattern' should be one of {HYPOMETABOLISM_PATTERNS}, got {pattern!r}.")
    reduced, reference = _regions(pattern=pattern, rng=rng)
    reduction = uniform(rng, (0.2, 0.4))
    weight = _weights(canvas=canvas, frame=frame, regions=reduced)
    canvas.scale_activity(label="cortex", weight=weight, factor=1.0 - reduction)
    reference_weight = _weights(canvas=canvas, frame=frame, regions=reference)
    return Hypometabolism(region=weight >= 1.0, reference=reference_weight >= 1.0, reduction=reduction)
