"""The three targets as single-number checks."""

from __future__ import annotations

import pytest

from bench.denoise.scores import SphereFigures
from bench.denoise.targets import (
    LESION_BIAS_LIMIT_PCT,
    PSNR_GAIN_DB,
    lesion_bias_check,
    matched_contrast_check,
    psnr_check,
)


def test_psnr_check_needs_the_full_gain_over_the_best_classical_method() -> None:
    classical = 33.0
    just = psnr_check(case="c", level=0.05, petiq_db=classical + PSNR_GAIN_DB, best_classical_db=classical)
    short = psnr_check(case="c", level=0.05, petiq_db=classical + PSNR_GAIN_DB - 0.01, best_classical_db=classical)
    assert just.passed and just.margin == pytest.approx(0.0)
    assert not short.passed and short.margin == pytest.approx(-0.01)


def _sphere(bv: float, cr: float) -> SphereFigures:
    return SphereFigures(diameter_mm=10.0, contrast_recovery_pct=cr, background_variability_pct=bv)


GAUSSIAN = [_sphere(40.0, 60.0), _sphere(20.0, 40.0), _sphere(10.0, 20.0)]  # FWHM 0, 6, 12 mm


def test_matched_contrast_compares_with_the_gaussian_at_petiqs_noise() -> None:
    # At BV 15 the Gaussian's curve gives CR 30 (halfway between its 6 and 12 mm points).
    better = matched_contrast_check(case="n", level=0.1, petiq=_sphere(15.0, 31.0), gaussian_curve=GAUSSIAN)
    worse = matched_contrast_check(case="n", level=0.1, petiq=_sphere(15.0, 29.0), gaussian_curve=GAUSSIAN)
    assert better.compared_with == pytest.approx(30.0) and better.passed and better.margin == pytest.approx(1.0)
    assert not worse.passed and worse.margin == pytest.approx(-1.0)
    assert better.note == ""


def test_matched_contrast_below_the_sweep_uses_the_smoothest_gaussian() -> None:
    check = matched_contrast_check(case="n", level=0.1, petiq=_sphere(5.0, 25.0), gaussian_curve=GAUSSIAN)
    assert check.compared_with == 20.0 and check.passed and "conservative" in check.note


def test_matched_contrast_fails_when_petiq_is_noisier_than_the_input() -> None:
    check = matched_contrast_check(case="n", level=0.1, petiq=_sphere(45.0, 70.0), gaussian_curve=GAUSSIAN)
    assert check.margin > 0 and not check.passed and "fails" in check.note


def test_matched_contrast_rejects_a_curve_of_another_sphere() -> None:
    other = [SphereFigures(diameter_mm=13.0, contrast_recovery_pct=50.0, background_variability_pct=20.0)]
    with pytest.raises(ValueError, match="gaussian_curve"):
        matched_contrast_check(case="n", level=0.1, petiq=_sphere(15.0, 31.0), gaussian_curve=other)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_lesion_bias_check_is_symmetric_and_inclusive_at_the_limit(sign: float) -> None:
    at_limit = lesion_bias_check(case="t", level=0.05, lesion="l", bias_pct=sign * LESION_BIAS_LIMIT_PCT)
    over = lesion_bias_check(case="t", level=0.05, lesion="l", bias_pct=sign * (LESION_BIAS_LIMIT_PCT + 0.5))
    assert at_limit.passed and not over.passed and over.margin == pytest.approx(-0.5)


def test_lesion_bias_check_reports_the_standard_error_without_judging_on_it() -> None:
    check = lesion_bias_check(case="t", level=0.05, lesion="l", bias_pct=1.0, standard_error_pct=9.0)
    assert check.passed and "9.0" in check.note


def test_matched_contrast_reports_petiqs_standard_error_without_judging_on_it() -> None:
    petiq = SphereFigures(
        diameter_mm=10.0, contrast_recovery_pct=29.0, background_variability_pct=15.0, contrast_recovery_se_pct=2.5
    )
    check = matched_contrast_check(case="n", level=0.1, petiq=petiq, gaussian_curve=GAUSSIAN)
    assert not check.passed and check.note == "CR SE over realisations 2.5"
