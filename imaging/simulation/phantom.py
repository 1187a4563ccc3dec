"""The simulator's phantom: the true activity and attenuation of one simulated patient, with its ROIs.

Coordinates: arrays are ``(z, y, x)``; positions in mm are measured from the centre of voxel ``[0, 0, 0]`` along
the array axes, i.e. ``position_mm = index * spacing_mm``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Lesion", "Phantom", "PhantomKind"]

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float32]


class PhantomKind(enum.StrEnum):
    """Which phantom family a study comes from. NEMA is for evaluation only, never for training."""

    BRAIN = "brain"
    TORSO = "torso"
    NEMA = "nema"


@dataclass(frozen=True, kw_only=True)
class Lesion:
    """A spherical hot lesion (or NEMA sphere).

    Attributes:
        name: unique within the phantom; its mask is ``Phantom.masks[f"lesion:{name}"]``.
        centre_mm: ``(z, y, x)`` centre in array mm coordinates.
        diameter_mm: sphere diameter.
        contrast: true activity ratio lesion : surrounding background (e.g. 4.0 for 4:1).
        activity_bqml: true activity concentration inside the lesion, Bq/ml.
    """

    name: str
    centre_mm: tuple[float, float, float]
    diameter_mm: float
    contrast: float
    activity_bqml: float


@dataclass(frozen=True, kw_only=True)
class Phantom:
    """One simulated patient or test object.

    Attributes:
        kind: brain, torso or NEMA.
        variant: e.g. ``"low_bmi"``, ``"high_bmi"``, ``"normal"``, ``"hypometabolic"``: free text, recorded.
        activity: ``(z, y, x) float32`` true activity concentration, Bq/ml.
        mu: ``(z, y, x) float32`` linear attenuation coefficient at 511 keV, 1/mm.
        spacing_mm: ``(z, y, x)`` voxel spacing, mm.
        masks: named boolean ``(z, y, x)`` ROIs: at least ``"body"``; torso: ``"liver"``, ``"lung"``,
            ``"bladder"``, ...; one ``"lesion:<name>"`` per lesion; NEMA: ``"background"`` and the background ROIs;
            out-of-distribution features: ``"ood:catheter"``, ``"ood:bladder"``.
        lesions: the hot spheres, with their true activity.
        patient_weight_kg: body weight for the DICOM header and SUV (matches the BMI variant).
        patient_height_m: body height for the DICOM header.
        injected_dose_bq: injected activity at injection time, Bq, consistent with the activity levels.
        seed: the seed the phantom was drawn with.
    """

    kind: PhantomKind
    variant: str
    activity: FloatArray
    mu: FloatArray
    spacing_mm: tuple[float, float, float]
    masks: Mapping[str, BoolArray]
    lesions: tuple[Lesion, ...] = ()
    patient_weight_kg: float = 70.0
    patient_height_m: float = 1.75
    injected_dose_bq: float = 3.7e8
    seed: int = 0
    extras: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.activity.ndim != 3 or self.activity.shape != self.mu.shape:
            raise ValueError(
                "Arguments 'activity' and 'mu' should be 3D (z, y, x) arrays of one shape, got "
                f"{self.activity.shape} and {self.mu.shape}."
            )
        for name, mask in self.masks.items():
            if mask.shape != self.activity.shape or mask.dtype != np.bool_:
                raise ValueError(
                    f"Argument 'masks' entry {name!r} should be a bool array of shape {self.activity.shape}."
                )
        if "body" not in self.masks:
            raise ValueError("Argument 'masks' should hold a 'body' mask.")

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(z, y, x)`` number of voxels."""
        z, y, x = self.activity.shape
        return (int(z), int(y), int(x))
