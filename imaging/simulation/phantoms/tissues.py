"""Attenuation coefficients at 511 keV (1/mm) and the SUV-to-activity conversion shared by the phantoms."""

from __future__ import annotations

import numpy as np

__all__ = [
    "MU_BONE_RANGE",
    "MU_FAT",
    "MU_LUNG_RANGE",
    "MU_SOFT_TISSUE",
    "MU_WATER",
    "activity_from_suv",
    "uniform",
]

MU_SOFT_TISSUE = 0.0096
MU_WATER = 0.0096
MU_FAT = 0.0090
MU_LUNG_RANGE = (0.0025, 0.0030)
MU_BONE_RANGE = (0.0150, 0.0172)


def activity_from_suv(*, suv: float, injected_dose_bq: float, weight_kg: float) -> float:
    """Activity concentration (Bq/ml) of a body-weight ``suv`` (g/ml): ``suv * dose / weight_g``.

    Tissue density is taken as 1 g/ml, so ``SUV = activity * weight_g / dose`` recovers ``suv`` exactly.
    """
    if injected_dose_bq <= 0 or weight_kg <= 0:
        raise ValueError(
            f"Arguments 'injected_dose_bq' and 'weight_kg' should be positive, got {injected_dose_bq}, {weight_kg}."
        )
    return suv * injected_dose_bq / (weight_kg * 1000.0)


def uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    """One draw from ``U(bounds[0], bounds[1])`` as a Python float."""
    return float(rng.uniform(bounds[0], bounds[1]))
