"""The header template of a series made slice by slice from its source slices: what each slice shares with the
first one, encoded once (:mod:`imaging.dicom.shared_elements`).

A derived slice is its source slice's carried-over elements changed by the same statements in every slice. So
when a source slice's element is the same as the first source slice's (:func:`same_element`), the derived
slices' elements of that tag are the same too, and the first derived slice's element, encoded once, serves every
slice. :class:`HeaderRules` says what the statements do with each tag:

- ``replaced``: set whole in every slice (the new series' UID, number, description, the derivation): always shared;
- ``valued``: set to one value in every slice; a present element keeps its VR (pydicom sets the value of an
  element that is there), so it is shared when the source slice has the element, with the same VR, exactly when
  the first one has;
- ``per_slice``: set from the slice itself (SOP Instance UID, positions in the series, pixels): never shared;
- ``presence_of``: a tag added only when another is absent (Type 2 filling): shared only when that other tag is
  present in the source slice exactly when it is in the first one.

Every other tag is the source's, changed or not by a statement that reads only the same tag of the source (Image
Type, the Contributing Equipment Sequence): shared when the source slice's element is the same as the first's,
or both are absent.

Elements are compared as the sources hold them: two raw elements (as read from the file) are the same when their
bytes and encoding are, since equal raw elements convert alike; a raw one and a converted one are compared
converted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydicom import DataElement, Dataset
from pydicom.charset import default_encoding
from pydicom.dataelem import RawDataElement
from pydicom.filewriter import correct_ambiguous_vr
from pydicom.tag import BaseTag

from imaging.dicom.shared_elements import encoded_element, same_element

__all__ = ["HeaderRules", "SeriesHeader"]

_SPECIFIC_CHARACTER_SET = BaseTag(0x00080005)
_Element = DataElement | RawDataElement


@dataclass(frozen=True, kw_only=True)
class HeaderRules:
    """What the slice statements do with each tag (see the module docstring)."""

    replaced: frozenset[BaseTag]
    valued: frozenset[BaseTag]
    per_slice: frozenset[BaseTag]
    presence_of: Mapping[BaseTag, BaseTag]


@dataclass(frozen=True, kw_only=True)
class SeriesHeader:
    """The first slice's shareable elements, encoded, and the first source slice's carried elements they came from.

    Attributes:
        rules: what the slice statements do with each tag.
        first_carried: the first source slice's carried-over elements, by tag, as they were in the source (raw
            ones raw), for comparison.
        first_source: the first source slice (its elements now converted: the first slice was made from them).
        encoded: the first derived slice's elements but the per-slice ones, encoded (explicit VR little endian).
    """

    rules: HeaderRules
    first_carried: Mapping[BaseTag, _Element]
    first_source: Dataset
    encoded: Mapping[BaseTag, RawDataElement]

    @classmethod
    def from_first(
        cls,
        *,
        rules: HeaderRules,
        first_carried: Mapping[BaseTag, _Element],
        first_source: Dataset,
        first: Dataset,
    ) -> SeriesHeader:
        """The header of the series whose first derived slice is ``first``, made from ``first_carried`` (the
        elements of ``first_source`` as they were before).

        Resolves ``first``'s ambiguous VRs in place, as ``dcmwrite`` will. An element the encoder refuses is left
        to every slice (the writer then reports it, as it would without a header).
        """
        correct_ambiguous_vr(first, True)
        encodings = first.get("SpecificCharacterSet", default_encoding)
        encoded = {}
        for tag in first.keys():  # noqa: SIM118 - a Dataset iterates over its elements, not its tags
            if tag in rules.per_slice:
                continue
            try:
                encoded[tag] = encoded_element(first[tag], encodings=encodings)
            except Exception:  # any encoder error: not shared, so each slice's write reports it
                continue
        return cls(rules=rules, first_carried=dict(first_carried), first_source=first_source, encoded=encoded)

    def shared_with(self, carried: Mapping[BaseTag, _Element], *, source: Dataset) -> dict[BaseTag, RawDataElement]:
        """The encoded elements the slice made from ``carried`` (the carried-over elements of the source slice
        ``source``, raw ones raw) shares.

        Two raw elements are compared as read (equal raw elements convert alike); a raw element and a converted
        one are compared converted (``source``'s and the first source slice's element of that tag, converted now).
        """
        first = self.first_carried
        if not _same_or_absent(*self._comparable(_SPECIFIC_CHARACTER_SET, carried, source)):
            return {}  # text elements are encoded in the slice's character set
        rules = self.rules
        shared = {}
        for tag, element in self.encoded.items():
            if tag in rules.replaced:
                shared[tag] = element
                continue
            mine, theirs = self._comparable(tag, carried, source)
            same = _same_vr_or_absent(mine, theirs) if tag in rules.valued else _same_or_absent(mine, theirs)
            condition = rules.presence_of.get(tag)
            if same and (condition is None or (condition in carried) == (condition in first)):
                shared[tag] = element
        return shared

    def _comparable(
        self, tag: BaseTag, carried: Mapping[BaseTag, _Element], source: Dataset
    ) -> tuple[_Element | None, _Element | None]:
        """``source``'s and the first source slice's element ``tag``, both as read or, when one is raw and the
        other not, both converted."""
        mine, theirs = carried.get(tag), self.first_carried.get(tag)
        if mine is None or theirs is None or isinstance(mine, RawDataElement) == isinstance(theirs, RawDataElement):
            return mine, theirs
        return source[tag], self.first_source[tag]


def _same_or_absent(mine: _Element | None, theirs: _Element | None) -> bool:
    if mine is None or theirs is None:
        return mine is None and theirs is None
    return same_element(mine, theirs)


def _same_vr_or_absent(mine: _Element | None, theirs: _Element | None) -> bool:
    if mine is None or theirs is None:
        return mine is None and theirs is None
    return bool(mine.VR == theirs.VR)
