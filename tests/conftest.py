"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def real_ge_dir() -> Path:
    """The real GE Discovery ST series (267 slices) in ``../shared/data``; skips the test when absent."""
    path = SHARED_DATA / "pet-real-ge-sts001"
    if not path.is_dir():
        pytest.skip(f"real test series not found at {path}")
    return path
