"""A pipeline stage and its fraction as the job's overall progress, percent.

Each stage of the pipeline has a share of 100 %; a stage that is skipped (no adaptation, no scoring) counts as
done once a later stage starts, so progress only moves forward. 100 % is reached only when the job succeeded
(the derived series is in storage), so a running job shows at most ``RUNNING_CAP``.
"""

from __future__ import annotations

__all__ = ["RUNNING_CAP", "STAGE_SHARES", "percent"]

STAGE_SHARES: dict[str, float] = {
    "load": 5.0,
    "adapt": 30.0,
    "denoise": 30.0,
    "uncertainty": 15.0,
    "qc": 5.0,
    "score": 5.0,
    "write": 10.0,
}
"""Share of each stage in percent, in pipeline order (sums to 100); ``uncertainty`` denoises the two splits."""

RUNNING_CAP = 99.0


def percent(*, stage: str, fraction: float) -> float:
    """Overall progress when ``stage`` is ``fraction`` (0–1) done; ValueError for an unknown stage."""
    if stage not in STAGE_SHARES:
        raise ValueError(f"Argument 'stage' should be one of {sorted(STAGE_SHARES)}, got {stage!r}.")
    before = 0.0
    for name, share in STAGE_SHARES.items():
        if name == stage:
            return min(RUNNING_CAP, before + share * min(max(fraction, 0.0), 1.0))
        before += share
    raise AssertionError("unreachable")
