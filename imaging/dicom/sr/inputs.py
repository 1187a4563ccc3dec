"""The parts of a job's result document (result.json, DESIGN.md §3) the scores SR needs, checked and typed.

Every malformed value raises :class:`~imaging.errors.InputError` (check ``sr_input``) naming the argument path,
e.g. ``Argument "result['input']['scores']['gqr']" should be a number in 0-3``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imaging.dicom.sr.codes import ScoreName
from imaging.errors import InputError

__all__ = [
    "SCORE_RANGE",
    "ScorerIdentity",
    "SeriesScores",
    "parse_notes",
    "parse_qc",
    "parse_scorer",
    "parse_scores",
    "section",
]

SCORE_RANGE = (0.0, 3.0)
"""Inclusive range of every rating (0 unacceptable ... 3 good/excellent)."""
_CHECK = "sr_input"


@dataclass(frozen=True, kw_only=True)
class SeriesScores:
    """The scores of one series: ratings (0.5 grid, 0-3), unrounded predictions (None when absent; any finite
    number, as a regression head need not stay inside 0-3), their standard
    deviation over the image patches (same units), the calibration text and the number of patches (or None)."""

    values: Mapping[ScoreName, float]
    unrounded: Mapping[ScoreName, float] | None
    uncertainty: Mapping[ScoreName, float]
    calibration: str
    n_patches: int | None


@dataclass(frozen=True, kw_only=True)
class ScorerIdentity:
    """The quality scorer of ``result["provenance"]["scorer"]``."""

    name: str
    version: str
    sha256: str | None
    calibration: str | None


def _error(name: str, wanted: str, value: object) -> InputError:
    return InputError(f'Argument "{name}" should be {wanted}, got {value!r:.80}.', check=_CHECK)


def section(*, parent: Mapping[str, Any], key: str, name: str) -> Any:
    """``parent[key]``; InputError naming ``name[key]`` when ``parent`` is no mapping or lacks ``key``."""
    if not isinstance(parent, Mapping) or key not in parent:
        raise _error(f"{name}['{key}']", "present", parent if not isinstance(parent, Mapping) else None)
    return parent[key]


def _number(value: object, *, name: str, low: float = -math.inf, high: float = math.inf) -> float:
    wanted = "a finite number" if math.isinf(low) and math.isinf(high) else f"a finite number in {low:g}-{high:g}"
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _error(name, wanted, value)
    if not low <= float(value) <= high:
        raise _error(name, wanted, value)
    return float(value)


def _text(value: object, *, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _error(name, "a non-empty string", value)
    return value


def _triple(value: object, *, name: str, low: float, high: float) -> dict[ScoreName, float]:
    if not isinstance(value, Mapping):
        raise _error(name, "a mapping of gqr, pr, dc", value)
    return {
        score: _number(section(parent=value, key=score.value, name=name), name=f"{name}['{score}']", low=low, high=high)
        for score in ScoreName
    }


def parse_scores(*, value: object, name: str) -> SeriesScores | None:
    """The ``scores`` of one series (SCORES.md); None when ``value`` is None (scoring off)."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _error(name, "a mapping or null", value)
    values = _triple(value, name=name, low=SCORE_RANGE[0], high=SCORE_RANGE[1])
    raw = value.get("raw")
    unrounded = None if raw is None else _triple(raw, name=f"{name}['raw']", low=-math.inf, high=math.inf)
    spread = section(parent=value, key="uncertainty", name=name)
    uncertainty = _triple(spread, name=f"{name}['uncertainty']", low=0.0, high=math.inf)
    calibration = _text(section(parent=value, key="calibration", name=name), name=f"{name}['calibration']")
    count = value.get("n_patches")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise _error(f"{name}['n_patches']", "a positive integer or null", count)
    return SeriesScores(
        values=values, unrounded=unrounded, uncertainty=uncertainty, calibration=calibration, n_patches=count
    )


def parse_scorer(*, value: object, name: str) -> ScorerIdentity | None:
    """``result["provenance"]["scorer"]``: None when null."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _error(name, "a mapping or null", value)
    optional = {key: value.get(key) for key in ("sha256", "calibration")}
    for key, item in optional.items():
        if item is not None:
            _text(item, name=f"{name}['{key}']")
    return ScorerIdentity(
        name=_text(section(parent=value, key="name", name=name), name=f"{name}['name']"),
        version=_text(section(parent=value, key="version", name=name), name=f"{name}['version']"),
        sha256=optional["sha256"],
        calibration=optional["calibration"],
    )


def parse_qc(*, value: object, name: str, keys: tuple[str, ...]) -> dict[str, float]:
    """The finite numbers of the ``qc`` section among ``keys``; absent and null entries are left out."""
    if not isinstance(value, Mapping):
        raise _error(name, "a mapping", value)
    found: dict[str, float] = {}
    for key in keys:
        item = value.get(key)
        if item is not None:
            found[key] = _number(item, name=f"{name}['{key}']")
    return found


def parse_notes(*, value: object, name: str) -> tuple[str, ...]:
    """The ``notes`` of the result: a list of non-empty strings; absent or null is no note."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise _error(name, "a list of strings or null", value)
    return tuple(_text(item, name=f"{name}[{index}]") for index, item in enumerate(value))
