"""Reading DICOM files into datasets: the I/O edge of the series reader.

A source is a directory, a sequence of file paths or a sequence of in-memory ``bytes`` (one DICOM file each).
In a directory, every regular, non-hidden file that carries the DICOM ``DICM`` prefix is read, and so is every
``*.dcm`` file (which then must be DICOM); anything else (a README, a checksum list) is skipped. The DICOMDIR
media directory is skipped too: it indexes files, it is not an image.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.tag import BaseTag
from pydicom.valuerep import AMBIGUOUS_VR, VR

from imaging.dicom.bounded import read_bounded
from imaging.errors import InputError, NotDicomError, PetiqError

__all__ = ["SeriesSource", "SourceFile", "list_dicom_files", "read_dataset", "read_source_files"]

_log = logging.getLogger(__name__)

SeriesSource = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Sequence[bytes]
"""A directory, a sequence of file paths, or a sequence of in-memory DICOM files."""

_PREAMBLE_LENGTH = 128
_MAGIC = b"DICM"
_MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"


@dataclass(frozen=True, kw_only=True)
class SourceFile:
    """One DICOM file as read: ``name`` is its path, or ``<bytes #i>`` for the i-th in-memory file."""

    name: str
    dataset: Dataset


def _has_dicom_prefix(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(_PREAMBLE_LENGTH)
        return handle.read(len(_MAGIC)) == _MAGIC


def list_dicom_files(*, directory: Path) -> list[Path]:
    """The DICOM candidate files directly inside ``directory``, sorted by name (see the module docstring)."""
    candidates = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file() or path.name.upper() == "DICOMDIR":
            continue
        if path.suffix.lower() == ".dcm" or _has_dicom_prefix(path):
            candidates.append(path)
        else:
            _log.debug("skipping %s: no DICOM prefix and no .dcm suffix", path)
    return candidates


def read_dataset(*, data: bytes | Path, name: str) -> Dataset:
    """Parse one DICOM file (bytes or path) in bounded memory (:mod:`imaging.dicom.bounded`).

    Raises:
        NotDicomError: naming ``name``, when it is not DICOM or is corrupt.
        UnsupportedError: ``check="limits"``, a Deflated dataset that inflates past its bounds.
    """
    try:
        return read_bounded(data=data, name=name)
    except PetiqError:
        raise
    except InvalidDicomError as error:
        raise NotDicomError(f"File {name} is not DICOM (no 'DICM' prefix).", check="not_dicom", path=name) from error
    except OSError as error:
        if isinstance(data, Path) and not data.is_file():
            raise InputError(f"File {name} cannot be read: {error}.", check="source", path=name) from error
        raise NotDicomError(f"File {name} is truncated or corrupt: {error}.", check="truncated", path=name) from error
    except Exception as error:  # pydicom raises many kinds on a damaged file; the user gets one NotDicomError
        raise NotDicomError(
            f"File {name} cannot be parsed as DICOM ({type(error).__name__}: {error}).", check="truncated", path=name
        ) from error


ConvertedKeys = set[tuple[object, ...]]
"""What :func:`drop_unreadable` remembers of the raw elements it converted without error (:func:`_conversion_key`)."""


def _conversion_key(*, raw: RawDataElement, charset: object, dataset: Dataset) -> tuple[object, ...]:
    """What the conversion of ``raw`` (an element of ``dataset``, decoded in ``charset``) depends on: the raw
    element itself (tag, VR, length, bytes, encoding), the character set and, for a private tag, its private
    creator's value. Two raw elements with the same key convert alike, unless their VR is ambiguous (see
    :func:`_reads_other_elements`)."""
    tag = raw.tag
    creator = None
    if tag.is_private and tag.element >= 0x1000:
        creator_element = dataset.get_item(BaseTag((tag.group << 16) | (tag.element >> 8)), keep_deferred=True)
        value = None if creator_element is None else creator_element.value
        creator = value if isinstance(value, bytes | str | None) else repr(value)
    return (tag, raw.VR, raw.length, raw.value, raw.is_implicit_VR, raw.is_little_endian, charset, creator)


def _reads_other_elements(raw: RawDataElement) -> bool:
    """Whether converting ``raw`` also reads other elements of its dataset: an ambiguous VR (``US or SS``, ...) is
    resolved from Pixel Representation and the like, and an unknown one is not converted alike."""
    vr = raw.VR
    if vr is None or vr == VR.UN:
        try:
            vr = dictionary_VR(raw.tag)
        except KeyError:
            return True
    return vr in AMBIGUOUS_VR


def drop_unreadable(*, dataset: Dataset, name: str, converted: ConvertedKeys | None = None) -> None:
    """Convert every element of ``dataset`` (sequences included), deleting those whose value cannot be
    converted (an unknown VR, a damaged value): tolerant reading keeps the file, and a required attribute so
    lost is reported by the check that needs it. pydicom's warnings are left to propagate.

    ``converted`` remembers the raw elements already converted without error, in this dataset or another one of
    the series (:func:`_conversion_key`): an element equal to one of them converts alike, so it is left raw (it
    is converted when read). The slices of a series share most of their header, so this does the work once.
    """
    read_in = dataset.original_character_set
    charset = tuple(read_in) if isinstance(read_in, list) else read_in
    for tag in list(dataset.keys()):
        raw = dataset.get_item(tag, keep_deferred=True)  # as stored: get_item would convert a value-less raw one
        key = None
        if converted is not None and isinstance(raw, RawDataElement) and (raw.value is not None or not raw.length):
            key = _conversion_key(raw=raw, charset=charset, dataset=dataset)
            if key in converted:
                continue
        try:
            element = dataset[tag]
        except Warning:
            raise
        except Exception as error:  # whatever pydicom raises converting a damaged raw element
            _log.warning("%s: dropping unreadable element %s: %s", name, tag, error)
            del dataset[tag]
            continue
        if element.VR == "SQ" and isinstance(element.value, Sequence):
            for item in element.value:
                drop_unreadable(dataset=item, name=name, converted=converted)
        elif key is not None and converted is not None and not _reads_other_elements(raw):
            converted.add(key)


def _read_items(items: Sequence[tuple[str, Path | bytes]]) -> tuple[SourceFile, ...]:
    files = tuple(SourceFile(name=name, dataset=read_dataset(data=data, name=name)) for name, data in items)
    converted: ConvertedKeys = set()
    for file in files:
        drop_unreadable(dataset=file.dataset, name=file.name, converted=converted)
    return files


def _source_items(source: SeriesSource) -> list[tuple[str, Path | bytes]]:
    """``(name, path or bytes)`` of every file ``source`` designates."""
    if isinstance(source, str | os.PathLike):
        directory = Path(source)
        if not directory.is_dir():
            raise InputError(f"Argument 'source' should be a directory, got {directory}.", check="source")
        return [(str(path), path) for path in list_dicom_files(directory=directory)]
    if isinstance(source, bytes):
        raise InputError("Argument 'source' should be a sequence of bytes, one per file, not bytes.", check="source")
    blobs = [item for item in source if isinstance(item, bytes)]
    paths = [Path(item) for item in source if not isinstance(item, bytes)]
    if blobs and paths:
        raise InputError("Argument 'source' should hold either paths or bytes, not both.", check="source")
    return [(f"<bytes #{index}>", blob) for index, blob in enumerate(blobs)] + [(str(path), path) for path in paths]


def read_source_files(*, source: SeriesSource) -> tuple[SourceFile, ...]:
    """Read every DICOM file of ``source``, DICOMDIR-like media directories left out.

    Raises:
        InputError: ``source`` does not exist or holds no DICOM file (check ``"source"``).
        NotDicomError: a file is not DICOM or is truncated.
    """
    files = _read_items(_source_items(source))
    files = tuple(file for file in files if file.dataset.get("SOPClassUID") != _MEDIA_STORAGE_DIRECTORY)
    if not files:
        raise InputError(
            f"Argument 'source' should hold DICOM files, found none in {_describe(source)}.", check="source"
        )
    return files


def _describe(source: SeriesSource) -> str:
    if isinstance(source, str | os.PathLike):
        return str(source)
    return f"{len(source)} given files"
