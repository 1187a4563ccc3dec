"""Stage ``uncertainty``: a voxel-wise uncertainty of the output from the two half-count splits.

With the split pair, each split is denoised exactly as the output was (same network, ensemble and strength blend:
:func:`workers.pipeline.denoise.denoise`), and ``u = ½ · sqrt(G_σ ∗ (D_A − D_B)²)`` (σ = 1 voxel,
:mod:`imaging.uncertainty`, where the ½ is explained) is the standard-deviation estimate of the full-count output,
in its unit. The write stage stores ``u`` as a second DERIVED series (``uncertainty/``) of the same study, frame of
reference and Units: its own Series Instance UID and Series Number, Series Description ``<input> [petiq
uncertainty]``, a Derivation Description saying what it is. result.json's ``uncertainty`` section summarises it:
the mean of ``u`` in the body and in the output's hottest separated spots.

Without the split pair nothing is estimated (one series cannot tell its noise from its signal): the section says
the uncertainty is unavailable and why, and the job's notes say so too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydicom import Dataset

from imaging.dicom.derived import UNCERTAINTY, AlgorithmIdentity, derive_series
from imaging.dicom.reader import PetSeries
from imaging.uncertainty import SIGMA_VOXELS, UncertaintySummary, split_uncertainty, summarise_uncertainty
from imaging.volume import PetVolume, Units
from workers.pipeline.denoise import Denoiser, denoise

__all__ = [
    "METHOD",
    "NO_SPLITS",
    "Uncertainty",
    "estimate_uncertainty",
    "unavailable_note",
    "unavailable_section",
    "uncertainty_algorithm",
    "uncertainty_datasets",
    "uncertainty_section",
]

METHOD = (
    "0.5 * sqrt(G_sigma * (D_A - D_B)^2): half the local RMS difference of the two half-count splits, each "
    "denoised as the output was; the standard-deviation estimate of the full-count output"
)
NO_SPLITS = (
    "no half-count split pair (split A and split B) was given; a voxel-wise uncertainty needs two independent "
    "half-count reconstructions of the study, so none was estimated"
)
_SIGNIFICANT = 6


@dataclass(frozen=True, kw_only=True)
class Uncertainty:
    """``volume``: ``u`` on the output's grid, ``(z, y, x) float32`` in its units (its geometry, UIDs and SUV);
    ``summary``: its means in the body and in the hottest spots; ``split_uids``: the Series Instance UIDs of A
    and B."""

    volume: PetVolume
    summary: UncertaintySummary
    split_uids: tuple[str, str]


def estimate_uncertainty(
    *,
    splits: tuple[PetVolume, PetVolume],
    output: PetVolume,
    body: npt.NDArray[np.bool_],
    denoiser: Denoiser,
    ensemble: int,
    blend: float,
    progress: Callable[[float], None] | None = None,
) -> Uncertainty:
    """Denoise split A and split B as ``output`` was (``denoiser``, ``ensemble``, ``blend``) and estimate ``u``
    (module docstring); ``body`` ``(z, y, x)`` bool is the input's body mask. ``progress(fraction)`` as the
    denoising of both halves goes."""
    halves = []
    for number, split in enumerate(splits):

        def report(fraction: float, number: int = number) -> None:
            if progress is not None:
                progress((number + fraction) / len(splits))

        halves.append(denoise(volume=split, denoiser=denoiser, ensemble=ensemble, blend=blend, progress=report))
    voxels = split_uncertainty(denoised_a=halves[0].volume.voxels, denoised_b=halves[1].volume.voxels)
    return Uncertainty(
        volume=dataclasses.replace(output, voxels=voxels),
        summary=summarise_uncertainty(output=output.voxels, uncertainty=voxels, body=body),
        split_uids=(splits[0].uids.series_uid, splits[1].uids.series_uid),
    )


def _number(value: float | None) -> float | None:
    return float(f"{value:.{_SIGNIFICANT}g}") if value is not None else None


def _unit(volume: PetVolume) -> str:
    return volume.units_raw if volume.units is Units.OTHER else volume.units.value


def uncertainty_section(*, uncertainty: Uncertainty, series_uid: str) -> dict[str, Any]:
    """The ``uncertainty`` section of result.json for the series ``series_uid`` holding ``uncertainty``
    (:class:`core.jobs.result.UncertaintySection`)."""
    summary = uncertainty.summary
    return {
        "available": True,
        "series_uid": series_uid,
        "method": METHOD,
        "unit": _unit(uncertainty.volume),
        "sigma_voxels": SIGMA_VOXELS,
        "split_uids": list(uncertainty.split_uids),
        "mean_body": _number(summary.mean_body),
        "lesions": [
            {
                "peak_voxel": list(region.peak_voxel),
                "voxels": region.voxels,
                "mean_output": _number(region.mean_output),
                "mean_uncertainty": _number(region.mean_uncertainty),
                "percent": _number(region.percent),
            }
            for region in summary.regions
        ],
    }


def unavailable_section(*, reason: str) -> dict[str, Any]:
    """The ``uncertainty`` section of a job that asked for it and could not have it."""
    return {"available": False, "reason": reason}


def unavailable_note(*, reason: str) -> str:
    """The job's note when the uncertainty was asked for and is not available."""
    return f"No uncertainty map: {reason}."


def uncertainty_algorithm(
    *, denoiser: AlgorithmIdentity, output_series_uid: str, split_uids: tuple[str, str]
) -> AlgorithmIdentity:
    """The algorithm identity of the uncertainty series: the ``denoiser`` that made the output series
    ``output_series_uid`` (same device), saying what the voxels are, with ``sigma_voxels`` among its parameters."""
    description = (
        f"voxel-wise standard-deviation estimate of the denoised series {output_series_uid}, in its units: 0.5 x "
        f"the local RMS (Gaussian sigma {SIGMA_VOXELS:g} voxel) of D_A - D_B, the half-count splits {split_uids[0]} "
        f"and {split_uids[1]} each denoised as the output was ({denoiser.description})"
    )
    return dataclasses.replace(
        denoiser,
        action="Uncertainty estimated",
        description=description,
        parameters=(*denoiser.parameters, ("sigma_voxels", f"{SIGMA_VOXELS:g}")),
    )


def uncertainty_datasets(
    *, series: PetSeries, uncertainty: Uncertainty, algorithm: AlgorithmIdentity, taken: Collection[int]
) -> list[Dataset]:
    """The DERIVED series of ``uncertainty`` on the grid of ``series`` (the input), one dataset a slice, made by
    ``algorithm`` (:func:`uncertainty_algorithm`), its Series Number other than the ``taken`` ones."""
    return derive_series(
        volume=uncertainty.volume,
        sources=series.datasets,
        algorithm=algorithm,
        kind=UNCERTAINTY,
        taken_series_numbers=taken,
    )
