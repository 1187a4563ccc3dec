"""Encoding datasets into DICOM files, byte for byte as ``pydicom.dcmwrite(..., enforce_file_format=True)`` does,
faster for the slices of one series.

A derived slice holds most of its elements as raw elements encoded once for the series
(:mod:`imaging.dicom.shared_elements`) and declares itself explicit VR little endian, the file's transfer syntax:
``dcmwrite`` then copies the raw elements' bytes, one element at a time. :class:`SeriesEncoder` does the same
with the whole encoding of each distinct raw element (tag, VR, length and value) remembered across the series, so a
slice costs the encoding of its own elements only. It writes what ``dcmwrite`` writes: the 128-byte preamble,
``DICM``, the File Meta Information (``pydicom.filewriter.write_file_meta_info``, after ``dcmwrite``'s rules for the
Media Storage SOP Class and Instance UIDs) and the elements in tag order (group lengths of groups above 6 left
out, as ``dcmwrite`` does), the others encoded by ``pydicom.filewriter.write_data_element``.

Any other dataset (another transfer syntax, a dataset that is not declared as encoded the way it is written, file
meta elements in the dataset, ...) is encoded by ``dcmwrite`` itself. The first dataset a :class:`SeriesEncoder`
encodes its own way is also encoded by ``dcmwrite``; when the two differ (a pydicom release that writes otherwise),
the encoder logs it once and leaves every dataset to ``dcmwrite``.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field

from pydicom import Dataset, dcmwrite
from pydicom.charset import convert_encodings, default_encoding
from pydicom.dataelem import RawDataElement
from pydicom.dataset import FileMetaDataset
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import write_data_element, write_file_meta_info
from pydicom.uid import ExplicitVRLittleEndian

__all__ = ["SeriesEncoder", "dcmwrite_bytes"]

_log = logging.getLogger(__name__)

_PREAMBLE = b"\x00" * 128
_PREFIX = b"DICM"
_FIRST_DATASET_TAG = 0x00030000
"""Tags below this one (command, file meta) make ``dcmwrite`` refuse the dataset: it is left to ``dcmwrite``."""
_RETIRED_GROUP_LENGTH_ABOVE = 6
"""``dcmwrite`` leaves out the (retired) group length elements (gggg,0000) of groups above this one."""


def dcmwrite_bytes(dataset: Dataset) -> bytes:
    """``dataset`` as ``pydicom.dcmwrite(..., enforce_file_format=True)`` writes it, as bytes."""
    buffer = DicomBytesIO()
    dcmwrite(buffer, dataset, enforce_file_format=True)
    return buffer.getvalue()


def _buffer() -> DicomBytesIO:
    """An in-memory file that encodes explicit VR little endian."""
    buffer = DicomBytesIO()
    buffer.is_implicit_VR, buffer.is_little_endian = False, True
    return buffer


def _own_character_set(dataset: Dataset) -> str | list[str]:
    """The character set pydicom derives from ``dataset``'s own Specific Character Set (none: the default)."""
    if "SpecificCharacterSet" not in dataset:
        return default_encoding
    return convert_encodings(dataset.SpecificCharacterSet)


def _written_as_declared(dataset: Dataset) -> bool:
    """Whether ``dcmwrite`` writes ``dataset`` (to an explicit VR little endian file) without re-encoding it: the
    dataset declares that encoding and its own character set, holds no file meta or command elements and has
    a file meta that names explicit VR little endian."""
    meta = getattr(dataset, "file_meta", None)
    if meta is None or meta.get("TransferSyntaxUID") != ExplicitVRLittleEndian:
        return False
    if dataset.original_encoding != (False, True):
        return False
    if dataset.original_character_set != _own_character_set(dataset):
        return False
    preamble = getattr(dataset, "preamble", None)
    if preamble is not None and len(preamble) != len(_PREAMBLE):
        return False
    return min(map(int, dataset.keys()), default=_FIRST_DATASET_TAG) >= _FIRST_DATASET_TAG  # no group 0, 1 or 2


@dataclass
class SeriesEncoder:
    """Encodes the datasets of one series as DICOM files (see the module docstring); one encoder per series.

    Attributes:
        checked: whether a dataset encoded this encoder's way has been compared with ``dcmwrite``'s bytes.
        fallback: whether every dataset is left to ``dcmwrite`` (set when the comparison failed).
    """

    checked: bool = False
    fallback: bool = False
    _raw: dict[RawDataElement, bytes] = field(default_factory=dict, repr=False)

    def encodes(self, dataset: Dataset) -> bool:
        """Whether :meth:`encode` encodes ``dataset`` its own way (else it calls ``dcmwrite``)."""
        return not self.fallback and _written_as_declared(dataset)

    def encode(self, dataset: Dataset) -> bytes:
        """``dataset`` as a DICOM file: the bytes ``dcmwrite(..., enforce_file_format=True)`` writes.

        Raises what ``dcmwrite`` raises for a dataset it cannot write.
        """
        if not self.encodes(dataset):
            return dcmwrite_bytes(dataset)
        data = self._encode(dataset)
        if not self.checked:
            self.checked = True
            expected = dcmwrite_bytes(dataset)
            if data != expected:
                _log.warning("the series encoder differs from pydicom's dcmwrite; using dcmwrite for this series")
                self.fallback = True
                return expected
        return data

    def _encode(self, dataset: Dataset) -> bytes:
        out = _buffer()
        out.write(getattr(dataset, "preamble", None) or _PREAMBLE)
        out.write(_PREFIX)
        write_file_meta_info(out, _file_meta(dataset), enforce_standard=True)
        encodings = dataset.get("SpecificCharacterSet", default_encoding)
        for tag in sorted(dataset.keys(), key=int):  # tag order (BaseTag's own comparison is slower)
            if tag.element == 0 and tag.group > _RETIRED_GROUP_LENGTH_ABOVE:
                continue
            element = dataset.get_item(tag)
            if isinstance(element, RawDataElement):
                out.write(self._raw_bytes(element))
            else:
                write_data_element(out, element, encodings)
        return bytes(out.getvalue())

    def _raw_bytes(self, element: RawDataElement) -> bytes:
        """The encoding of a raw element (tag, VR, length, value, and the delimiter after an undefined length):
        its bytes as they are, whatever the character set."""
        data = self._raw.get(element)
        if data is None:
            buffer = _buffer()
            write_data_element(buffer, element)
            data = self._raw[element] = bytes(buffer.getvalue())
        return data


def _immutable(value: object) -> bool:
    return isinstance(value, str | bytes | int | float) or value is None


def _file_meta(dataset: Dataset) -> FileMetaDataset:
    """A copy of ``dataset``'s file meta with ``dcmwrite``'s Media Storage SOP Class and Instance UIDs: the
    dataset's, when the file meta lacks them or names others."""
    meta = FileMetaDataset()
    for element in dataset.file_meta:  # the elements copied, their values immutable (UIDs, bytes, text)
        meta.add(copy.copy(element) if _immutable(element.value) else copy.deepcopy(element))
    for meta_keyword, keyword in (
        ("MediaStorageSOPClassUID", "SOPClassUID"),
        ("MediaStorageSOPInstanceUID", "SOPInstanceUID"),
    ):
        mine, theirs = meta.get(meta_keyword), dataset.get(keyword)
        if mine is None or (theirs and theirs != mine):
            setattr(meta, meta_keyword, theirs)
    return meta
