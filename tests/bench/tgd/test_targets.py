"""The TGD targets: orderings are strict, bounds inclusive, NaN fails, the summary names the worst check."""

from __future__ import annotations

import math

import pytest

from bench.tgd.targets import (
    COV_RISE_LIMIT,
    OOD_ERROR_CUT,
    bias_order_check,
    cov_order_check,
    cov_rise_check,
    ood_error_check,
    target_summary,
)


def test_orderings_pass_only_when_strictly_smaller() -> None:
    assert bias_order_check(case="a", level=0.1, tgd_pct=2.0, v1_pct=3.0).passed
    tie = bias_order_check(case="a", level=0.1, tgd_pct=3.0, v1_pct=3.0)
    assert not tie.passed and tie.margin == 0.0
    worse = cov_order_check(case="a", level=0.1, tgd_pct=12.0, ft_pct=10.0)
    assert not worse.passed and worse.margin == pytest.approx(-2.0)
    assert not bias_order_check(case="a", level=0.1, tgd_pct=math.nan, v1_pct=3.0).passed


def test_online_bounds_use_the_cut_and_the_rise() -> None:
    base = 20.0
    at_limit = ood_error_check(case="c", level=0.1, adapted_pct=(1 - OOD_ERROR_CUT) * base, base_pct=base)
    assert at_limit.passed and at_limit.compared_with == pytest.approx(14.0)
    assert not ood_error_check(case="c", level=0.1, adapted_pct=15.0, base_pct=base).passed
    assert "cut 50%" in ood_error_check(case="c", level=0.1, adapted_pct=10.0, base_pct=base).note
    rise = cov_rise_check(case="c", level=0.1, adapted_pct=11.0, base_pct=10.0)
    assert rise.passed and rise.compared_with == pytest.approx(10.0 * (1 + COV_RISE_LIMIT))
    assert not cov_rise_check(case="c", level=0.1, adapted_pct=12.0, base_pct=10.0).passed


def test_the_summary_has_one_verdict_per_checked_target() -> None:
    checks = [
        bias_order_check(case="low", level=0.1, tgd_pct=2.0, v1_pct=3.0),
        bias_order_check(case="high", level=0.1, tgd_pct=4.0, v1_pct=3.0),
        cov_rise_check(case="c", level=0.1, adapted_pct=10.0, base_pct=10.0),
    ]
    lines = target_summary(checks=checks)
    assert len(lines) == 2
    assert lines[0].startswith("FAIL") and "1/2 pass" in lines[0] and "high" in lines[0]
    assert lines[1].startswith("PASS") and "liver CoV" in lines[1]
