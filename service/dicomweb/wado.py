"""WADO-RS response body: stored instances as ``multipart/related; type="application/dicom"``, generated lazily.

Files already in the transfer syntax asked for are sent from disk in chunks as stored (byte-for-byte); others are
re-encoded one instance at a time (Implicit ⇄ Explicit VR Little Endian: the pixel bytes do not change; a
Deflated or losslessly compressed file is decoded, bounded as when it was stored, into native Pixel Data).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydicom import dcmwrite
from pydicom.uid import UID

from core.multipart import DICOM, multipart_chunks
from core.storage.models import InstanceRecord
from imaging.dicom.bounded import read_bounded

__all__ = ["multipart_instances", "transcode"]

_CHUNK_BYTES = 1 << 20


def transcode(*, path: Path, transfer_syntax: str) -> bytes:
    """The DICOM file at ``path`` re-encoded in ``transfer_syntax`` (an uncompressed little endian syntax)."""
    dataset = read_bounded(data=path, name=path.name)
    if UID(str(dataset.file_meta.TransferSyntaxUID)).is_encapsulated:
        dataset.decompress(generate_instance_uid=False)
    dataset.file_meta.TransferSyntaxUID = UID(transfer_syntax)
    buffer = io.BytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            yield chunk


def _payload(*, path: Path, stored_syntax: str, syntax: str) -> Iterator[bytes]:
    if syntax == stored_syntax:
        yield from _file_chunks(path)
    else:
        yield transcode(path=path, transfer_syntax=syntax)


def multipart_instances(
    *, files: Sequence[tuple[Path, InstanceRecord]], transfer_syntax: str | None, boundary: str
) -> Iterator[bytes]:
    """The multipart body for ``files`` (:func:`core.multipart.multipart_chunks`); ``transfer_syntax`` None sends
    each file as stored. A file is read or re-encoded only when its part is reached.

    Args:
        files: stored paths with their index records (the record names the stored transfer syntax).
        transfer_syntax: the syntax to send, or None for "as stored" (``transfer-syntax=*``).
        boundary: the multipart boundary of the response's Content-Type.
    """
    parts = (
        (
            f"{DICOM}; transfer-syntax={transfer_syntax or record.transfer_syntax_uid}",
            _payload(
                path=path,
                stored_syntax=record.transfer_syntax_uid,
                syntax=transfer_syntax or record.transfer_syntax_uid,
            ),
        )
        for path, record in files
    )
    return multipart_chunks(parts=parts, boundary=boundary)
