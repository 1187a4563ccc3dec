"""Turn a painted :class:`Canvas` into the immutable :class:`Phantom` the simulator's stages consume."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from imaging.simulation.phantom import Lesion, Phantom, PhantomKind
from imaging.simulation.phantoms.canvas import Canvas

__all__ = ["body_mask", "build_phantom"]

BoolArray = npt.NDArray[np.bool_]


def body_mask(canvas: Canvas) -> BoolArray:
    """Voxels at least half filled by anything painted: ``(z, y, x) bool``."""
    total = np.zeros(canvas.grid_shape, dtype=np.float32)
    for fraction in canvas.visible.values():
        total += fraction
    region: BoolArray = total >= 0.5
    return region


def build_phantom(
    *,
    canvas: Canvas,
    kind: PhantomKind,
    variant: str,
    masks: Mapping[str, BoolArray],
    lesions: tuple[Lesion, ...] = (),
    seed: int,
    patient: tuple[float, float, float],
    extras: Mapping[str, object],
) -> Phantom:
    """The phantom, with ``"body"`` added and every mask clipped to it.

    Args:
        patient: ``(weight_kg, height_m, injected_dose_bq)``.
    """
    body = body_mask(canvas)
    clipped = {"body": body} | {name: np.logical_and(mask, body) for name, mask in masks.items()}
    weight_kg, height_m, dose_bq = patient
    return Phantom(
        kind=kind,
        variant=variant,
        activity=np.ascontiguousarray(canvas.activity, dtype=np.float32),
        mu=np.ascontiguousarray(canvas.mu, dtype=np.float32),
        spacing_mm=canvas.spacing_mm,
        masks=clipped,
        lesions=lesions,
        patient_weight_kg=float(weight_kg),
        patient_height_m=float(height_m),
        injected_dose_bq=float(dose_bq),
        seed=int(seed),
        extras=dict(extras),
    )
