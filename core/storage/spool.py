"""Received bytes spooled to temporary files on the storage volume (so storing is a rename), hashed on the way.

A spool file that cannot be written is deleted before the error is raised: an
:class:`~core.errors.InsufficientStorageError` when the volume is full or read-only
(:mod:`core.storage.faults`), an :class:`~imaging.errors.OutputError` for any other I/O error.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.storage.faults import os_error_in, storage_fault
from imaging.errors import OutputError

__all__ = ["SpoolWriter", "SpooledFile", "discard"]

_LOG = logging.getLogger(__name__)
_ACTION = "The received data could not be spooled"


@dataclass(frozen=True)
class SpooledFile:
    """A complete spooled part: its temporary ``path``, ``size`` in bytes, ``sha256`` hex digest and the part's
    Content-Type (``""`` when the part had none)."""

    path: Path
    size: int
    sha256: str
    content_type: str = ""


def _spool_error(error: OSError, *, path: Path) -> OutputError:
    """The error to raise for ``error`` while spooling to ``path`` (the message names no path)."""
    fault = storage_fault(error, action=_ACTION)
    if fault is not None:
        return fault
    found = os_error_in(error)
    reason = found.strerror if found is not None and found.strerror else type(error).__name__
    return OutputError(f"{_ACTION} ({reason}).", path=str(path))


class SpoolWriter:
    """One temporary file in ``directory`` being written; :meth:`close` fsyncs it and returns its record.

    Raises (each method):
        InsufficientStorageError: the volume is full or read-only; the file is deleted.
        OutputError: any other I/O error; the file is deleted.
    """

    def __init__(self, *, directory: Path, content_type: str = "") -> None:
        try:
            directory.mkdir(parents=True, exist_ok=True)
            descriptor, name = tempfile.mkstemp(dir=directory, prefix="part-", suffix=".tmp")
        except OSError as error:
            raise _spool_error(error, path=directory) from error
        self.path = Path(name)
        self._file = os.fdopen(descriptor, "wb")
        self._hash = hashlib.sha256()
        self._size = 0
        self._content_type = content_type

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        try:
            self._file.write(data)
        except OSError as error:
            self.abort()
            raise _spool_error(error, path=self.path) from error
        self._hash.update(data)
        self._size += len(data)

    def close(self) -> SpooledFile:
        """Flush, fsync and close the file; the record of what was written."""
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        except OSError as error:
            self.abort()
            raise _spool_error(error, path=self.path) from error
        return SpooledFile(
            path=self.path, size=self._size, sha256=self._hash.hexdigest(), content_type=self._content_type
        )

    def abort(self) -> None:
        """Close and delete the file (again: a no-op); never raises (closing flushes what a full volume refused)."""
        with contextlib.suppress(OSError):
            self._file.close()
        _unlink(self.path)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:  # a volume gone read-only: the file stays, unindexed, invisible to readers
        _LOG.warning("could not delete the spool file %s: %s", path, error)


def discard(files: Iterable[SpooledFile]) -> None:
    """Delete whatever of ``files`` is still in the spool (stored ones were renamed away already); never raises."""
    for file in files:
        _unlink(file.path)
