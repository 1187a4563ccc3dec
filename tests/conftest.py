"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.volume import mounted_tmpfs

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SMALL_VOLUME_BYTES = 4 * 1024**2


@pytest.fixture(scope="session")
def real_ge_dir() -> Path:
    """The real GE Discovery ST series (267 slices) in ``../shared/data``; skips the test when absent."""
    path = SHARED_DATA / "pet-real-ge-sts001"
    if not path.is_dir():
        pytest.skip(f"real test series not found at {path}")
    return path


@pytest.fixture
def small_volume(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted for the test (:mod:`tests.volume`; skips where none can be mounted), unmounted
    after it whatever the test did to it (filled, remounted read-only)."""
    with mounted_tmpfs(directory=tmp_path / "volume", size_bytes=SMALL_VOLUME_BYTES) as volume:
        yield volume
