"""A small synthetic NEMA-IEC-like phantom for the sphere-analysis tests, built without the analysis' own model.

An elliptical warm body (145 × 115 mm semi-axes, activity ``background``) with a cold lung insert (50 mm across)
on its axis and the six IEC spheres (37 → 10 mm, activity ``activity``, a cold wall of ``wall_mm``) on the
57.2 mm ring, the first at ``rotation_deg`` (from +x towards +y), sizes decreasing in ``direction``. Drawn on a
grid twice as fine as the output (1.5 mm), blurred there by a Gaussian of ``fwhm_mm``, then averaged over 2×2×2
blocks to 3 mm voxels: the output's effective resolution is the PSF combined with the two box averages
(:data:`EFFECTIVE_FWHM_MM` for the default 6 mm PSF).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.metrics.iec_layout import IEC_RING_RADIUS_MM, IEC_SPHERE_DIAMETERS_MM

SPACING_MM = (3.0, 3.0, 3.0)
SHAPE = (30, 88, 104)
AXIS_MM = (45.0, 130.0, 155.0)
FINE = 2
FWHM_MM = 6.0
EFFECTIVE_FWHM_MM = 2.3548 * math.sqrt((FWHM_MM / 2.3548) ** 2 + 3.0**2 / 12 + 1.5**2 / 12)


@dataclass(frozen=True, kw_only=True)
class SyntheticPhantom:
    """The image ``(z, y, x)`` and the truth it was drawn from (array mm, ``(z, y, x)``)."""

    image: npt.NDArray[np.float64]
    centres_mm: npt.NDArray[np.float64]
    activity: float
    background: float


def sphere_centres(*, rotation_deg: float, direction: int) -> npt.NDArray[np.float64]:
    """The six true centres, ``(6, 3)`` array mm."""
    centres = []
    for k in range(len(IEC_SPHERE_DIAMETERS_MM)):
        angle = math.radians(rotation_deg) + direction * k * math.pi / 3.0
        centres.append(
            [
                AXIS_MM[0],
                AXIS_MM[1] + IEC_RING_RADIUS_MM * math.sin(angle),
                AXIS_MM[2] + IEC_RING_RADIUS_MM * math.cos(angle),
            ]
        )
    return np.asarray(centres)


def build_phantom(
    *,
    rotation_deg: float = 30.0,
    direction: int = 1,
    activity: float = 4.0,
    background: float = 1.0,
    wall_mm: float = 1.0,
    noise_sd: float = 0.0,
    seed: int = 0,
) -> SyntheticPhantom:
    """The phantom (module docstring), with white Gaussian noise of ``noise_sd`` added after the blur."""
    step = SPACING_MM[0] / FINE
    axes = [(np.arange(n * FINE) + 0.5) * step - 0.5 * SPACING_MM[0] for n in SHAPE]
    z, y, x = np.meshgrid(*axes, indexing="ij", sparse=True)
    fine = np.zeros((SHAPE[0] * FINE, SHAPE[1] * FINE, SHAPE[2] * FINE))
    body = ((y - AXIS_MM[1]) / 115.0) ** 2 + ((x - AXIS_MM[2]) / 145.0) ** 2 <= 1.0
    fine[np.broadcast_to(body, fine.shape)] = background
    fine[np.broadcast_to(np.hypot(y - AXIS_MM[1], x - AXIS_MM[2]) <= 25.0, fine.shape)] = 0.0
    centres = sphere_centres(rotation_deg=rotation_deg, direction=direction)
    for centre, diameter in zip(centres, IEC_SPHERE_DIAMETERS_MM, strict=True):
        r = np.sqrt((z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2)
        fine[r <= diameter / 2.0 + wall_mm] = 0.0
        fine[r <= diameter / 2.0] = activity
    blurred = ndi.gaussian_filter(fine, FWHM_MM / 2.3548 / step, mode="nearest")
    image = blurred.reshape(SHAPE[0], FINE, SHAPE[1], FINE, SHAPE[2], FINE).mean(axis=(1, 3, 5))
    if noise_sd > 0:
        image = image + np.random.default_rng(seed).normal(0.0, noise_sd, image.shape)
    return SyntheticPhantom(image=image, centres_mm=centres, activity=activity, background=background)
