"""Storage faults for the tests: a small real tmpfs, filled up or remounted read-only, and fake OS errors.

Mounting needs root (CAP_SYS_ADMIN): where the machine does not allow it, :func:`mounted_tmpfs` skips the test
with the reason. On tmpfs an empty file or folder takes no space and a file takes whole 4 KiB pages, so the free
space a test leaves is exact. :func:`os_error` and :class:`RefusingFile` fake the same faults anywhere.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "FAKE_PATH",
    "PAGE_BYTES",
    "RefusingFile",
    "fill",
    "free_bytes",
    "mounted_tmpfs",
    "os_error",
    "pages",
    "remount",
]

PAGE_BYTES = 4096
FAKE_PATH = "/srv/secret-volume/part.tmp"
"""The file name the fake errors carry: it must never reach a response or a job's problem detail."""
_FILLER = "filler.bin"


def os_error(code: int) -> OSError:
    """The OSError a write on a faulty volume raises (``errno.ENOSPC``, ``errno.EROFS``…), naming :data:`FAKE_PATH`."""
    return OSError(code, os.strerror(code), FAKE_PATH)


class RefusingFile:
    """Stands in for an open file on a volume that refuses writes: write and flush raise ``error``, and so does
    close (it flushes), after closing ``real``."""

    def __init__(self, real: Any, error: OSError) -> None:
        self.real, self.error = real, error

    def write(self, data: bytes) -> int:
        raise self.error

    def flush(self) -> None:
        raise self.error

    def fileno(self) -> int:
        return int(self.real.fileno())

    def close(self) -> None:
        self.real.close()
        raise self.error


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)


@contextmanager
def mounted_tmpfs(*, directory: Path, size_bytes: int) -> Iterator[Path]:
    """A tmpfs of ``size_bytes`` mounted on ``directory`` (created) for the block; unmounted after it (lazily
    when still busy). Skips the test when it cannot be mounted."""
    directory.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0755", "tmpfs", str(directory))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield directory
    finally:
        if _run("umount", str(directory)).returncode != 0:
            _run("umount", "-l", str(directory))


def free_bytes(volume: Path) -> int:
    """Bytes free on the file system of ``volume``."""
    found = os.statvfs(volume)
    return found.f_bavail * found.f_frsize


def pages(size: int) -> int:
    """Bytes of tmpfs a file of ``size`` bytes takes (whole pages)."""
    return -(-size // PAGE_BYTES) * PAGE_BYTES


def fill(volume: Path, *, leave_bytes: int) -> None:
    """Write a filler file on ``volume`` so that exactly ``leave_bytes`` (a multiple of 4 KiB) stay free."""
    assert leave_bytes % PAGE_BYTES == 0, leave_bytes
    size = free_bytes(volume) - leave_bytes
    assert size >= 0, f"the volume has less than {leave_bytes} bytes free"
    with (volume / _FILLER).open("ab") as handle:
        handle.write(b"\0" * size)
    assert free_bytes(volume) == leave_bytes


def remount(volume: Path, *, read_only: bool) -> None:
    """Remount the tmpfs on ``volume`` read-only or read-write."""
    done = _run("mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(volume))
    assert done.returncode == 0, done.stderr
