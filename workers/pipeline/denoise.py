"""Stage ``denoise``: open the bundle's inference engine and run it over the volume."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from imaging.volume import PetVolume
from models.bundle_info import BundleInfo
from models.engines import Backend, Engine, open_engine
from models.inference import DEFAULT_ENSEMBLE, denoise_volume

__all__ = ["Denoised", "Denoiser", "denoise", "open_denoiser"]


@dataclass(frozen=True, kw_only=True)
class Denoiser:
    """A weight bundle and the engine that runs it."""

    info: BundleInfo
    engine: Engine


@dataclass(frozen=True, kw_only=True)
class Denoised:
    """The denoised ``volume`` (its input's grid, units, UIDs and SUV), the input's activity ``scale`` (same units;
    QC and scoring reuse it) and the ``activity_factor`` that kept the body's total activity
    (:func:`models.inference.denoise_volume`)."""

    volume: PetVolume
    scale: float
    activity_factor: float
    body: npt.NDArray[np.bool_] | None = None
    """the input's body mask ``(z, y, x)``, computed once here and reused by QC"""


def open_denoiser(*, info: BundleInfo, backend: Backend = Backend.AUTO) -> Denoiser:
    """An engine for the bundle ``info`` (onnxruntime first, torch as the fallback; see :mod:`models.engines`)."""
    return Denoiser(info=info, engine=open_engine(info=info, backend=backend))


def denoise(
    *,
    volume: PetVolume,
    denoiser: Denoiser,
    batch: int = 8,
    ensemble: int = DEFAULT_ENSEMBLE,
    blend: float = 1.0,
    progress: Callable[[float], None] | None = None,
) -> Denoised:
    """``volume`` with denoised voxels (``(z, y, x) float32`` in its units; geometry, UIDs and SUV kept), see
    :class:`Denoised`; ``ensemble`` orientations averaged per slice, and the fraction ``blend`` (0 < blend ≤ 1,
    the strength level's weight, :mod:`models.strength`) of the network's change kept
    (:func:`models.inference.denoise_volume`).

    ``progress(fraction)`` is called after each batch of ``batch`` slices with the fraction done, 0–1.
    """

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(done / total)

    result = denoise_volume(
        voxels=volume.voxels, engine=denoiser.engine, batch=batch, ensemble=ensemble, blend=blend, progress=report
    )
    return Denoised(
        volume=dataclasses.replace(volume, voxels=result.voxels),
        scale=result.scale,
        activity_factor=result.activity_factor,
        body=result.body,
    )
