"""Atomic writes, all or nothing: a file through a temp file in its folder and ``os.replace``; a folder through a
hidden staging sibling renamed into place (:func:`staged_directory`); and :func:`fsync_path`, the one fsync of a
file or folder by its path. Every package may use these (imaging imports none of petiq's other packages).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from imaging.errors import OutputError

__all__ = ["folder_is_free", "fsync_path", "staged_directory", "write_atomic", "write_json_atomic"]


def fsync_path(path: Path) -> None:
    """fsync the file or folder ``path``: its data and metadata (for a folder: the names renamed into it) reach
    the storage. Raises OSError."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def folder_is_free(path: Path) -> bool:
    """Whether ``path`` may be the target of :func:`staged_directory`: absent, or an empty folder."""
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


def _remove(*, staging: Path | None, parents: list[Path]) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    for parent in parents:  # innermost first; one another process filled stays
        with contextlib.suppress(OSError):
            parent.rmdir()


@contextlib.contextmanager
def staged_directory(*, target: Path, mode: int | None = None, durable: bool = False) -> Iterator[Path]:
    """Yield a new hidden folder ``target.parent/.{target.name}.<random>.tmp``; rename it to ``target`` when the
    block succeeds, so that ``target`` appears complete or not at all.

    The caller checks beforehand that ``target`` is free (:func:`folder_is_free`; the rename replaces an empty
    folder on POSIX and fails on a non-empty one). Missing parents of ``target`` are created.

    Args:
        target: the folder to create.
        mode: when given, the permissions of the staging folder (``mkdtemp`` makes it private) and, before the
            rename, of its direct subfolders, e.g. ``0o755`` for an ordinary folder.
        durable: fsync the staging folder before the rename and ``target``'s parent after it (the files in it
            are the block's to fsync).

    Raises:
        OSError: the folder could not be created, synced or renamed. On any failure (also one raised by the
            block, which propagates unchanged) the staging folder and the parents created for it are removed.
    """
    parents: list[Path] = []
    staging: Path | None = None
    try:
        parents = [parent for parent in target.parents if not parent.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        if mode is not None:
            os.chmod(staging, mode)
        yield staging
        if mode is not None:
            for folder in (path for path in staging.iterdir() if path.is_dir()):
                os.chmod(folder, mode)
        if durable:
            fsync_path(staging)
        os.rename(staging, target)  # atomic; replaces an empty folder on POSIX
    except BaseException:
        _remove(staging=staging, parents=parents)
        raise
    if durable:
        fsync_path(target.parent)


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
