"""Header elements decoded up front, once per series read; those that cannot be decoded are dropped.

pydicom parses a file's elements lazily: each stays a raw element (its bytes) until it is used. Tolerant reading
decodes them all up front and drops the ones whose value cannot be decoded (an unknown VR, a damaged value), so a
damaged optional attribute costs nothing and a required one is reported by the check that needs it.

The slices of a series repeat most of their header byte for byte, so a :class:`ConversionMemo` shared by the files
of one read remembers what was decoded already:

- bytes decoded without error earlier in the read (same tag, VR, encoding, character set) are not decoded again;
- the first time a tag is met it is decoded apart and the dataset keeps the raw element, so the first slice stays
  raw like the others and the derived writer compares the slices' elements by their bytes
  (:mod:`imaging.dicom.series_header`); pydicom decodes it when it is used;
- a tag met again with other bytes (positions, UIDs: it changes from slice to slice) is decoded in place, since
  the reader will use it.

Private elements of implicit VR (their VR depends on their block's creator), elements of an ambiguous VR and
sequences are always decoded in place, as ``dataset[tag]`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydicom.charset import default_encoding
from pydicom.datadict import dictionary_has_tag, dictionary_VR
from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.dataset import Dataset
from pydicom.tag import BaseTag
from pydicom.valuerep import AMBIGUOUS_VR, VR

__all__ = ["ConversionMemo", "drop_unreadable"]

_log = logging.getLogger(__name__)

_PIXEL_DATA = 0x7FE00010
_SPECIFIC_CHARACTER_SET = 0x00080005
_Key = tuple[object, ...]


@dataclass
class ConversionMemo:
    """What one read has decoded: raw element keys (character set, tag, VR, encoding flags, bytes) decoded without
    error, and the same keys without their bytes (the tags met)."""

    decoded: set[_Key] = field(default_factory=set)
    tags: set[_Key] = field(default_factory=set)

    def add(self, key: _Key) -> None:
        """Remember that the raw element of ``key`` decoded without error."""
        self.decoded.add(key)
        self.tags.add(key[:-1])


def _raw_key(dataset: Dataset, tag: BaseTag, charset: object) -> _Key | None:
    """The memo key of the still-raw element ``tag`` of ``dataset``; None when it is decoded already, has no value
    bytes, is the pixel data (unique to each file, decoding it only wraps the bytes) or is a private element of
    implicit VR."""
    raw = dataset.get_item(tag)
    if not isinstance(raw, RawDataElement) or raw.value is None or tag == _PIXEL_DATA:
        return None
    if raw.VR is None and tag.is_private:
        return None
    return (charset, tag, raw.VR, raw.is_implicit_VR, raw.is_little_endian, raw.value)


def _decode_apart(dataset: Dataset, tag: BaseTag) -> bool:
    """Decode the raw element ``tag`` of ``dataset`` as ``dataset[tag]`` would, the dataset keeping the raw
    element; False (nothing done) for an element that must be decoded in place (module docstring).

    Raises what the decoding raises.
    """
    raw = dataset.get_item(tag)
    if not isinstance(raw, RawDataElement) or tag.is_private or tag == _SPECIFIC_CHARACTER_SET:
        return False
    vr = raw.VR or (dictionary_VR(tag) if dictionary_has_tag(tag) else None)
    if vr is None or vr in AMBIGUOUS_VR or vr == VR.SQ:
        return False
    convert_raw_data_element(raw, encoding=dataset.original_character_set or default_encoding, ds=dataset)
    return True


def _drop(*, dataset: Dataset, name: str, memo: ConversionMemo, charset: object) -> None:
    for tag in list(dataset.keys()):
        key = _raw_key(dataset, tag, charset)
        if key is not None and key in memo.decoded:
            continue  # the same bytes decoded without error in this read: decoding them again cannot fail
        try:
            if key is not None and key[:-1] not in memo.tags and _decode_apart(dataset, tag):
                memo.add(key)
                continue
            element = dataset[tag]
        except Warning:
            raise
        except Exception as error:  # whatever pydicom raises decoding a damaged raw element
            _log.warning("%s: dropping unreadable element %s: %s", name, tag, error)
            del dataset[tag]
            continue
        if element.VR == VR.SQ and isinstance(element.value, Sequence):
            for item in element.value:
                _drop(dataset=item, name=name, memo=memo, charset=charset)
        elif key is not None:
            memo.add(key)


def drop_unreadable(*, dataset: Dataset, name: str, memo: ConversionMemo | None = None) -> None:
    """Decode every element of ``dataset`` (sequences included), deleting those whose value cannot be decoded;
    pydicom's warnings propagate. ``memo``: shared by the files of one series (module docstring); ``name`` names
    the file in the log line of a dropped element.
    """
    charset = dataset.get_item(_SPECIFIC_CHARACTER_SET)
    charset_key = charset.value if isinstance(charset, RawDataElement) else repr(charset)
    _drop(dataset=dataset, name=name, memo=ConversionMemo() if memo is None else memo, charset=charset_key)
