"""A non-blocking ``flock``: whether this process can hold a lock file now (the run lock of a job, the lock of
its delivery). The kernel releases the lock when its holder's process dies, so "free" means that no live process
(on any host sharing the volume, where the file system supports ``flock``) holds it. Two opens of the same file
lock each other out even within one process.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["exclusive_lock"]


@contextmanager
def exclusive_lock(path: Path) -> Iterator[bool]:
    """Try to hold an exclusive flock on ``path`` (created if missing): yields whether this process holds it,
    released when the block exits."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)
