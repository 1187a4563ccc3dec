"""The denoiser's quality targets (issue "bench/denoise_quality.py", now :mod:`bench.denoise.quality`), each checked
on one number: pure functions.

1. PSNR: petiq's mean PSNR ≥ the best classical method's (best Gaussian or best NLM) + 1.5 dB.
2. Contrast at matched noise: petiq's NEMA contrast recovery of a sphere ≥ the Gaussian's at petiq's background
   variability, read off the Gaussian's CR-vs-BV curve over its FWHM sweep
   (:func:`bench.denoise.sweeps.curve_value_at`).
3. Lesion bias: |petiq's ensemble lesion bias| ≤ 5 %.

A check's ``margin`` is how far it is from failing, in the unit of the target (≥ 0 passes).
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.checks import TargetCheck
from bench.denoise.scores import SphereFigures
from bench.denoise.sweeps import Coverage, curve_value_at

__all__ = [
    "LESION_BIAS_LIMIT_PCT",
    "PSNR_GAIN_DB",
    "lesion_bias_check",
    "matched_contrast_check",
    "psnr_check",
]

PSNR_GAIN_DB = 1.5
LESION_BIAS_LIMIT_PCT = 5.0


def psnr_check(
    *, case: str, level: float, petiq_db: float, best_classical_db: float, gain_db: float = PSNR_GAIN_DB
) -> TargetCheck:
    """Target 1: ``petiq_db − best_classical_db − gain_db ≥ 0`` (means over realisations, dB)."""
    margin = petiq_db - best_classical_db - gain_db
    return TargetCheck(
        target="psnr",
        case=case,
        level=level,
        item="",
        value=petiq_db,
        compared_with=best_classical_db + gain_db,
        margin=margin,
        passed=margin >= 0,
    )


_COVERAGE_NOTES = {
    Coverage.INSIDE: "",
    Coverage.BELOW: "petiq BV below the Gaussian sweep; compared with its smoothest point (conservative)",
    Coverage.ABOVE: "petiq BV above the unfiltered input's; no Gaussian matches it (fails)",
}


def matched_contrast_check(
    *, case: str, level: float, petiq: SphereFigures, gaussian_curve: Sequence[SphereFigures]
) -> TargetCheck:
    """Target 2 for one sphere: petiq's CR − the Gaussian's CR at petiq's BV ≥ 0 (percentage points).

    ``gaussian_curve`` holds the Gaussian's figures for this sphere at each FWHM, in sweep order. When petiq's BV
    lies below the curve, the smoothest Gaussian's CR is used: more smoothing would lower it further, so the
    comparison favours the Gaussian. When it lies above (petiq noisier than the unfiltered input), the check fails.
    """
    if any(point.diameter_mm != petiq.diameter_mm for point in gaussian_curve):
        raise ValueError(f"Argument 'gaussian_curve' should hold the {petiq.diameter_mm} mm sphere only.")
    curve = [(point.background_variability_pct, point.contrast_recovery_pct) for point in gaussian_curve]
    matched = curve_value_at(curve=curve, at=petiq.background_variability_pct)
    margin = petiq.contrast_recovery_pct - matched.value
    return TargetCheck(
        target="matched_contrast",
        case=case,
        level=level,
        item=f"sphere {petiq.diameter_mm:g} mm",
        value=petiq.contrast_recovery_pct,
        compared_with=matched.value,
        margin=margin,
        passed=margin >= 0 and matched.coverage is not Coverage.ABOVE,
        note=_matched_note(coverage=matched.coverage, standard_error_pct=petiq.contrast_recovery_se_pct),
    )


def _matched_note(*, coverage: Coverage, standard_error_pct: float | None) -> str:
    """The coverage note, then petiq's CR standard error over realisations when known (the verdict is on the
    estimates alone)."""
    parts = [_COVERAGE_NOTES[coverage]]
    if standard_error_pct is not None:
        parts.append(f"CR SE over realisations {standard_error_pct:.1f}")
    return "; ".join(part for part in parts if part)


def lesion_bias_check(
    *,
    case: str,
    level: float,
    lesion: str,
    bias_pct: float,
    standard_error_pct: float | None = None,
    limit_pct: float = LESION_BIAS_LIMIT_PCT,
) -> TargetCheck:
    """Target 3 for one lesion: ``limit_pct − |bias_pct| ≥ 0`` (percent); the bias's standard error, when given,
    goes into the note (the verdict is on the estimate alone)."""
    margin = limit_pct - abs(bias_pct)
    return TargetCheck(
        target="lesion_bias",
        case=case,
        level=level,
        item=lesion,
        value=bias_pct,
        compared_with=limit_pct,
        margin=margin,
        passed=margin >= 0,
        note="" if standard_error_pct is None else f"bias SE over realisations {standard_error_pct:.1f} %",
    )
