"""Per-voxel uncertainty of a denoised PET volume from two independent half-count splits (pure numpy/scipy).

The estimate
    ``u = ½ · sqrt(G_σ ∗ (D_A − D_B)²)``, σ = 1 voxel, where ``D_A`` and ``D_B`` are the two half-count splits of
    the study (binomial halves of the counts, each reconstructed in Bq/ml of the whole activity) denoised exactly
    as the output was (same network, ensemble and strength blend).

Why
    Write ``D_A = s + n_A`` and ``D_B = s + n_B``: both estimate the same activity ``s`` and their errors are
    independent (a binomial split of Poisson counts gives independent Poisson halves), so
    ``E[(D_A − D_B)²] = Var n_A + Var n_B = 2 σ_half²``. Each half holds half the counts and the variance of a
    reconstructed activity goes as 1 / counts, so ``σ_half² = 2 σ_full²``: ``E[(D_A − D_B)²] = 4 σ_full²`` and
    ``σ_full = ½ · sqrt(E[(D_A − D_B)²])``, the standard deviation of the full-count output, in its unit.
    The expectation is estimated locally, by a Gaussian-weighted mean of the squared difference (``G_σ ∗``,
    σ = 1 voxel: as many as about 45 independent voxels, ``(2 √π σ)³``): ``u`` is itself noisy, by about 11 % of
    its value for white noise and more where the denoised noise is correlated between neighbours.

What it does not say
    The 1 / counts law is exact for a linear method; a network that smooths a noisier input harder gives halves
    whose noise is less than twice the full-count output's variance, and ``u`` then reads low. A systematic
    difference between the halves (e.g. a network trained on A → B and B → A) reads as uncertainty. ``u`` is not
    an error against the truth: a bias both halves share (a lesion the network flattens) is invisible to it.

Measured (``python -m bench.denoise.uncertainty_check``, ``bench/results/uncertainty_check.txt``: a simulated
torso, 16 noise realisations, the shipped network at strength medium)
    ``u`` reads low: one map's ``u`` is 0.85 (5 % counts) and 0.91 (25 %) of the true SD of the output over the
    body, 0.82 / 0.79 over the small lesions, 0.83–0.92 over the hottest spots; on the raw OSEM series, 0.91 /
    0.97 over the body. Its shape is right: the smoothed map correlates 0.99 with the true SD map in the body.

The summary (:func:`summarise_uncertainty`) is the mean of ``u`` in the body and ``u`` in the output's hottest
separated spots (:func:`imaging.hot_regions.hottest_regions`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.hot_regions import hottest_regions

__all__ = [
    "FULL_COUNT_FACTOR",
    "HOT_REGIONS",
    "SIGMA_VOXELS",
    "RegionUncertainty",
    "UncertaintySummary",
    "split_uncertainty",
    "summarise_uncertainty",
]

SIGMA_VOXELS = 1.0
"""σ of the Gaussian over which the squared split difference is averaged, voxels."""
FULL_COUNT_FACTOR = 0.5
"""``σ_full / sqrt(E[(D_A − D_B)²])`` for two independent half-count splits (module docstring)."""
HOT_REGIONS = 5
"""Most hot spots the summary reports."""

FloatArray = npt.NDArray[np.float32]


def split_uncertainty(
    *, denoised_a: npt.NDArray[np.floating], denoised_b: npt.NDArray[np.floating], sigma_voxels: float = SIGMA_VOXELS
) -> FloatArray:
    """The voxel-wise standard-deviation estimate ``u`` of the full-count output (module docstring).

    Args:
        denoised_a, denoised_b: the two half-count splits, each denoised as the output was, ``(z, y, x)`` in the
            output's unit (Bq/ml for BQML).
        sigma_voxels: σ of the local averaging, voxels (> 0).

    Returns:
        ``u``, ``(z, y, x) float32`` in the same unit, ≥ 0; 0 where the halves agree over the whole neighbourhood.
    """
    if denoised_a.ndim != 3 or denoised_a.shape != denoised_b.shape:
        raise ValueError(
            "Arguments 'denoised_a' and 'denoised_b' should be 3D (z, y, x) arrays of one shape, got "
            f"{denoised_a.shape} and {denoised_b.shape}."
        )
    if not sigma_voxels > 0:
        raise ValueError(f"Argument 'sigma_voxels' should be > 0, got {sigma_voxels}.")
    difference = np.asarray(denoised_a, dtype=np.float32) - np.asarray(denoised_b, dtype=np.float32)
    local = ndi.gaussian_filter(np.square(difference), sigma_voxels, mode="nearest")
    return np.asarray(FULL_COUNT_FACTOR * np.sqrt(np.maximum(local, 0.0)), dtype=np.float32)


@dataclass(frozen=True, kw_only=True)
class RegionUncertainty:
    """``u`` in one hot spot of the output.

    Attributes:
        peak_voxel: ``(z, y, x)`` index of the spot's peak (on the output smoothed by σ = 1 voxel).
        voxels: voxels in the region (connected, ≥ 50 % of the peak, in a box around it).
        mean_output: mean of the output over the region, its unit.
        mean_uncertainty: mean of ``u`` over the region, same unit.
    """

    peak_voxel: tuple[int, int, int]
    voxels: int
    mean_output: float
    mean_uncertainty: float

    @property
    def percent(self) -> float | None:
        """``mean_uncertainty`` as a percentage of ``mean_output``; None when that mean is not positive."""
        return 100.0 * self.mean_uncertainty / self.mean_output if self.mean_output > 0 else None


@dataclass(frozen=True, kw_only=True)
class UncertaintySummary:
    """``mean_body``: the mean of ``u`` over the body (None for an empty body); ``regions``: the hottest spots,
    hottest first."""

    mean_body: float | None
    regions: tuple[RegionUncertainty, ...]


def summarise_uncertainty(
    *,
    output: npt.NDArray[np.floating],
    uncertainty: npt.NDArray[np.floating],
    body: npt.NDArray[np.bool_],
    count: int = HOT_REGIONS,
) -> UncertaintySummary:
    """The mean of ``uncertainty`` over ``body`` and over each of the ``count`` hottest separated spots of
    ``output`` (all ``(z, y, x)`` of one shape; ``output`` and ``uncertainty`` in one unit)."""
    if uncertainty.shape != output.shape:
        raise ValueError(
            f"Argument 'uncertainty' should have the shape of 'output' {output.shape}, got {uncertainty.shape}."
        )
    regions = hottest_regions(voxels=output, body=body, count=count)
    inside = np.asarray(uncertainty)[body]
    return UncertaintySummary(
        mean_body=float(inside.mean(dtype=np.float64)) if inside.size else None,
        regions=tuple(
            RegionUncertainty(
                peak_voxel=region.peak_voxel,
                voxels=region.voxels,
                mean_output=float(region.values(output).mean(dtype=np.float64)),
                mean_uncertainty=float(region.values(uncertainty).mean(dtype=np.float64)),
            )
            for region in regions
        ),
    )
