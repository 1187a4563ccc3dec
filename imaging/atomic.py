"""Atomic file writes: a temp file in the target's folder, fsync, then ``os.replace`` (all or nothing)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from imaging.errors import OutputError

__all__ = ["write_atomic", "write_json_atomic"]


def write_atomic(*, path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Call ``write`` on a temp file next to ``path``, then rename it to ``path``; OutputError on failure."""
    handle = None
    try:
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        ) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, path)
    except OSError as error:
        if handle is not None:
            with contextlib.suppress(OSError):
                os.unlink(handle.name)
        raise OutputError(f"Could not write {path.name}: {error}.", path=str(path)) from error


def write_json_atomic(*, path: Path, value: Any) -> None:
    """Write ``value`` as indented UTF-8 JSON to ``path`` atomically; OutputError on failure."""
    text = (json.dumps(value, indent=2, allow_nan=False) + "\n").encode()
    write_atomic(path=path, write=lambda handle: handle.write(text))
