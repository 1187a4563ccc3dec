"""The real series the benchmarks read from ``../shared/data`` beside the repository (read-only; a script skips or
says so when one is absent)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["GE_SERIES", "NEMA_SERIES", "REPO", "SHARED_DATA"]

REPO = Path(__file__).resolve().parents[1]
"""This checkout."""
SHARED_DATA = REPO.parent / "shared" / "data"
GE_SERIES = SHARED_DATA / "pet-real-ge-sts001"
"""The real GE Discovery ST whole-body series (267 slices of 128 × 128)."""
NEMA_SERIES = SHARED_DATA / "pet-nema-iec-real"
"""The real NEMA IEC body phantom scan."""
