"""Exponential backoff of retries: 1, 2, 4 … s, capped (a job's retry after a transient error, the gateway's
next try at sending a message the broker refused)."""

from __future__ import annotations

__all__ = ["MAX_BACKOFF_S", "backoff_s"]

MAX_BACKOFF_S = 60.0


def backoff_s(*, retries: int, cap_s: float = MAX_BACKOFF_S) -> float:
    """Seconds to wait before retry number ``retries + 1``: ``2**retries`` (1, 2, 4, …), at most ``cap_s``."""
    return float(min(cap_s, 2.0 ** min(max(retries, 0), 30)))
