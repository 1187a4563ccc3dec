"""Out-of-distribution features for torso phantoms: an intravenous catheter line and a very hot bladder.

Each feature is added only on request and gets its own ``ood:<feature>`` mask, so a study can be scored on how a
model handles what the training phantoms never show.
"""

from __future__ import annotations

import numpy as np

from imaging.simulation.phantoms.canvas import Canvas
from imaging.simulation.phantoms.shapes import Cylinder, Intersection, Shape, rotation_zyx
from imaging.simulation.phantoms.tissues import MU_SOFT_TISSUE, uniform

__all__ = ["CATHETER_MASK_THRESHOLD", "OOD_FEATURES", "hot_bladder_factor", "paint_catheter"]

OOD_FEATURES = ("catheter", "bladder")
CATHETER_MASK_THRESHOLD = 0.05  # the tube is thinner than a voxel: its mask is every voxel it touches


def paint_catheter(
    *, canvas: Canvas, body: Shape, lean: Cylinder, liver_bqml: float, rng: np.random.Generator
) -> dict[str, float]:
    """Paint a thin straight tube of high activity (10-40x liver), label ``"ood:catheter"``.

    The tube (radius 1-1.75 mm) runs roughly head-to-foot, tilted up to 12 degrees, through a random point of the
    ``lean`` compartment, and is clipped to ``body``. Returns its parameters (mm, Bq/ml) for the record.
    """
    angle = rng.uniform(0.0, 2.0 * np.pi)
    reach = uniform(rng, (0.3, 0.8))
    half_length, semi_y, semi_x = lean.semi_axes_mm
    centre = (
        lean.centre_mm[0],
        lean.centre_mm[1] + reach * semi_y * float(np.sin(angle)),
        lean.centre_mm[2] + reach * semi_x * float(np.cos(angle)),
    )
    tilt = np.deg2rad(rng.uniform(-12.0, 12.0, size=2))
    radius = uniform(rng, (1.0, 1.75))
    tube = Cylinder(
        centre_mm=centre,
        rotation=rotation_zyx(angles_rad=(0.0, float(tilt[0]), float(tilt[1]))),
        semi_axes_mm=(2.0 * half_length, radius, radius),
    )
    level = liver_bqml * uniform(rng, (10.0, 40.0))
    canvas.paint(
        label="ood:catheter", shape=Intersection(parts=(tube, body)), activity_bqml=level, mu_per_mm=MU_SOFT_TISSUE
    )
    return {"radius_mm": radius, "activity_bqml": level, "centre_y_mm": centre[1], "centre_x_mm": centre[2]}


def hot_bladder_factor(*, rng: np.random.Generator) -> tuple[float, float]:
    """``(bladder : liver activity ratio 20-50, bladder size factor 1.2-1.5)`` for the hot-bladder feature."""
    return uniform(rng, (20.0, 50.0)), uniform(rng, (1.2, 1.5))
