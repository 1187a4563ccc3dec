"""How much room the storage volume has left, from ``statvfs(2)`` (what ``/readyz`` and ``/metrics`` report)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["VolumeSpace", "volume_space"]


@dataclass(frozen=True, kw_only=True)
class VolumeSpace:
    """The state of the file system holding a path.

    Attributes:
        free_bytes: bytes an unprivileged process may still write (``f_bavail × f_frsize``).
        total_bytes: the file system's size, bytes (``f_blocks × f_frsize``).
        read_only: mounted read-only (``ST_RDONLY``).
    """

    free_bytes: int
    total_bytes: int
    read_only: bool


def volume_space(*, path: Path) -> VolumeSpace:
    """The space of the file system holding ``path`` (which must exist); OSError when it cannot be read."""
    found = os.statvfs(path)
    return VolumeSpace(
        free_bytes=found.f_bavail * found.f_frsize,
        total_bytes=found.f_blocks * found.f_frsize,
        read_only=bool(found.f_flag & os.ST_RDONLY),
    )
