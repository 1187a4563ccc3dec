"""From the observer's quality indices to the clinicians' 0–3 scale, and the scale's 0.5 grid.

The map is monotone and piecewise linear per phantom family and metric. Its anchors are the median index of the
training patients at each count level, and the scores they map to are where the seed papers' clinicians put the
dose groups (low 0.5–1 %, medium 5–10 %, high 25–100 %)::

    count level   0.5 %  1 %   5 %   10 %  25 %  50 %
    score         0.5    1.0   1.5   2.0   2.5   3.0

Beyond the 50 % anchor the score stays 3; below the 0.5 % anchor it falls along the first segment's slope to 0.
Anchors that do not increase with the count level are made increasing (the observer's indices are monotone in
the noise, so this only guards against ties). A calibration is stored with its ``label``, which every prediction
carries, so that nobody mistakes a model observer for a clinician.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from imaging.errors import InputError

__all__ = [
    "ANCHOR_SCORES",
    "METRICS",
    "OBSERVER_LABEL",
    "ObserverCalibration",
    "fit_calibration",
    "round_to_grid",
]

METRICS = ("gqr", "pr", "dc")
"""Global quality rating, pathology recognisable, diagnostic confidence."""

ANCHOR_SCORES: Mapping[float, float] = {0.005: 0.5, 0.01: 1.0, 0.05: 1.5, 0.1: 2.0, 0.25: 2.5, 0.5: 3.0}
"""Count level (fraction of the full dose) → the score its median patient gets."""

OBSERVER_LABEL = "model-observer-sim/2: a model observer on simulated studies, not clinician scores"
"""The calibration label of the shipped scorer."""


def round_to_grid(values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Scores rounded to the 0.5 grid and clipped to [0, 3]."""
    return np.asarray(np.clip(np.round(np.asarray(values, dtype=np.float64) * 2.0) / 2.0, 0.0, 3.0))


@dataclass(frozen=True, kw_only=True)
class ObserverCalibration:
    """Anchors ``{family: {metric: [index at each level of ANCHOR_SCORES, increasing]}}`` and the label."""

    anchors: Mapping[str, Mapping[str, Sequence[float]]]
    label: str = OBSERVER_LABEL

    def scores(self, *, family: str, q: Sequence[float]) -> tuple[float, float, float]:
        """Unrounded ``(gqr, pr, dc)`` in [0, 3] of the indices ``q = (q_GQR, q_PR, q_DC)`` of a ``family`` image.

        Raises:
            InputError: ``family`` has no anchors (check ``observer_family``).
        """
        if family not in self.anchors:
            raise InputError(
                f"Argument 'family' should be one of {sorted(self.anchors)}, got {family!r}.", check="observer_family"
            )
        targets = np.asarray(list(ANCHOR_SCORES.values()))
        result = []
        for metric, value in zip(METRICS, q, strict=True):
            xs = np.asarray(self.anchors[family][metric], dtype=np.float64)
            slope = (targets[1] - targets[0]) / max(xs[1] - xs[0], 1e-9)
            score = np.interp(value, xs, targets) if value >= xs[0] else targets[0] + slope * (value - xs[0])
            result.append(float(np.clip(score, 0.0, 3.0)))
        return result[0], result[1], result[2]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "label": self.label,
            "levels": list(ANCHOR_SCORES),
            "anchors": {f: dict(m) for f, m in self.anchors.items()},
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> ObserverCalibration:
        """Inverse of :meth:`to_dict`."""
        anchors = {
            f: {m: [float(x) for x in xs] for m, xs in metrics.items()} for f, metrics in value["anchors"].items()
        }
        return cls(anchors=anchors, label=str(value["label"]))


def _increasing(values: Sequence[float]) -> list[float]:
    out = [float(values[0])]
    for value in values[1:]:
        out.append(max(float(value), out[-1] + 1e-3))
    return out


def fit_calibration(*, records: Sequence[tuple[str, float, Sequence[float]]]) -> ObserverCalibration:
    """Anchors from ``(family, count level, q)`` records of training images: per family, metric and anchor level,
    the median index (module docstring).

    Raises:
        InputError: a family lacks an anchor level (check ``observer_anchors``).
    """
    anchors: dict[str, dict[str, list[float]]] = {}
    for family in sorted({record[0] for record in records}):
        medians = []
        for level in ANCHOR_SCORES:
            rows = [q for f, lv, q in records if f == family and np.isclose(lv, level)]
            if not rows:
                raise InputError(
                    f"Argument 'records' should hold {family} images at count level {level:g}; it holds none.",
                    check="observer_anchors",
                )
            medians.append(np.median(np.asarray(rows, dtype=np.float64), axis=0))
        table = np.asarray(medians)
        anchors[family] = {metric: _increasing(table[:, i].tolist()) for i, metric in enumerate(METRICS)}
    return ObserverCalibration(anchors=anchors)
