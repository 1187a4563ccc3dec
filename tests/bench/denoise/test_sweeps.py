"""Best-of-sweep selection and reading a curve at a matched abscissa."""

from __future__ import annotations

import math

import pytest

from bench.denoise.sweeps import Coverage, best_setting, curve_value_at, on_sweep_edge


def test_best_setting_takes_the_highest_mean_not_the_highest_single_score() -> None:
    scores = {2.0: [30.0, 30.0], 4.0: [35.0, 20.0], 6.0: [29.0, 29.5]}
    means = {setting: sum(values) / len(values) for setting, values in scores.items()}
    assert best_setting(scores=scores) == max(means, key=lambda setting: means[setting])
    assert best_setting(scores=scores) == 2.0


def test_best_setting_breaks_ties_towards_the_smaller_setting() -> None:
    assert best_setting(scores={8.0: [31.0], 4.0: [31.0], 12.0: [30.0]}) == 4.0


@pytest.mark.parametrize("scores", [{}, {1.0: []}, {1.0: [math.nan]}, {1.0: [30.0], 2.0: [math.inf]}])
def test_best_setting_rejects_empty_or_non_finite_scores(scores: dict[float, list[float]]) -> None:
    with pytest.raises(ValueError, match="scores"):
        best_setting(scores=scores)


def test_on_sweep_edge_flags_only_the_largest_setting_of_a_real_sweep() -> None:
    settings = [0.0, 4.0, 8.0]
    assert [on_sweep_edge(settings=settings, chosen=s) for s in settings] == [False, False, True]
    assert not on_sweep_edge(settings=[4.0], chosen=4.0)
    with pytest.raises(ValueError, match="chosen"):
        on_sweep_edge(settings=settings, chosen=5.0)


def _line(x: float) -> float:
    return 0.5 * x + 3.0


def test_curve_value_at_interpolates_a_straight_curve_exactly() -> None:
    # A Gaussian-like sweep: both BV (x) and CR (y) fall as the FWHM grows; the points lie on one line.
    curve = [(x, _line(x)) for x in (40.0, 25.0, 12.0, 6.0)]
    for at in (39.0, 30.5, 12.0, 7.25):
        read = curve_value_at(curve=curve, at=at)
        assert read.coverage is Coverage.INSIDE
        assert read.value == pytest.approx(_line(at))


def test_curve_value_at_takes_the_largest_crossing_of_a_non_monotone_curve() -> None:
    curve = [(10.0, 50.0), (6.0, 40.0), (8.0, 20.0)]  # x = 7 is crossed on both segments
    first = 50.0 + (40.0 - 50.0) * (7.0 - 10.0) / (6.0 - 10.0)
    second = 40.0 + (20.0 - 40.0) * (7.0 - 6.0) / (8.0 - 6.0)
    assert curve_value_at(curve=curve, at=7.0).value == pytest.approx(max(first, second))


def test_curve_value_at_outside_the_curve_returns_the_nearest_end_and_says_so() -> None:
    curve = [(30.0, 60.0), (20.0, 45.0), (10.0, 30.0), (10.0, 28.0)]
    below = curve_value_at(curve=curve, at=5.0)
    above = curve_value_at(curve=curve, at=31.0)
    assert (below.coverage, below.value) == (Coverage.BELOW, 30.0)  # the larger of the two points at x = 10
    assert (above.coverage, above.value) == (Coverage.ABOVE, 60.0)


def test_curve_value_at_rejects_an_empty_or_non_finite_curve() -> None:
    for curve, at in (([], 1.0), ([(1.0, math.nan)], 1.0), ([(1.0, 2.0)], math.inf)):
        with pytest.raises(ValueError, match="curve"):
            curve_value_at(curve=curve, at=at)
