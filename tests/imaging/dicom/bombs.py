"""Deflated DICOM files built in bounded memory: honest ones and decompression bombs.

A bomb is a valid PET header (Rows × Columns small) whose Pixel Data claims ``inflated_bytes`` of zeros; the
deflate stream is produced chunk by chunk, so building a 3 GiB bomb never holds more than one chunk.
"""

from __future__ import annotations

import copy
import io
import struct
import zlib
from collections.abc import Iterator

from pydicom.dataset import Dataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_dataset, write_file_meta_info
from pydicom.uid import DeflatedExplicitVRLittleEndian

__all__ = ["deflated_bomb", "deflated_bomb_chunks"]

_ZEROS = bytes(16 * 1024**2)


def _file_meta_bytes(dataset: Dataset) -> bytes:
    meta = copy.deepcopy(dataset.file_meta)
    meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    buffer.write(bytes(128) + b"DICM")
    write_file_meta_info(buffer, meta, enforce_standard=True)
    return buffer.getvalue()


def _header_bytes(dataset: Dataset) -> bytes:
    """``dataset`` without Pixel Data, as Explicit VR Little Endian."""
    header = copy.deepcopy(dataset)
    del header.PixelData
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    write_dataset(buffer, header)
    return buffer.getvalue()


def deflated_bomb_chunks(*, dataset: Dataset, inflated_bytes: int) -> Iterator[bytes]:
    """The bytes of a Deflated file, in pieces: ``dataset``'s header, then Pixel Data (OW) of ``inflated_bytes``
    zeros (even, < 4 GiB), deflated at level 9 (about 1000:1)."""
    yield _file_meta_bytes(dataset)
    deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    element = struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OW", 0, inflated_bytes)
    yield deflater.compress(_header_bytes(dataset) + element)
    remaining = inflated_bytes
    while remaining:
        size = min(remaining, len(_ZEROS))
        yield deflater.compress(memoryview(_ZEROS)[:size])
        remaining -= size
    yield deflater.flush()


def deflated_bomb(*, dataset: Dataset, inflated_bytes: int) -> bytes:
    """:func:`deflated_bomb_chunks` joined (for bombs small enough to hold)."""
    out = io.BytesIO()
    for chunk in deflated_bomb_chunks(dataset=dataset, inflated_bytes=inflated_bytes):
        out.write(chunk)
    return out.getvalue()
