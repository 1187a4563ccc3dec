"""Elements encoded once and shared by the datasets of a series: what lets a series be serialised in one pass.

pydicom writes a :class:`~pydicom.dataelem.RawDataElement` as it is, without decoding it, when the dataset declares
that it was encoded the way the file is written (:meth:`pydicom.Dataset.set_original_encoding`; documented as the
way to optimise writing). So an element every slice of a series has, value for value, can be encoded once
(:func:`encoded_element`) and put as the same raw element in every slice's dataset; the writer copies its bytes.
Raw elements are immutable: setting an attribute of one slice (``ds.X = ...``) decodes it into a new element of
that dataset only, so the slices stay independent.

:func:`same_element` decides whether two elements would be encoded to the same bytes (it compares what the
encoder writes, so ``DS "2.0"`` and ``DS "2"`` differ); :func:`resolve_ambiguous_vr` does for the elements that are
not shared what ``dcmwrite`` does when it re-encodes a dataset (it skips that step for a dataset declared
explicit VR little endian, :func:`declare_explicit_little_endian`).
"""

from __future__ import annotations

import struct
from collections.abc import Collection, Iterable, Sequence

from pydicom import DataElement, Dataset
from pydicom.charset import convert_encodings, default_encoding
from pydicom.dataelem import RawDataElement
from pydicom.filebase import DicomBytesIO
from pydicom.filewriter import correct_ambiguous_vr, correct_ambiguous_vr_element, write_data_element
from pydicom.multival import ConstrainedList
from pydicom.tag import BaseTag
from pydicom.valuerep import AMBIGUOUS_VR, EXPLICIT_VR_LENGTH_32, IS, VR, DSdecimal, DSfloat, PersonName

__all__ = ["declare_explicit_little_endian", "encoded_element", "resolve_ambiguous_vr", "same_element", "seal"]

_UNDEFINED_LENGTH = 0xFFFFFFFF
_DELIMITER_BYTES = 8  # (FFFE,E0DD) and a zero length, after an undefined-length value


def same_element(first: DataElement | RawDataElement, second: DataElement | RawDataElement) -> bool:
    """Whether ``first`` and ``second`` are encoded to the same bytes in a dataset of the same character set.

    Conservative: False whenever it cannot be sure (values of types it does not know, such as buffered ones).
    """
    if first is second:
        return True
    if isinstance(first, RawDataElement) or isinstance(second, RawDataElement):
        return (
            isinstance(first, RawDataElement)
            and isinstance(second, RawDataElement)
            and first.value == second.value  # the field most likely to differ first; value_tell is not compared
            and int(first.tag) == int(second.tag)
            and first.VR == second.VR
            and first.length == second.length
            and first.is_implicit_VR == second.is_implicit_VR
            and first.is_little_endian == second.is_little_endian
            and first.is_raw == second.is_raw
            and first.is_buffered == second.is_buffered
        )
    return (
        first.tag == second.tag
        and first.VR == second.VR
        and first.is_undefined_length == second.is_undefined_length
        and _same_value(first.value, second.value)
    )


def _same_value(first: object, second: object) -> bool:
    """Whether two element values (or values within one) are encoded to the same bytes."""
    if type(first) is not type(second):
        return False
    if isinstance(first, str) or first is None:  # str and UID; no str type of pydicom keeps an original string
        return first == second
    if isinstance(first, DSfloat | DSdecimal | IS | PersonName) or hasattr(first, "original_string"):
        return _same_text(first, second)
    if isinstance(first, ConstrainedList | list | tuple):  # multiple values, sequences
        assert isinstance(second, ConstrainedList | list | tuple)
        return len(first) == len(second) and all(map(_same_value, first, second))
    if isinstance(first, Dataset):
        assert isinstance(second, Dataset)
        return _same_item(first, second)
    if isinstance(first, float):
        assert isinstance(second, float)
        return struct.pack("<d", first) == struct.pack("<d", second)
    if isinstance(first, bytes | int):
        return first == second
    return False


def _same_text(first: object, second: object) -> bool:
    """Values written as the text they were read from when they have one (DS, IS, PN, ...), else as ``str``;
    a Person Name is also encoded in its own character sets."""
    return (
        getattr(first, "original_string", None) == getattr(second, "original_string", None)
        and getattr(first, "encodings", None) == getattr(second, "encodings", None)
        and str(first) == str(second)
    )


def _same_item(first: Dataset, second: Dataset) -> bool:
    """Whether two sequence items are encoded the same: same elements, same item length form, same origin."""
    return (
        first.keys() == second.keys()
        and getattr(first, "is_undefined_length_sequence_item", False)
        == getattr(second, "is_undefined_length_sequence_item", False)
        and first.original_encoding == second.original_encoding
        and first.original_character_set == second.original_character_set
        and all(_same_item_element(first, second, tag) for tag in first.keys())  # noqa: SIM118
    )


def _same_item_element(first: Dataset, second: Dataset, tag: BaseTag) -> bool:
    """Whether element ``tag`` of two items is encoded the same: compared as read when both are raw or both
    converted, else both converted (which converts the raw one in its item)."""
    mine, theirs = first.get_item(tag), second.get_item(tag)
    if isinstance(mine, RawDataElement) != isinstance(theirs, RawDataElement):
        mine, theirs = first[tag], second[tag]
    return same_element(mine, theirs)


def encoded_element(element: DataElement, *, encodings: str | Sequence[str] | None) -> RawDataElement:
    """``element`` encoded as explicit VR little endian, as ``dcmwrite`` writes it in a dataset of character set
    ``encodings`` (the dataset's Specific Character Set value; None or empty: the default repertoire).

    Raises what the encoder raises for a value it cannot write (e.g. an unresolved ambiguous VR).
    """
    buffer = DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, False
    write_data_element(buffer, element, list(encodings) if isinstance(encodings, list) else encodings)  # type: ignore[arg-type]
    data = buffer.getvalue()
    vr = data[4:6].decode("ascii")
    if vr in EXPLICIT_VR_LENGTH_32:
        (length,) = struct.unpack("<L", data[8:12])
        value = data[12:]
    else:
        (length,) = struct.unpack("<H", data[6:8])
        value = data[8:]
    if length == _UNDEFINED_LENGTH:  # the writer adds the sequence delimiter after the value
        value = value[:-_DELIMITER_BYTES]
    return RawDataElement(BaseTag(element.tag), vr, length, value, 0, False, True)


def declare_explicit_little_endian(dataset: Dataset) -> None:
    """Declare ``dataset`` encoded as explicit VR little endian in its own character set, so ``dcmwrite`` (to an
    explicit VR little endian file) writes its raw elements as they are and leaves the others' VRs as they are.

    The character set is given as pydicom derives it from the dataset (any Specific Character Set present, even
    empty, is converted; none means the default repertoire): when the two differ, pydicom re-encodes everything.
    """
    present = "SpecificCharacterSet" in dataset
    encodings = convert_encodings(dataset.SpecificCharacterSet) if present else default_encoding
    dataset.set_original_encoding(False, True, encodings)


def resolve_ambiguous_vr(dataset: Dataset, *, tags: Iterable[BaseTag]) -> None:
    """Resolve the ambiguous VRs (``US or SS``, ...) of the elements ``tags`` of ``dataset`` and of the items of
    their sequences, in place, as ``dcmwrite`` does for a dataset it re-encodes."""
    for tag in tags:
        element = dataset.get_item(tag)
        if isinstance(element, RawDataElement):
            continue
        if element.VR == VR.SQ:
            for item in element.value:
                correct_ambiguous_vr(item, True, [item, dataset])
        elif element.VR in AMBIGUOUS_VR:
            correct_ambiguous_vr_element(element, dataset, True, [dataset])


def seal(dataset: Dataset, *, shared: Collection[BaseTag]) -> None:
    """Make ``dataset``, whose elements ``shared`` are encoded raw elements, ready for ``dcmwrite``: resolve the
    ambiguous VRs of its other elements and declare it explicit VR little endian, so the raw ones are copied."""
    resolve_ambiguous_vr(dataset, tags=[tag for tag in dataset.keys() if tag not in shared])  # noqa: SIM118
    declare_explicit_little_endian(dataset)
