"""The files a C-STORE delivery sends, read no further than their File Meta Information, and the presentation
contexts (SOP class × transfer syntaxes) proposed for them.

Per SOP class (PET Image Storage, Comprehensive 3D SR Storage, …) one context offers the uncompressed transfer
syntaxes the files are stored in, then Explicit and Implicit VR Little Endian: the destination accepts one, and
pynetdicom converts a file between uncompressed little-endian syntaxes when it must. A compressed syntax cannot
be converted, so each one stored gets a context of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom.errors import InvalidDicomError
from pydicom.filereader import read_file_meta_info
from pydicom.uid import UID, ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom.presentation import PresentationContext, build_context

from workers.delivery.errors import DeliveryError

__all__ = ["MAX_CONTEXTS", "StoredFile", "presentation_contexts", "read_stored"]

MAX_CONTEXTS = 128
"""Most presentation contexts one association may propose (PS3.8 9.3.2.2: odd context IDs 1–255)."""

_FALLBACKS = (ExplicitVRLittleEndian, ImplicitVRLittleEndian)


@dataclass(frozen=True)
class StoredFile:
    """A DICOM Part 10 file to send and what its File Meta Information says of it."""

    path: Path
    sop_class_uid: UID
    sop_instance_uid: str
    transfer_syntax: UID


def read_stored(*, path: Path) -> StoredFile:
    """``path``'s File Meta Information (the pixel data is not read).

    Raises:
        DeliveryError: not a DICOM Part 10 file, or its meta lacks the SOP class, instance or transfer syntax.
        OSError: the file could not be read.
    """
    try:
        meta = read_file_meta_info(path)
    except InvalidDicomError as error:
        raise DeliveryError(
            f"The output file {path.name} is not a DICOM Part 10 file: {error}", check="output"
        ) from error
    wanted = ("MediaStorageSOPClassUID", "MediaStorageSOPInstanceUID", "TransferSyntaxUID")
    missing = [keyword for keyword in wanted if not meta.get(keyword)]
    if missing:
        raise DeliveryError(f"The output file {path.name} has no {', '.join(missing)} in its meta.", check="output")
    return StoredFile(
        path=path,
        sop_class_uid=UID(str(meta.MediaStorageSOPClassUID)),
        sop_instance_uid=str(meta.MediaStorageSOPInstanceUID),
        transfer_syntax=UID(str(meta.TransferSyntaxUID)),
    )


def presentation_contexts(*, files: Sequence[StoredFile]) -> list[PresentationContext]:
    """The contexts proposed to send ``files`` (module docstring), in the order of their first file.

    Raises:
        DeliveryError: more than :data:`MAX_CONTEXTS` would be needed.
    """
    syntaxes: dict[UID, list[UID]] = {}
    for file in files:
        stored = syntaxes.setdefault(file.sop_class_uid, [])
        if file.transfer_syntax not in stored:
            stored.append(file.transfer_syntax)
    contexts = []
    for sop_class, stored in syntaxes.items():
        plain = [syntax for syntax in stored if not syntax.is_compressed]
        contexts.append(build_context(sop_class, list(dict.fromkeys([*plain, *_FALLBACKS]))))
        contexts.extend(build_context(sop_class, syntax) for syntax in stored if syntax.is_compressed)
    if len(contexts) > MAX_CONTEXTS:
        raise DeliveryError(
            f"The output needs {len(contexts)} presentation contexts; one association offers at most {MAX_CONTEXTS}.",
            check="presentation_context",
        )
    return contexts
