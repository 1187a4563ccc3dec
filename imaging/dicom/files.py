"""Atomic DICOM file output: a whole series appears at once, or nothing does.

A series is written into a hidden temporary sibling of the target directory (:func:`imaging.atomic.staged_directory`):
every file is written (each dataset encoded once, to the bytes ``dcmwrite`` writes: :mod:`imaging.dicom.encode`),
then all of them are fsynced in one pass (by a few threads at once: the storage flushes them together rather than
one after another), then the directory is fsynced and renamed onto the target.
A single file goes through a temporary file in the same directory and ``os.replace``. On any failure the
temporaries are removed and :class:`OutputError` raised.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from pydicom import Dataset, dcmwrite

from imaging.atomic import folder_is_free, fsync_path, staged_directory
from imaging.dicom.encode import SeriesEncoder
from imaging.errors import OutputError

__all__ = ["series_file_name", "write_dataset", "write_series"]

_SYNC_THREADS = 8
"""Files of a series fsynced at once (an fsync waits on the storage, not on Python; a thread pool for the writes
themselves gains nothing: pydicom's encoding holds the GIL)."""


def series_file_name(dataset: Dataset) -> str:
    """The file name of a series member: ``{InstanceNumber:04d}.dcm``."""
    return f"{int(dataset.InstanceNumber):04d}.dcm"


def _write_files(*, datasets: Sequence[Dataset], paths: Sequence[Path]) -> None:
    """Write each dataset as a new DICOM file (preamble, file meta), then fsync them all (data and metadata)."""
    encoder = SeriesEncoder()
    for dataset, path in zip(datasets, paths, strict=True):
        with path.open("xb") as handle:
            if encoder.encodes(dataset):
                handle.write(encoder.encode(dataset))
            else:
                dcmwrite(handle, dataset, enforce_file_format=True)
    with ThreadPoolExecutor(max_workers=min(_SYNC_THREADS, len(paths))) as pool:
        for _ in pool.map(fsync_path, paths):  # raises the first failure, once every fsync has ended
            pass


def _write_synced(*, dataset: Dataset, handle: BinaryIO) -> None:
    """Write ``dataset`` as a DICOM file (preamble, file meta) to the open file ``handle`` and fsync it."""
    dcmwrite(handle, dataset, enforce_file_format=True)
    handle.flush()
    os.fsync(handle.fileno())


def _file_names(datasets: Sequence[Dataset]) -> list[str]:
    if not datasets:
        raise ValueError("Argument 'datasets' should hold at least one dataset.")
    if any("InstanceNumber" not in ds or ds.InstanceNumber is None for ds in datasets):
        raise ValueError("Argument 'datasets' should give every dataset an InstanceNumber (it names the file).")
    names = [series_file_name(ds) for ds in datasets]
    if len(set(names)) != len(names):
        raise ValueError("Argument 'datasets' should have distinct InstanceNumber values.")
    return names


def write_series(*, datasets: Sequence[Dataset], directory: Path) -> list[Path]:
    """Write ``datasets`` as ``directory/{InstanceNumber:04d}.dcm``, all or nothing.

    Args:
        datasets: the series' datasets, each with file meta and a distinct Instance Number.
        directory: the target; must not exist or be empty. Its parent is created when missing.

    Returns:
        The written paths, in the order of ``datasets``.

    Raises:
        OutputError: ``directory`` is not empty, or writing failed (then nothing is left behind).
    """
    names = _file_names(datasets)
    directory = Path(directory)
    if not folder_is_free(directory):
        raise OutputError(
            "Output directory exists and is not empty; choose a new one.", check="output_empty", path=str(directory)
        )
    created = False
    try:
        with staged_directory(target=directory, durable=True) as staging:
            created = True
            _write_files(datasets=datasets, paths=[staging / name for name in names])
    except Exception as error:
        what = "Writing the series failed" if created else "Cannot create the output directory"
        raise OutputError(f"{what}: {error}", path=str(directory)) from error
    return [directory / name for name in names]


def write_dataset(*, dataset: Dataset, path: Path) -> Path:
    """Write one dataset to ``path`` atomically (temporary file in the same directory, then ``os.replace``).

    An existing file at ``path`` is replaced. Raises :class:`OutputError` when writing fails; then ``path`` is
    untouched and no temporary file is left.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise OutputError(f"Cannot create the output file: {error}", path=str(path)) from error
    staging = Path(temporary)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            _write_synced(dataset=dataset, handle=handle)
        os.replace(staging, path)
        fsync_path(path.parent)
    except Exception as error:
        staging.unlink(missing_ok=True)
        raise OutputError(f"Writing the file failed: {error}", path=str(path)) from error
    return path
