"""Received bytes spooled to temporary files on the storage volume (so storing is a rename), hashed on the way."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SpoolWriter", "SpooledFile", "discard"]


@dataclass(frozen=True)
class SpooledFile:
    """A complete spooled part: its temporary ``path``, ``size`` in bytes, ``sha256`` hex digest and the part's
    Content-Type (``""`` when the part had none)."""

    path: Path
    size: int
    sha256: str
    content_type: str = ""


class SpoolWriter:
    """One temporary file in ``directory`` being written; :meth:`close` fsyncs it and returns its record."""

    def __init__(self, *, directory: Path, content_type: str = "") -> None:
        directory.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=directory, prefix="part-", suffix=".tmp")
        self.path = Path(name)
        self._file = os.fdopen(descriptor, "wb")
        self._hash = hashlib.sha256()
        self._size = 0
        self._content_type = content_type

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        self._file.write(data)
        self._hash.update(data)
        self._size += len(data)

    def close(self) -> SpooledFile:
        """Flush, fsync and close the file; the record of what was written."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        return SpooledFile(
            path=self.path, size=self._size, sha256=self._hash.hexdigest(), content_type=self._content_type
        )

    def abort(self) -> None:
        """Close and delete the file."""
        self._file.close()
        self.path.unlink(missing_ok=True)


def discard(files: Iterable[SpooledFile]) -> None:
    """Delete whatever of ``files`` is still in the spool (stored ones were renamed away already)."""
    for file in files:
        file.path.unlink(missing_ok=True)
