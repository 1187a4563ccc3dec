"""The DERIVED PET series that carries a processed (denoised) volume, or its uncertainty, next to its source
(DESIGN.md §3).

Each derived slice starts from its source slice's header, without private attributes and without those that no
longer hold (pixel statistics, padding, icon, overlays, signatures), then gets: a new series (Series Instance UID,
Series Number, Series Description + the kind's suffix, e.g. ``" [petiq denoised]"``) and new SOP Instance UIDs,
ImageType ``DERIVED\\PRIMARY``, new creation and content date/time, the derivation (description naming the model and
the processing parameters, e.g. the strength level, and the kind's code from CID 7203), a Source Image Sequence item
for the source slice (purpose DCM 121322 "Source image for image processing operation", CID 7202), a Contributing
Equipment item for the algorithm (purpose DCM 109102 "Processing Equipment", CID 7005: the standard's term for
"processing algorithm") and the int16 pixels with their own Rescale Slope. Study, patient, frame of reference,
geometry, Series Date/Time (the PET timing reference), Units, Decay Correction, the radiopharmaceutical and the
per-slice PET Image timing (Image Index, Frame Reference Time, Actual Frame Duration, Decay Factor, ...) are carried
over, so SUV stays computable exactly as for the source. Decimal Strings longer than the 16 characters DS allows are
rewritten as the closest valid value. Every Type 2 attribute of the PET Image IOD the source lacks is added empty
(:data:`imaging.dicom.modules.PET_IMAGE_TYPE2`), and Image Index, when the source has none, is the slice's place in
the written series: the derived series is never less complete than its source.

Kinds (:class:`DerivedKind`): :data:`DENOISED`, the denoised volume (suffix ``" [petiq denoised]"``, code DCM 113087
"Smoothing"), and :data:`UNCERTAINTY`, a voxel-wise standard-deviation estimate of a denoised volume in the same
units (suffix ``" [petiq uncertainty]"``, code DCM 113061 "Standard Deviation").

Series Number rule: the ``series_number`` argument when given; else the source's Series Number + 1000 (1000 when
the source has none), moved up by one until it differs from the source's and from every ``taken_series_numbers``.

Cost: the first slice is built whole; every other slice takes, from a header template made of the first slice
(:mod:`imaging.dicom.series_header`), the elements it has in common with it, encoded once for the series (raw
elements, copied by the writer: :mod:`imaging.dicom.shared_elements`), and builds and copies only the rest (its
UIDs, place, position, per-slice PET Image attributes, rescale, references and pixels). Source elements still raw
(as read, not yet converted: :func:`imaging.dicom.sources.drop_unreadable` leaves the repeats of an element raw) are
compared as read and converted only when a slice needs their value. The result is, byte for byte, what building
every slice on its own gives. Those slices are declared explicit VR little endian, so the writer copies the shared
elements (:mod:`imaging.dicom.encode`): an element added to one later with an ambiguous VR (``US or SS``) must be
given its VR.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import highdicom as hd
import numpy as np
from pydicom import DataElement, Dataset
from pydicom.dataelem import RawDataElement
from pydicom.multival import MultiValue
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.tag import BaseTag, Tag
from pydicom.valuerep import VR, PersonName

from imaging.dicom.modules import (
    PET_IMAGE_STORAGE,
    PET_IMAGE_TYPE2,
    TYPE2_EXCLUDED_BY,
    ImageType,
    code_item,
    da_string,
    ds_string,
    dt_string,
    fill_type2,
    pixel_format,
    set_file_meta,
    set_slice_pixels,
    tm_string,
)
from imaging.dicom.pixels import EncodedSlices, encode_slices
from imaging.dicom.series_header import HeaderRules, SeriesHeader
from imaging.dicom.shared_elements import seal
from imaging.volume import PetVolume, Units

__all__ = [
    "DENOISED",
    "MAX_PARAMETERS",
    "PETIQ_SUFFIXES",
    "SERIES_DESCRIPTION_SUFFIX",
    "SERIES_NUMBER_OFFSET",
    "UNCERTAINTY",
    "AlgorithmIdentity",
    "DerivedKind",
    "choose_series_number",
    "derive_series",
    "derived_series_description",
]

SERIES_DESCRIPTION_SUFFIX = " [petiq denoised]"
SERIES_NUMBER_OFFSET = 1000


@dataclass(frozen=True, kw_only=True)
class DerivedKind:
    """What a derived series holds: its Series Description ``suffix`` and its Derivation Code (CID 7203)."""

    suffix: str
    code: Code


DENOISED = DerivedKind(suffix=SERIES_DESCRIPTION_SUFFIX, code=codes.DCM.Smoothing)
"""The denoised volume."""
UNCERTAINTY = DerivedKind(suffix=" [petiq uncertainty]", code=codes.DCM.StandardDeviation)
"""A voxel-wise standard-deviation estimate of a denoised volume, in its units."""
PETIQ_SUFFIXES = (DENOISED.suffix, UNCERTAINTY.suffix)
"""The Series Description suffixes of every series petiq writes from a PET series."""
_LO_MAX = 64
_ST_MAX = 1024
_IS_MAX = 2**31 - 1
_DS_MAX = 16
MAX_PARAMETERS = 8
"""Most processing parameters an :class:`AlgorithmIdentity` names (with the 64 characters each: room in an ST)."""

_NO_LONGER_HOLD = frozenset(
    Tag(keyword)
    for keyword in (
        "InstanceCreatorUID",
        "SmallestPixelValueInSeries",
        "LargestPixelValueInSeries",
        "PixelPaddingValue",
        "PixelPaddingRangeLimit",
        "PlanarConfiguration",
        "PixelDataProviderURL",
        "IconImageSequence",
        "DigitalSignaturesSequence",
        "MACParametersSequence",
        "EncryptedAttributesSequence",
        "DataSetTrailingPadding",
        "SourceImageSequence",
        "DerivationDescription",
        "DerivationCodeSequence",
        "ReferencedSeriesSequence",
        "StudiesContainingOtherReferencedInstancesSequence",
    )
)


@dataclass(frozen=True, kw_only=True)
class AlgorithmIdentity:
    """The algorithm that made the derived pixels, as recorded in the series.

    Attributes:
        name: model name (Manufacturer's Model Name of the contributing equipment), e.g. ``"DnCNN-2.5D"``.
        version: model version (second value of Software Versions).
        software_version: petiq's version (first value of Software Versions).
        device_uid: Device UID; a new one whenever the weights change (an adapted network is a new device).
        description: one sentence for Derivation Description and Contribution Description.
        manufacturer: Manufacturer of the contributing equipment.
        action: what was done, the start of the Derivation Description (``"Denoised"``: "Denoised by <name> ...").
        parameters: the processing parameters that shaped the pixels, ``(name, value)`` pairs such as
            ``("strength", "medium")``, written ``name=value`` after the description and as Algorithm Parameters of
            the scores SR; at most :data:`MAX_PARAMETERS`, each ``name=value`` ASCII, without a backslash, at most
            64 characters, so that they always fit the Derivation Description (ST, 1024 characters) whole.
    """

    name: str
    version: str
    software_version: str
    device_uid: str
    description: str
    manufacturer: str = "petiq"
    parameters: tuple[tuple[str, str], ...] = ()
    action: str = "Denoised"

    def __post_init__(self) -> None:
        for label in ("name", "version", "software_version", "manufacturer"):
            value = getattr(self, label)
            if not value or len(value) > _LO_MAX or "\\" in value or not value.isascii():
                raise ValueError(f"Argument '{label}' should be 1-{_LO_MAX} ASCII characters without a backslash.")
        if not self.device_uid:
            raise ValueError("Argument 'device_uid' should be a UID.")
        for label in ("description", "action"):  # written into the source's character set, maybe not UTF-8
            if not getattr(self, label).isascii():
                raise ValueError(f"Argument '{label}' should be ASCII text.")
        if not 0 < len(self.action) <= _LO_MAX:
            raise ValueError(f"Argument 'action' should be 1-{_LO_MAX} characters.")
        if len(self.parameters) > MAX_PARAMETERS or not all(_is_parameter(item) for item in self.parameters):
            raise ValueError(
                f"Argument 'parameters' should be at most {MAX_PARAMETERS} (name, value) pairs, each 'name=value' "
                f"1-{_LO_MAX} ASCII characters without a backslash."
            )

    @property
    def parameter_texts(self) -> tuple[str, ...]:
        """The ``parameters`` as ``name=value`` texts, in order."""
        return tuple(f"{name}={value}" for name, value in self.parameters)

    @property
    def derivation_description(self) -> str:
        """Derivation Description (ST, at most 1024 characters): names the model and its version, then the
        ``parameters`` (kept whole: only the description is cut when the whole is too long)."""
        head = f"{self.action} by {self.name} {self.version} ({self.manufacturer}): "
        tail = "".join(f"; {text}" for text in self.parameter_texts)
        return head + self.description[: max(0, _ST_MAX - len(head) - len(tail))] + tail


def _is_parameter(item: object) -> bool:
    """Whether ``item`` is a ``(name, value)`` pair of strings whose ``name=value`` is a valid parameter text."""
    if not isinstance(item, tuple) or len(item) != 2 or not all(isinstance(part, str) for part in item):
        return False
    name, value = item
    text = f"{name}={value}"
    return bool(name) and bool(value) and len(text) <= _LO_MAX and text.isascii() and "\\" not in text


def derived_series_description(*, original: str, suffix: str = SERIES_DESCRIPTION_SUFFIX) -> str:
    """``original + suffix`` (default ``" [petiq denoised]"``), the original cut so the result fits an LO (64
    characters)."""
    room = _LO_MAX - len(suffix)
    return (original.strip()[:room].rstrip() + suffix).strip()


def choose_series_number(*, source_number: int | None, requested: int | None, taken: Collection[int]) -> int:
    """The derived Series Number by the module's rule (see the module docstring)."""
    blocked = {*taken, *([source_number] if source_number is not None else [])}
    if requested is not None:
        if requested in blocked or not 0 <= requested <= _IS_MAX:
            raise ValueError(f"Argument 'series_number' should be a free IS value, got {requested} (taken or invalid).")
        return requested
    candidate = (source_number or 0) + SERIES_NUMBER_OFFSET
    while candidate in blocked:
        candidate += 1
    return candidate


def _carried(source: Dataset) -> dict[BaseTag, DataElement | RawDataElement]:
    """The elements of ``source`` (not copied, raw ones left raw) without private, group-length, pixel, overlay and
    no-longer-true attributes, by tag."""
    out: dict[BaseTag, DataElement | RawDataElement] = {}
    for tag, element in source.items():  # the elements as stored (iterating a Dataset converts them)
        group, number = tag >> 16, tag & 0xFFFF
        if group % 2 or number == 0 or group >= 0x7FE0 or 0x6000 <= group <= 0x60FF or tag in _NO_LONGER_HOLD:
            continue  # private, group length, pixels, overlays, no longer true
        out[tag] = element
    return out


def _detached(element: DataElement) -> DataElement:
    """A copy of ``element`` that shares nothing mutable with it (its value is copied unless immutable)."""
    if isinstance(element.value, str | int | float | bytes | PersonName) or element.value is None:
        return copy.copy(element)
    return copy.deepcopy(element)


def _valid_ds(element: DataElement) -> DataElement:
    """``element`` with every Decimal String value longer than 16 characters rewritten as the closest valid one
    (writers that print a float's full repr, e.g. Slice Thickness ``2.7799999930641364``); others as they are."""
    if element.VR != VR.DS or element.value is None or element.value == "":
        return element
    values = element.value if isinstance(element.value, MultiValue) else [element.value]
    if all(len(str(value)) <= _DS_MAX for value in values):
        return element
    fixed = [ds_string(float(value)) for value in values]
    element.value = fixed if isinstance(element.value, MultiValue) else fixed[0]
    return element


def _series_attributes(
    *,
    first: Dataset,
    algorithm: AlgorithmIdentity,
    kind: DerivedKind,
    series_number: int | None,
    taken: Collection[int],
) -> Dataset:
    """The attributes every derived slice shares: the new series and the derivation."""
    ds = Dataset()
    ds.SeriesInstanceUID = hd.UID()
    source_number = first.get("SeriesNumber")  # Type 2: may be present and empty
    ds.SeriesNumber = choose_series_number(
        source_number=int(source_number) if source_number not in (None, "") else None,
        requested=series_number,
        taken=taken,
    )
    original = str(first.get("SeriesDescription") or "")
    ds.SeriesDescription = derived_series_description(original=original, suffix=kind.suffix)
    ds.DerivationDescription = algorithm.derivation_description
    ds.DerivationCodeSequence = [code_item(kind.code)]
    return ds


def _equipment(*, algorithm: AlgorithmIdentity, created: datetime) -> Dataset:
    """The Contributing Equipment Sequence item of the algorithm."""
    item = Dataset()
    item.PurposeOfReferenceCodeSequence = [code_item(codes.DCM.ProcessingEquipment)]
    item.Manufacturer = algorithm.manufacturer
    item.ManufacturerModelName = algorithm.name
    item.SoftwareVersions = [algorithm.software_version, algorithm.version]
    item.DeviceUID = algorithm.device_uid
    item.ContributionDateTime = dt_string(created)
    item.ContributionDescription = algorithm.derivation_description
    return item


def _references(source: Dataset) -> tuple[Dataset, Dataset]:
    """The Source Image Sequence item and the Referenced Series Sequence item for ``source``."""
    image = Dataset()
    image.ReferencedSOPClassUID = source.SOPClassUID
    image.ReferencedSOPInstanceUID = source.SOPInstanceUID
    image.PurposeOfReferenceCodeSequence = [code_item(codes.DCM.SourceImageForImageProcessingOperation)]
    instance = Dataset()
    instance.ReferencedSOPClassUID = source.SOPClassUID
    instance.ReferencedSOPInstanceUID = source.SOPInstanceUID
    series = Dataset()
    series.SeriesInstanceUID = source.SeriesInstanceUID
    series.ReferencedInstanceSequence = [instance]
    return image, series


_PER_SLICE = frozenset(
    Tag(keyword)
    for keyword in (
        "SOPInstanceUID",
        "InstanceNumber",
        "ImageIndex",
        "SourceImageSequence",
        "ReferencedSeriesSequence",
        "SmallestImagePixelValue",
        "LargestImagePixelValue",
        "RescaleSlope",
        "PixelData",
    )
)
"""Set from the slice itself (its source, its place, its pixels): never shared with the first slice."""
_IMAGE_TYPE = Tag("ImageType")
_EQUIPMENT = Tag("ContributingEquipmentSequence")


@dataclass(frozen=True, kw_only=True)
class _SeriesParts:
    """What every slice of the derived series is made with.

    Attributes:
        series: the new series' attributes (:func:`_series_attributes`), set whole in every slice.
        values: keyword → the value every slice sets (creation moment, pixel format); a present element keeps its VR.
        equipment: the algorithm's Contributing Equipment item.
        encoded: the stored pixels and slopes of every slice.
    """

    series: Dataset
    values: dict[str, object]
    equipment: Dataset
    encoded: EncodedSlices

    def rules(self) -> HeaderRules:
        """What the slice statements of :func:`_derived_slice` do with each tag."""
        return HeaderRules(
            replaced=frozenset(self.series.keys()),
            valued=frozenset(Tag(keyword) for keyword in self.values),
            per_slice=_PER_SLICE,
            presence_of={Tag(keyword): Tag(other) for keyword, other in TYPE2_EXCLUDED_BY.items()},
        )


def _series_values(*, created: datetime, encoded: EncodedSlices) -> dict[str, object]:
    """The values every slice sets whatever its source has: creation date/time, pixel format, Rescale Intercept."""
    rows, columns = (int(n) for n in encoded.stored.shape[1:])
    return {
        "InstanceCreationDate": da_string(created),
        "ContentDate": da_string(created),
        "InstanceCreationTime": tm_string(created),
        "ContentTime": tm_string(created),
        **pixel_format(rows=rows, columns=columns),
    }


def _slice_elements(
    *,
    source: Dataset,
    carried: Collection[BaseTag],
    shared: dict[BaseTag, RawDataElement],
    series: Dataset,
) -> Dataset:
    """A new dataset of the ``shared`` elements, copies of the other ``carried`` elements of ``source`` (converted
    now when still raw) and of the new series'."""
    elements: dict[BaseTag, DataElement | RawDataElement] = {
        tag: _valid_ds(_detached(source[tag])) for tag in carried if tag not in shared
    }
    elements.update(shared)
    ds = Dataset(elements)
    for element in series:
        if element.tag not in shared:
            ds[element.tag] = copy.deepcopy(element)
    return ds


def _derived_slice(*, source: Dataset, parts: _SeriesParts, index: int, header: SeriesHeader | None) -> Dataset:
    """Derived slice ``index`` from its source header. With ``header``, the elements the slice has in common
    with the first slice are the header's, encoded once (:mod:`imaging.dicom.series_header`); the statements
    below leave them alone, since they would set them to what they already are."""
    carried = _carried(source)
    shared = header.shared_with(carried, source=source) if header is not None else {}
    ds = _slice_elements(source=source, carried=carried.keys(), shared=shared, series=parts.series)
    ds.SOPInstanceUID = hd.UID()
    ds.InstanceNumber = index + 1
    if "ImageIndex" not in ds:  # PET Image, Type 1: the slice's place in the series, as the series is written
        ds.ImageIndex = index + 1
    if _IMAGE_TYPE not in shared:
        ds.ImageType = [ImageType.DERIVED.value, "PRIMARY", *list(source.get("ImageType", []))[2:]]
    for keyword, value in parts.values.items():
        if Tag(keyword) not in shared:
            setattr(ds, keyword, value)
    image_reference, series_reference = _references(source)
    ds.SourceImageSequence = [image_reference]
    ds.ReferencedSeriesSequence = [series_reference]
    if _EQUIPMENT not in shared:
        ds.ContributingEquipmentSequence = [
            *copy.deepcopy(source.get("ContributingEquipmentSequence", [])),
            parts.equipment,
        ]
    set_slice_pixels(ds, stored=parts.encoded.stored[index], slope=parts.encoded.slope_strings[index])
    fill_type2(ds, keywords=PET_IMAGE_TYPE2)
    set_file_meta(ds)
    if shared:
        seal(ds, shared=shared.keys())
    return ds


_POSITION_TOLERANCE_MM = 0.01
_DIRECTION_TOLERANCE = 1e-4


def _check_identity(*, volume: PetVolume, sources: Sequence[Dataset]) -> None:
    """Sources: one PET Image Storage series of the volume's study, the volume's instances in z order."""
    if len(sources) != volume.shape[0]:
        raise ValueError(
            f"Argument 'sources' should hold one dataset per slice of 'volume': {len(sources)} for {volume.shape[0]}."
        )
    if any(ds.get("SOPClassUID") != PET_IMAGE_STORAGE for ds in sources):
        raise ValueError("Argument 'sources' should be PET Image Storage instances.")
    if {ds.get("SeriesInstanceUID") for ds in sources} != {volume.uids.series_uid}:
        raise ValueError("Argument 'sources' should all belong to the series of 'volume' (uids.series_uid).")
    if {ds.get("StudyInstanceUID") for ds in sources} != {volume.uids.study_uid}:
        raise ValueError("Argument 'sources' should all belong to the study of 'volume' (uids.study_uid).")
    wanted = volume.uids.sop_instance_uids
    if wanted and tuple(ds.get("SOPInstanceUID") for ds in sources) != wanted:
        raise ValueError("Argument 'sources' should be the instances of 'volume' (uids.sop_instance_uids) in z order.")
    units = volume.units_raw if volume.units is Units.OTHER else volume.units.value
    if any(ds.get("Units", units) != units for ds in sources):
        raise ValueError(f"Argument 'volume' should be in the Units of 'sources', got {units}.")


def _check_geometry(*, volume: PetVolume, sources: Sequence[Dataset]) -> None:
    """Each source slice lies where the volume's geometry puts slice z, with its pixel grid."""
    geometry = volume.geometry
    for index, ds in enumerate(sources):
        where = f"source slice {index} (SOP {ds.get('SOPInstanceUID')})"
        if (ds.get("Rows"), ds.get("Columns")) != volume.shape[1:]:
            raise ValueError(f"Argument 'sources' should match the (y, x) size of 'volume': {where}.")
        position = np.asarray(ds.get("ImagePositionPatient", [np.nan] * 3), dtype=np.float64)
        if not np.allclose(position, geometry.slice_origin_mm(index), rtol=0, atol=_POSITION_TOLERANCE_MM):
            raise ValueError(f"Argument 'sources' should lie on the geometry of 'volume': position of {where}.")
        orientation = np.asarray(ds.get("ImageOrientationPatient", [np.nan] * 6), dtype=np.float64)
        if not np.allclose(orientation, geometry.image_orientation, rtol=0, atol=_DIRECTION_TOLERANCE):
            raise ValueError(f"Argument 'sources' should lie on the geometry of 'volume': orientation of {where}.")
        spacing = np.asarray(ds.get("PixelSpacing", [np.nan] * 2), dtype=np.float64)
        if not np.allclose(spacing, geometry.spacing_mm[1:], rtol=1e-6, atol=1e-6):
            raise ValueError(f"Argument 'sources' should lie on the geometry of 'volume': pixel spacing of {where}.")


def derive_series(
    *,
    volume: PetVolume,
    sources: Sequence[Dataset],
    algorithm: AlgorithmIdentity,
    kind: DerivedKind = DENOISED,
    series_number: int | None = None,
    taken_series_numbers: Collection[int] = (),
    created: datetime | None = None,
) -> list[Dataset]:
    """The derived series of ``volume``, one dataset per slice in z order, with file meta.

    Args:
        volume: ``(z, y, x) float32`` processed voxels in the source's units (Bq/ml for BQML), with the source's
            geometry (mm); ``volume.uids`` are the source's (SOP Instance UIDs, when given, must match ``sources``).
        sources: the source slices' headers in z order, one per slice (Pixel Data not needed).
        algorithm: the model that produced the voxels.
        kind: what the voxels are (:data:`DENOISED` or :data:`UNCERTAINTY`): the description suffix and code.
        series_number: the derived Series Number; None applies the module's rule.
        taken_series_numbers: Series Numbers already used in the study (avoided by the rule).
        created: creation moment; now (local time zone) when None.

    Returns:
        Independent datasets (setting an attribute of one changes no other, nor a source); all but the first hold
        the elements they share with it as raw elements, decoded when read.
    """
    _check_identity(volume=volume, sources=sources)
    _check_geometry(volume=volume, sources=sources)
    moment = created if created is not None else datetime.now().astimezone()
    encoded = encode_slices(voxels=volume.voxels)
    parts = _SeriesParts(
        series=_series_attributes(
            first=sources[0],
            algorithm=algorithm,
            kind=kind,
            series_number=series_number,
            taken=taken_series_numbers,
        ),
        values=_series_values(created=moment, encoded=encoded),
        equipment=_equipment(algorithm=algorithm, created=moment),
        encoded=encoded,
    )
    first_carried = _carried(sources[0])  # as read: building the first slice converts its raw elements
    first = _derived_slice(source=sources[0], parts=parts, index=0, header=None)
    header = SeriesHeader.from_first(
        rules=parts.rules(), first_carried=first_carried, first_source=sources[0], first=first
    )
    rest = [
        _derived_slice(source=source, parts=parts, index=index, header=header)
        for index, source in enumerate(sources[1:], start=1)
    ]
    return [first, *rest]
