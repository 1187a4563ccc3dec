"""PET acquisition: expected sinograms, Poisson prompts, dose levels by nested thinning, half-count splits.

Model, per transverse slice (2D, parallel beam; see :mod:`imaging.simulation.projector`)::

    trues   = norm · att · (A G activity)        att = exp(−A mu), G = scanner PSF
    scatter = a heavily smoothed copy of trues, scaled so scatter / (trues + scatter) = scatter_fraction
    randoms = uniform over the sinogram, scaled so randoms / prompts = randoms_fraction
    prompts ~ Poisson(trues + scatter + randoms)

Count level (the 100 % level, defined physically): ``norm = efficiency · duration_s · bin_mm · slice_mm · 1e-3 /
n_angles``, so that summed over a slice's sinogram ``trues = efficiency · duration_s · (slice activity in Bq) ·
mean attenuation``: every decay in the slice has probability ``efficiency`` of being recorded as a true
coincidence before attenuation. THE 100 % LEVEL: ``efficiency = 0.008`` (an effective 2D-equivalent sensitivity
of 0.8 %, i.e. 8 cps/kBq) over ``duration_s = 150`` (2.5 min per bed, FDG at ~60 min p.i.). On a low-BMI torso
(30 × 22 cm ellipse, 5 kBq/ml background, 7 kBq/ml liver, lungs, water attenuation, 4-mm voxels, 128 × 128) this
is 2.0·10⁵ true counts per 4-mm slice (4.0·10⁵ prompts with 33 % scatter fraction and 25 % randoms). On the
torso phantom of :mod:`imaging.simulation.phantoms` (seed 0) the ensemble voxel CoV of the liver over 6
realisations, protocol "v1", is 6.8 % (low BMI) and 12.4 % (high BMI) at 100 %, 21 % and 37 % at 10 %: the range
of clinical full-dose FDG studies, the high-BMI patient noisier. The brain is scanned as one 600 s bed
(:func:`imaging.simulation.study.scanner_for`). Lower doses are fractions of this level.

Dose levels are made by NESTED binomial thinning of the full-count prompts (as resampling list-mode data): each
level is thinned from the next higher one with the ratio of the two levels, so a lower level's events are a
subset of a higher level's. A half-count split of a level is ``A = Binomial(counts, 1/2)``, ``B = counts − A``:
for Poisson counts A and B are independent Poisson variables, and ``A + B = counts`` exactly. The background
estimate (scatter + randoms) of a level is the full-count expectation times the level's fraction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.ndimage as ndi

from imaging.simulation.phantom import Phantom
from imaging.simulation.projector import Projector, build_projector, forward

__all__ = [
    "DEFAULT_LEVELS",
    "ExpectedData",
    "ScannerModel",
    "expected_data",
    "sample_prompts",
    "split_counts",
    "thin_nested",
]

FloatArray = npt.NDArray[np.float32]
CountArray = npt.NDArray[np.int32]

DEFAULT_LEVELS: tuple[float, ...] = (1.0, 0.5, 0.25, 0.1, 0.05, 0.01, 0.005)


@dataclass(frozen=True, kw_only=True)
class ScannerModel:
    """The simulated scanner and acquisition.

    Attributes:
        efficiency: probability that a decay in the slice is recorded as a true coincidence before attenuation
            (effective 2D sensitivity, dimensionless).
        duration_s: acquisition time per bed position, s.
        resolution_fwhm_mm: the scanner's isotropic Gaussian resolution, FWHM mm.
        scatter_fraction: scatter / (trues + scatter), e.g. 0.33 torso, 0.25 brain.
        randoms_fraction: randoms / prompts.
        scatter_fwhm_mm: width of the Gaussian that smooths the trues into the scatter sinogram, mm.
        n_angles: projection angles over 180°; ``None`` = the projector's default.
    """

    efficiency: float = 0.008
    duration_s: float = 150.0
    resolution_fwhm_mm: float = 5.0
    scatter_fraction: float = 0.33
    randoms_fraction: float = 0.25
    scatter_fwhm_mm: float = 200.0
    n_angles: int | None = None

    def __post_init__(self) -> None:
        for name in ("efficiency", "duration_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Argument '{name}' should be positive, got {getattr(self, name)}.")
        for name in ("scatter_fraction", "randoms_fraction"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"Argument '{name}' should be in [0, 1), got {getattr(self, name)}.")


@dataclass(frozen=True, eq=False)
class ExpectedData:
    """Noise-free full-count (level 1.0) sinograms of one phantom, all ``(z, angles, bins) float32``.

    Attributes:
        projector: the system matrix they were made with.
        slice_mm: slice spacing, mm.
        norm: expected true counts per Bq/ml·mm of unattenuated line integral (scalar).
        attenuation: ``exp(−A mu)``, dimensionless.
        trues: expected true counts.
        scatter: expected scattered counts.
        randoms: expected random counts.
    """

    projector: Projector
    slice_mm: float
    norm: float
    attenuation: FloatArray
    trues: FloatArray
    scatter: FloatArray
    randoms: FloatArray

    @property
    def background(self) -> FloatArray:
        """Expected scatter + randoms, counts."""
        return self.scatter + self.randoms

    @property
    def prompts(self) -> FloatArray:
        """Expected prompts = trues + scatter + randoms, counts."""
        return self.trues + self.scatter + self.randoms


def expected_data(*, phantom: Phantom, scanner: ScannerModel | None = None) -> ExpectedData:
    """The noise-free full-count sinograms of ``phantom`` (activity Bq/ml, mu 1/mm) on ``scanner``."""
    scanner = scanner or ScannerModel()
    slice_mm, pixel_y, pixel_x = (float(s) for s in phantom.spacing_mm)
    if not math.isclose(pixel_y, pixel_x, rel_tol=1e-4):
        raise ValueError(f"Argument 'phantom' should have square pixels, got spacing_mm={phantom.spacing_mm}.")
    ny, nx = phantom.shape[1:]
    projector = build_projector(image_shape=(ny, nx), pixel_mm=pixel_x, n_angles=scanner.n_angles)
    norm = scanner.efficiency * scanner.duration_s * pixel_x * slice_mm * 1e-3 / projector.n_angles
    mu = np.asarray(phantom.mu, dtype=np.float32)
    attenuation = np.exp(-forward(projector=projector, images=mu)).astype(np.float32)
    activity = np.asarray(phantom.activity, dtype=np.float32)
    blurred = forward(projector=projector, images=activity, psf_fwhm_mm=scanner.resolution_fwhm_mm, slice_mm=slice_mm)
    trues = (norm * attenuation * np.maximum(blurred, 0.0)).astype(np.float32)
    scatter = _scatter(trues=trues, scanner=scanner, pixel_mm=pixel_x, slice_mm=slice_mm)
    randoms = _randoms(trues_plus_scatter=trues + scatter, fraction=scanner.randoms_fraction)
    return ExpectedData(projector, slice_mm, norm, attenuation, trues, scatter, randoms)


def _scatter(*, trues: FloatArray, scanner: ScannerModel, pixel_mm: float, slice_mm: float) -> FloatArray:
    """Scatter sinogram: trues smoothed along bins, angles and slices, scaled to the scatter fraction."""
    if scanner.scatter_fraction == 0 or not trues.any():
        return np.zeros_like(trues)
    sigma_mm = scanner.scatter_fwhm_mm / (2.0 * math.sqrt(2.0 * math.log(2.0)))
    n_angles = trues.shape[1]
    sigma = (sigma_mm / slice_mm / 4, n_angles / 12, sigma_mm / pixel_mm)
    smooth = ndi.gaussian_filter(trues, sigma, mode=("nearest", "nearest", "constant"))
    wanted = scanner.scatter_fraction / (1 - scanner.scatter_fraction) * float(trues.sum(dtype=np.float64))
    return np.asarray(smooth * (wanted / float(smooth.sum(dtype=np.float64))), dtype=np.float32)


def _randoms(*, trues_plus_scatter: FloatArray, fraction: float) -> FloatArray:
    """Randoms: uniform over every slice's sinogram, scaled to the randoms fraction of the prompts."""
    total = fraction / (1 - fraction) * float(trues_plus_scatter.sum(dtype=np.float64))
    return np.full(trues_plus_scatter.shape, total / trues_plus_scatter.size, dtype=np.float32)


def sample_prompts(*, expected: FloatArray, rng: np.random.Generator) -> CountArray:
    """Poisson prompts: ``(z, angles, bins) float32`` expected counts → ``int32`` counts of the same shape."""
    if expected.size and float(expected.min()) < 0:
        raise ValueError("Argument 'expected' should be non-negative counts.")
    return rng.poisson(expected).astype(np.int32)


def thin_nested(*, counts: CountArray, levels: Sequence[float], rng: np.random.Generator) -> Mapping[float, CountArray]:
    """Dose levels by nested binomial thinning of the full-count (level 1.0) prompts.

    Args:
        counts: ``(z, angles, bins) int32`` full-count prompts.
        levels: fractions of the full dose in ``(0, 1]``, any order (e.g. :data:`DEFAULT_LEVELS`).
        rng: the random generator (draws happen from the highest level down).

    Returns:
        ``{level: counts}``; each level is thinned from the next higher one with probability
        ``level / higher``, so its counts are ≤ the higher level's bin by bin. Level 1.0 is ``counts`` itself.
    """
    ordered = sorted({float(level) for level in levels}, reverse=True)
    if not ordered or ordered[-1] <= 0 or ordered[0] > 1:
        raise ValueError(f"Argument 'levels' should be fractions in (0, 1], got {list(levels)}.")
    out: dict[float, CountArray] = {}
    current, current_level = counts, 1.0
    for level in ordered:
        if level < current_level:
            current = rng.binomial(current, level / current_level).astype(np.int32)
            current_level = level
        out[level] = current
    return out


def split_counts(*, counts: CountArray, rng: np.random.Generator) -> tuple[CountArray, CountArray]:
    """Two independent half-count datasets of ``(z, angles, bins) int32`` counts.

    Returns ``(A, B)``, int32: ``A ~ Binomial(counts, 1/2)``, ``B = counts − A``.
    """
    half = rng.binomial(counts, 0.5).astype(np.int32)
    return half, (counts - half).astype(np.int32)
