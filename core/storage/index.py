"""Per-series index files: read, written atomically (temp + rename), and a file lock around updates."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from core.storage.models import SeriesIndex
from imaging.atomic import write_atomic
from imaging.errors import OutputError

__all__ = ["read_index", "series_lock", "write_index"]


def read_index(*, path: Path) -> SeriesIndex | None:
    """The index at ``path``; None when there is none. OutputError when it exists but cannot be parsed."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return SeriesIndex.model_validate_json(text)
    except ValidationError as error:
        raise OutputError(f"The series index is corrupt: {error.error_count()} error(s).", path=str(path)) from error


def write_index(*, path: Path, index: SeriesIndex) -> None:
    """Write ``index`` to ``path`` atomically; OutputError on failure."""
    text = index.model_dump_json(indent=1).encode()
    write_atomic(path=path, write=lambda handle: handle.write(text))


@contextmanager
def series_lock(*, path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created with its folders) for the duration of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
