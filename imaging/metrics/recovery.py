"""Recovery coefficients of hot spheres, RC_max and RC_a50, and the EARL 2 accreditation bands they are held to.

For a sphere of inner diameter ``d`` centred at ``c``, with the true activity concentration ``A`` (Bq/ml, or the
image's unit) and the image's background level ``B``::

    VOI      = the voxels within d/2 + search_margin_mm of c          (the search ball)
    max      = the largest voxel value in the VOI
    RC_max   = max / A
    A50 VOI  = the voxels of the VOI ≥ B + 0.5·(max − B), 26-connected to the maximum voxel
    RC_a50   = mean(A50 VOI) / A

The 50 % isocontour is background-adapted, as in EARL's specification (a 3D isocontour at 50 % of the maximum
voxel value, adapted for background) and in pynemaiqpet, so that the contour sits at half the sphere's contrast
over its surroundings whatever the sphere-to-background ratio (at 10 : 1 the plain 50 %-of-max contour would
lie 0.05·max lower). ``B`` is the image's own background
(e.g. :func:`imaging.metrics.iec_background.background_cov`), ``A`` is unknown in a scan's files and estimated
once from the unprocessed image (:func:`imaging.metrics.sphere_fit.fit_sphere_activity`).

EARL 2 bands (EANM Research Ltd, FDG-PET/CT accreditation, specifications 2019), spheres 37 → 10 mm:
RC_a50 min 0.85 0.82 0.80 0.76 0.63 0.39, max 1.00 0.97 0.99 0.97 0.86 0.61;
RC_max min 1.05 1.01 1.01 1.00 0.85 0.52, max 1.29 1.26 1.32 1.38 1.22 0.88.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.errors import InputError
from imaging.metrics._checks import FloatArray, as_image, as_spacing, positive

__all__ = ["EARL2_BANDS", "EarlBand", "EarlSphereBands", "SphereRecovery", "sphere_recovery"]


@dataclass(frozen=True, kw_only=True)
class EarlBand:
    """The accepted range of one recovery coefficient (dimensionless), both ends included."""

    low: float
    high: float

    def contains(self, value: float) -> bool:
        """``low ≤ value ≤ high``."""
        return self.low <= value <= self.high


@dataclass(frozen=True, kw_only=True)
class EarlSphereBands:
    """EARL's bands of one sphere: RC_a50 and RC_max."""

    rc_a50: EarlBand
    rc_max: EarlBand


def _bands(a50: tuple[float, float], peak: tuple[float, float]) -> EarlSphereBands:
    return EarlSphereBands(rc_a50=EarlBand(low=a50[0], high=a50[1]), rc_max=EarlBand(low=peak[0], high=peak[1]))


EARL2_BANDS: dict[float, EarlSphereBands] = {
    37.0: _bands((0.85, 1.00), (1.05, 1.29)),
    28.0: _bands((0.82, 0.97), (1.01, 1.26)),
    22.0: _bands((0.80, 0.99), (1.01, 1.32)),
    17.0: _bands((0.76, 0.97), (1.00, 1.38)),
    13.0: _bands((0.63, 0.86), (0.85, 1.22)),
    10.0: _bands((0.39, 0.61), (0.52, 0.88)),
}
"""EARL 2 bands by sphere diameter (mm), module docstring."""


@dataclass(frozen=True, kw_only=True)
class SphereRecovery:
    """One sphere's recovery in one image.

    Attributes:
        diameter_mm: inner sphere diameter, mm.
        max_value: the VOI's largest voxel, the image's unit.
        a50_mean: mean of the A50 VOI, same unit.
        a50_threshold: ``B + 0.5·(max − B)``, same unit.
        a50_voxels: voxels in the A50 VOI.
        rc_max: ``max / A``.
        rc_a50: ``a50_mean / A``.
    """

    diameter_mm: float
    max_value: float
    a50_mean: float
    a50_threshold: float
    a50_voxels: int
    rc_max: float
    rc_a50: float


def _search_ball(
    *, shape: tuple[int, ...], spacing: tuple[float, ...], centre: Sequence[float], reach: float
) -> npt.NDArray[np.bool_]:
    axes = [np.arange(n) * step - float(c) for n, step, c in zip(shape, spacing, centre, strict=True)]
    z, y, x = np.meshgrid(*axes, indexing="ij", sparse=True)
    return np.asarray(z**2 + y**2 + x**2 <= reach**2, dtype=np.bool_)


def sphere_recovery(
    *,
    image: npt.ArrayLike,
    spacing_mm: Sequence[float],
    centre_mm: Sequence[float],
    diameter_mm: float,
    background: float,
    true_activity: float,
    search_margin_mm: float = 6.0,
) -> SphereRecovery:
    """RC_max and RC_a50 of one sphere (module docstring).

    Args:
        image: ``(z, y, x)`` activity, e.g. Bq/ml.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        centre_mm: the sphere's centre, ``(z, y, x)`` array mm.
        diameter_mm: inner sphere diameter, mm.
        background: ``B``, the image's background level, the image's unit.
        true_activity: ``A``, the sphere's true activity concentration, the image's unit, > 0.
        search_margin_mm: the search ball reaches this far beyond the sphere's radius, mm.

    Returns:
        The :class:`SphereRecovery`.
    """
    volume: FloatArray = as_image(value=image, name="image")
    spacing = as_spacing(value=spacing_mm, name="spacing_mm", length=3)
    truth = positive(value=true_activity, name="true_activity")
    reach = positive(value=diameter_mm, name="diameter_mm") / 2.0 + search_margin_mm
    ball = _search_ball(shape=volume.shape, spacing=spacing, centre=centre_mm, reach=reach)
    if not ball.any():
        raise InputError(f"Argument 'centre_mm' {tuple(centre_mm)} puts the sphere outside the image.", check="roi")
    inside = np.where(ball, volume, -np.inf)
    peak_index = np.unravel_index(int(np.argmax(inside)), volume.shape)
    peak = float(volume[peak_index])
    threshold = background + 0.5 * (peak - background)
    labels, _ = ndi.label(ball & (volume >= threshold), structure=np.ones((3, 3, 3), dtype=bool))
    contour = labels == labels[peak_index]
    a50 = float(volume[contour].mean())
    return SphereRecovery(
        diameter_mm=float(diameter_mm),
        max_value=peak,
        a50_mean=a50,
        a50_threshold=threshold,
        a50_voxels=int(contour.sum()),
        rc_max=peak / truth,
        rc_a50=a50 / truth,
    )
