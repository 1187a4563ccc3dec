"""Phantoms for the PET simulator: randomised FDG brains and torsos (with lesions and out-of-distribution
features) for training and testing, and the NEMA IEC body phantom for evaluation only.

All return :class:`imaging.simulation.phantom.Phantom`: ``(z, y, x) float32`` activity (Bq/ml) and mu at 511 keV
(1/mm), boolean ROI masks, the lesions, and the patient's weight, height and injected dose.
"""

from __future__ import annotations

from imaging.simulation.phantoms.brain import make_brain_phantom
from imaging.simulation.phantoms.dispatch import make_phantom
from imaging.simulation.phantoms.hypometabolism import HYPOMETABOLISM_PATTERNS
from imaging.simulation.phantoms.nema import make_nema_phantom
from imaging.simulation.phantoms.ood import OOD_FEATURES
from imaging.simulation.phantoms.torso import TORSO_VARIANTS, make_torso_phantom

__all__ = [
    "HYPOMETABOLISM_PATTERNS",
    "OOD_FEATURES",
    "TORSO_VARIANTS",
    "make_brain_phantom",
    "make_nema_phantom",
    "make_phantom",
    "make_torso_phantom",
]
