"""Denoising strength levels as blend weights: ``out = input + α · (network output − input)``, α in (0, 1].

A level (``low``, ``medium``, ``high``: :data:`LEVELS`, the values of :class:`core.strength.Strength`) is a
blend weight α of the denoiser's weight bundle: ``dncnn.json`` may hold ``"strengths": {"low": a, "medium": b,
"high": c}`` (calibrated on a benchmark for that network; :func:`parse_strengths` checks it), else
:data:`DEFAULT_BLEND` applies. α = 1 is the network's full output; α = 0.5 the midpoint of input and output,
i.e. half of the removed noise put back. The blend is linear, so it keeps the body's total activity up to the
network's own change of it (which :func:`models.inference.denoise_volume` corrects afterwards).

Pure and torch-free: the onnxruntime path and the bundle reader use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = ["DEFAULT_BLEND", "LEVELS", "blend_weight", "check_blend", "parse_strengths"]

LEVELS: tuple[str, ...] = ("low", "medium", "high")
"""The strength levels, from the least to the most denoising (as :class:`core.strength.Strength`)."""
DEFAULT_BLEND: Mapping[str, float] = {"low": 0.5, "medium": 0.75, "high": 1.0}
"""Blend weight α of each level for a bundle without calibrated ``strengths``."""


def check_blend(*, blend: float) -> float:
    """``blend`` as a float when it is a finite number with 0 < blend ≤ 1; ValueError otherwise."""
    if isinstance(blend, bool) or not isinstance(blend, int | float) or not 0.0 < float(blend) <= 1.0:
        raise ValueError(f"Argument 'blend' should be a number in (0, 1], got {blend!r}.")
    return float(blend)


def parse_strengths(*, value: object) -> dict[str, float] | None:
    """A bundle's ``strengths`` mapping checked: None when ``value`` is None (the bundle has none), else every
    level of :data:`LEVELS` and nothing else, each α with 0 < α ≤ 1, and ``low ≤ medium ≤ high``.

    Raises:
        ValueError: one line naming what is wrong.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != set(LEVELS):
        keys = sorted(map(str, value)) if isinstance(value, Mapping) else value
        raise ValueError(f"'strengths' should map exactly {', '.join(LEVELS)} to a blend weight, got {keys!r}.")
    weights: dict[str, float] = {}
    for level in LEVELS:
        alpha = value[level]
        if isinstance(alpha, bool) or not isinstance(alpha, int | float) or not math.isfinite(alpha):
            raise ValueError(f"'strengths.{level}' should be a number in (0, 1], got {alpha!r}.")
        if not 0.0 < float(alpha) <= 1.0:
            raise ValueError(f"'strengths.{level}' should be a number in (0, 1], got {alpha!r}.")
        weights[level] = float(alpha)
    if not weights["low"] <= weights["medium"] <= weights["high"]:
        raise ValueError(f"'strengths' should grow from low to high (low ≤ medium ≤ high), got {weights}.")
    return weights


def blend_weight(*, strengths: Mapping[str, float] | None, strength: str) -> float:
    """The blend weight α of level ``strength`` (one of :data:`LEVELS`) from a bundle's checked ``strengths``
    (:func:`parse_strengths`), or from :data:`DEFAULT_BLEND` when it has none (None)."""
    if strength not in LEVELS:
        raise ValueError(f"Argument 'strength' should be one of {', '.join(LEVELS)}, got {strength!r}.")
    return float((DEFAULT_BLEND if strengths is None else strengths)[str(strength)])
