"""Parse one DICOM file with bounded memory: a Deflated dataset is inflated as a bounded stream.

pydicom's ``dcmread`` inflates a Deflated Explicit VR Little Endian file (1.2.840.10008.1.2.1.99) whole, so a
3 MB file can make it allocate gigabytes. Here the File Meta Information is read first; for any other transfer
syntax the file goes to ``dcmread`` as it is (it then holds no more than the file's own size; a file of at most
16 MiB is read whole and parsed from memory, about twice as fast as parsing from many small reads), a Deflated
one is inflated in chunks up to :data:`~imaging.dicom.limits.MAX_INFLATED_BYTES`, parsed as Explicit VR Little Endian,
then held to its own image size plus header slack (:func:`~imaging.dicom.limits.check_inflated_size`).
"""

from __future__ import annotations

import io
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import pydicom
from pydicom.dataset import FileDataset
from pydicom.filereader import _read_file_meta_info, read_dataset, read_preamble
from pydicom.uid import DeflatedExplicitVRLittleEndian

from imaging.dicom.limits import MAX_INFLATED_BYTES, check_inflated_size
from imaging.errors import NotDicomError, UnsupportedError

__all__ = ["inflate", "read_bounded"]

_CHUNK_BYTES = 1 << 20
_IN_MEMORY_BYTES = 16 << 20
"""A file up to this size is read whole, then parsed from memory; a larger one is parsed from the file."""


def inflate(*, source: BinaryIO, limit: int, name: str) -> bytes:
    """The raw deflate stream read from ``source`` (to its end), inflated; at most ``limit`` bytes are produced.

    Raises:
        UnsupportedError: ``check="limits"``, the stream inflates to more than ``limit`` bytes.
        NotDicomError: ``check="truncated"``, the stream is corrupt.
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    pieces: list[bytes] = []
    total = 0
    try:
        while not inflater.eof and (pending := source.read(_CHUNK_BYTES)):
            while pending and not inflater.eof:
                piece = inflater.decompress(pending, min(limit + 1 - total, _CHUNK_BYTES * 4))
                pending = inflater.unconsumed_tail
                total += len(piece)
                if total > limit:
                    raise UnsupportedError(
                        f"The Deflated dataset of {name} inflates to more than {limit} bytes.",
                        check="limits",
                        path=name,
                    )
                pieces.append(piece)
    except zlib.error as error:
        raise NotDicomError(
            f"The Deflated dataset of {name} is corrupt: {error}.", check="truncated", path=name
        ) from error
    return b"".join(pieces)


def _read_deflated(handle: BinaryIO, *, name: str, force: bool) -> FileDataset:
    preamble = read_preamble(handle, force)
    file_meta = _read_file_meta_info(handle)
    inflated = inflate(source=handle, limit=MAX_INFLATED_BYTES, name=name)
    dataset = read_dataset(io.BytesIO(inflated), is_implicit_VR=False, is_little_endian=True)
    check_inflated_size(dataset=dataset, inflated=len(inflated), name=name)
    result = FileDataset(name, dataset, preamble, file_meta, is_implicit_VR=False, is_little_endian=True)
    result.set_original_encoding(False, True, dataset._character_set)
    return result


def _is_deflated(handle: BinaryIO, *, force: bool) -> bool:
    start = handle.tell()
    try:
        read_preamble(handle, force)
        syntax = _read_file_meta_info(handle).get("TransferSyntaxUID")
    finally:
        handle.seek(start)
    return bool(syntax == DeflatedExplicitVRLittleEndian)


def read_bounded(*, data: bytes | Path, name: str, defer_size: int | None = None, force: bool = False) -> FileDataset:
    """Parse the DICOM file ``data`` (its bytes, or its path) like ``pydicom.dcmread``, in bounded memory.

    Args:
        data: the file's bytes or path; name: the file, for errors.
        defer_size: as ``dcmread``'s (values this large stay on disk); not used for a Deflated file, which is
            held in memory once inflated (bounded).
        force: as ``dcmread``'s: read a file without preamble and ``DICM`` prefix.

    Raises:
        UnsupportedError: ``check="limits"``, a Deflated dataset that inflates past its bounds.
        NotDicomError: ``check="truncated"``, a corrupt deflate stream.
        Exception: whatever ``dcmread`` raises on a file that is not DICOM or is damaged (callers map it).
    """
    if not isinstance(data, Path):
        buffer = io.BytesIO(data)
        if _is_deflated(buffer, force=force):
            return _read_deflated(buffer, name=name, force=force)
        return pydicom.dcmread(buffer, defer_size=defer_size, force=force)
    with data.open("rb") as file:
        if _is_deflated(file, force=force):
            return _read_deflated(file, name=name, force=force)
        whole = defer_size is None and os.fstat(file.fileno()).st_size <= _IN_MEMORY_BYTES
        content = file.read() if whole else None
    if content is None:  # deferred values are read from the path later
        return pydicom.dcmread(data, defer_size=defer_size, force=force)
    dataset = pydicom.dcmread(io.BytesIO(content), force=force)
    dataset.buffer, dataset.filename = None, str(data)  # as read from the path: nothing holds the bytes read
    dataset.timestamp = os.stat(data).st_mtime
    return dataset
