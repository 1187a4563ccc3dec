"""Parameter sweeps of the quality benchmark: the best setting of a sweep, and a curve read at a matched abscissa.

Pure functions over plain numbers:

- :func:`best_setting`: the setting with the highest mean score (e.g. PSNR); ties go to the smaller setting
  (the milder filter);
- :func:`curve_value_at`: the ordinate of a piecewise-linear curve (e.g. a Gaussian's contrast recovery vs
  background variability, one point per FWHM, in sweep order) at a given abscissa (e.g. petiq's background
  variability), i.e. the comparison "at matched noise".
"""

from __future__ import annotations

import enum
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Coverage", "CurveValue", "best_setting", "curve_value_at", "on_sweep_edge"]


def best_setting(*, scores: Mapping[float, Sequence[float]]) -> float:
    """The setting whose scores have the highest mean; among equal means the smallest setting.

    Args:
        scores: setting → its scores (e.g. PSNR in dB of each realisation), each non-empty and finite.

    Returns:
        The chosen setting.
    """
    if not scores:
        raise ValueError("Argument 'scores' should hold at least one setting.")
    means: dict[float, float] = {}
    for setting, values in scores.items():
        if len(values) == 0 or not all(math.isfinite(v) for v in values):
            raise ValueError(f"Argument 'scores' should give finite scores for every setting; {setting} has {values}.")
        means[setting] = sum(values) / len(values)
    top = max(means.values())
    return min(setting for setting, mean in means.items() if mean == top)


def on_sweep_edge(*, settings: Sequence[float], chosen: float) -> bool:
    """True when ``chosen`` is the largest of more than one setting: the optimum may lie beyond the sweep.

    The smallest setting is not flagged: sweeps start at "no filtering", which is a genuine bound.
    """
    if chosen not in settings:
        raise ValueError(f"Argument 'chosen' should be one of 'settings' {tuple(settings)}, got {chosen}.")
    return len(settings) > 1 and chosen == max(settings)


class Coverage(enum.StrEnum):
    """Where the requested abscissa lies relative to the curve."""

    INSIDE = "inside"
    BELOW = "below"
    ABOVE = "above"


@dataclass(frozen=True, kw_only=True)
class CurveValue:
    """The curve read at an abscissa.

    Attributes:
        value: the interpolated ordinate (INSIDE), else the ordinate of the end point with the nearest abscissa
            (the larger one if several points share it).
        coverage: INSIDE when a segment of the curve spans the abscissa; BELOW / ABOVE when it lies under the
            smallest / over the largest abscissa of the curve (``value`` is then that end point's ordinate).
    """

    value: float
    coverage: Coverage


def curve_value_at(*, curve: Sequence[tuple[float, float]], at: float) -> CurveValue:
    """The ordinate of the polyline through ``curve`` (points ``(x, y)`` in sweep order) at ``x = at``.

    Each segment whose abscissas span ``at`` gives a linearly interpolated ordinate (a vertical segment gives
    the larger of its two ordinates); a curve that is not monotone in ``x`` may cross ``at`` more than once, and
    the largest of those ordinates is returned (for a contrast-vs-noise curve of a baseline: the baseline's best
    contrast at that noise, so a comparison against it is conservative).

    Args:
        curve: at least one finite ``(x, y)`` point, in the order of the swept parameter.
        at: the abscissa, finite.

    Returns:
        :class:`CurveValue`.
    """
    points = [(float(x), float(y)) for x, y in curve]
    if not points or not all(math.isfinite(x) and math.isfinite(y) for x, y in points) or not math.isfinite(at):
        raise ValueError(f"Arguments 'curve' (≥ 1 finite point) and 'at' (finite) are invalid: {curve}, {at}.")
    crossings = [y for x, y in points if x == at]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if min(x0, x1) < at < max(x0, x1):
            crossings.append(y0 + (y1 - y0) * (at - x0) / (x1 - x0))
    if crossings:
        return CurveValue(value=max(crossings), coverage=Coverage.INSIDE)
    low, high = min(x for x, _ in points), max(x for x, _ in points)
    end, coverage = (low, Coverage.BELOW) if at < low else (high, Coverage.ABOVE)
    return CurveValue(value=max(y for x, y in points if x == end), coverage=coverage)
