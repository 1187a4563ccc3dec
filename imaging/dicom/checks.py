"""Validation of a PET series' headers: each check raises an InputError naming itself (``check=``) and the UID.

Check names: ``single_series``, ``series_uid``, ``modality``, ``sop_class``, ``pixel_data``, ``transfer_syntax``,
``limits`` (an image beyond :mod:`imaging.dicom.limits`), ``consistent_grid``, ``consistent_units``,
``consistent_radionuclide``, ``consistent_decay_correction``, ``attribute`` (a required attribute missing or
malformed), ``duplicate_instance``.

The consistency checks compare raw header values and never raise on a missing or empty attribute of their own:
Units (0054,1001) must be the same on every slice, an absent or empty Units counting as a value of its own (absent
everywhere is fine: no SUV, not a refusal); the radionuclide (RadionuclideCodeSequence code value, Radionuclide
name, RadionuclideHalfLife of the first RadiopharmaceuticalInformationSequence item) and DecayCorrection
(0054,1102) must agree among the slices that state them.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePath

from pydicom.dataset import Dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian

from imaging.dicom.limits import check_encapsulated_size, image_bytes
from imaging.dicom.sources import SourceFile
from imaging.dicom.tolerant import first_item, positive_number, text
from imaging.errors import MixedSeriesError, SeriesError, UnsupportedError

__all__ = [
    "PetSopClass",
    "check_consistent_decay_correction",
    "check_consistent_grid",
    "check_consistent_radionuclide",
    "check_consistent_units",
    "check_image_pixel",
    "check_instance_uids",
    "check_modality",
    "check_pixel_data",
    "check_sop_class",
    "float_values",
    "is_decodable",
    "single_series",
]


class PetSopClass(enum.StrEnum):
    """The PET storage SOP classes petiq recognises."""

    PET_IMAGE = "1.2.840.10008.5.1.4.1.1.128"
    ENHANCED_PET_IMAGE = "1.2.840.10008.5.1.4.1.1.130"
    LEGACY_CONVERTED_ENHANCED_PET_IMAGE = "1.2.840.10008.5.1.4.1.1.128.1"


_PET_MODALITY = "PT"
_GRID_KEYWORDS = ("Rows", "Columns", "PixelSpacing", "ImageOrientationPatient")


def float_values(*, file: SourceFile, keyword: str, count: int, uid: str | None) -> tuple[float, ...]:
    """The ``count`` finite numbers of attribute ``keyword``; SeriesError (check ``attribute``) otherwise."""
    value = file.dataset.get(keyword)
    try:
        items = value if isinstance(value, Sequence) and not isinstance(value, str | bytes) else [value]
        values = tuple(float(item) for item in items)
    except (TypeError, ValueError) as error:
        values = ()
        cause: Exception | None = error
    else:
        cause = None
    if len(values) != count or not all(math.isfinite(item) for item in values):
        raise SeriesError(
            f"Attribute '{keyword}' of {file.name} should hold {count} number(s), got {value!r}.",
            check="attribute",
            uid=uid,
            path=file.name,
        ) from cause
    return values


def single_series(*, files: Sequence[SourceFile]) -> str:
    """The one SeriesInstanceUID of ``files``; MixedSeriesError listing ``uid: n files`` when there are several."""
    counts = Counter(str(file.dataset.get("SeriesInstanceUID", "")) for file in files)
    if len(counts) > 1:
        listing = ", ".join(f"{uid or '<none>'}: {n} files" for uid, n in sorted(counts.items()))
        raise MixedSeriesError(
            f"Argument 'source' should hold one series, found {len(counts)}: {listing}.", series=dict(counts)
        )
    uid = next(iter(counts))
    if not uid:
        raise SeriesError("Attribute 'SeriesInstanceUID' is missing.", check="series_uid", path=files[0].name)
    return uid


def check_modality(*, files: Sequence[SourceFile], uid: str) -> None:
    """Every file has Modality ``PT``."""
    for file in files:
        modality = file.dataset.get("Modality")
        if modality != _PET_MODALITY:
            raise SeriesError(
                f"Attribute 'Modality' should be 'PT', got {modality!r} in {file.name}.",
                check="modality",
                uid=uid,
                path=file.name,
            )


def check_sop_class(*, files: Sequence[SourceFile], uid: str) -> None:
    """Every file is PET Image Storage; the Enhanced PET classes are UnsupportedError, anything else SeriesError."""
    for file in files:
        sop_class = str(file.dataset.get("SOPClassUID", ""))
        if sop_class == PetSopClass.PET_IMAGE:
            continue
        if sop_class in (PetSopClass.ENHANCED_PET_IMAGE, PetSopClass.LEGACY_CONVERTED_ENHANCED_PET_IMAGE):
            raise UnsupportedError(
                f"SOP class {UID(sop_class).name} of {file.name} is not supported: petiq reads PET Image Storage.",
                check="sop_class",
                uid=uid,
                path=file.name,
            )
        raise SeriesError(
            f"Attribute 'SOPClassUID' should be PET Image Storage ({PetSopClass.PET_IMAGE.value}), "
            f"got {sop_class!r} in {file.name}.",
            check="sop_class",
            uid=uid,
            path=file.name,
        )


def check_pixel_data(*, files: Sequence[SourceFile], uid: str) -> None:
    """Every file has PixelData in a transfer syntax some installed decoder handles."""
    for file in files:
        if not file.dataset.get("PixelData"):
            raise SeriesError(
                f"{file.name} has no PixelData (absent or empty).", check="pixel_data", uid=uid, path=file.name
            )
        syntax = _transfer_syntax(file.dataset)
        if syntax is None:
            raise SeriesError(
                f"{file.name} has no TransferSyntaxUID in its file meta.",
                check="transfer_syntax",
                uid=uid,
                path=file.name,
            )
        if syntax.is_compressed and not is_decodable(syntax=syntax):
            raise UnsupportedError(
                f"Transfer syntax {syntax.name} ({syntax}) of {file.name} is not supported: "
                "no decoder for it is installed.",
                check="transfer_syntax",
                uid=uid,
                path=file.name,
            )
        _check_size(file=file, uid=uid, syntax=syntax)


def is_decodable(*, syntax: UID) -> bool:
    """Whether petiq can read pixel data in ``syntax``: native, Deflated, or compressed with a decoder installed."""
    if not syntax.is_compressed:
        return True
    if syntax == DeflatedExplicitVRLittleEndian:
        return True
    try:
        return bool(get_decoder(syntax).is_available)
    except NotImplementedError:
        return False


def _check_size(*, file: SourceFile, uid: str, syntax: UID) -> None:
    """The image is within :mod:`imaging.dicom.limits`, and encapsulated Pixel Data not absurdly larger."""
    if syntax.is_encapsulated:
        encapsulated = len(file.dataset.PixelData)
        check_encapsulated_size(dataset=file.dataset, encapsulated=encapsulated, name=file.name, uid=uid)
    else:
        image_bytes(dataset=file.dataset, name=file.name, uid=uid)


def _transfer_syntax(dataset: Dataset) -> UID | None:
    meta = getattr(dataset, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if syntax is None:
        return None
    syntax = UID(str(syntax))
    return syntax if syntax.is_transfer_syntax else None


def _grid_value(file: SourceFile, keyword: str) -> str:
    value = file.dataset.get(keyword)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "\\".join(f"{float(item):.6g}" for item in value)
    return str(value)


def check_consistent_grid(*, files: Sequence[SourceFile], uid: str) -> None:
    """Rows, Columns, PixelSpacing and ImageOrientationPatient are the same on every slice."""
    for keyword in _GRID_KEYWORDS:
        try:
            values = [_grid_value(file, keyword) for file in files]
        except (TypeError, ValueError) as error:
            raise SeriesError(f"Attribute '{keyword}' is malformed: {error}.", check="attribute", uid=uid) from error
        common, _ = Counter(values).most_common(1)[0]
        for file, value in zip(files, values, strict=True):
            if value != common:
                raise SeriesError(
                    f"Attribute '{keyword}' should be the same on every slice: {file.name} has {value}, "
                    f"the others {common}.",
                    check="consistent_grid",
                    uid=uid,
                    path=file.name,
                )


_INSTANCE_UID_KEYWORDS = ("StudyInstanceUID", "SOPInstanceUID")


def check_instance_uids(*, files: Sequence[SourceFile], uid: str) -> None:
    """Every file has a Study Instance UID and a SOP Instance UID (Type 1: the derived series and the SR reference
    them), all files one study, no SOP Instance UID twice."""
    for keyword in _INSTANCE_UID_KEYWORDS:
        for file in files:
            if not str(file.dataset.get(keyword) or "").strip():
                raise SeriesError(
                    f"Attribute '{keyword}' is missing or empty in {file.name}.",
                    check="attribute",
                    uid=uid,
                    path=file.name,
                )
    studies = Counter(str(file.dataset.StudyInstanceUID) for file in files)
    if len(studies) > 1:
        raise SeriesError(
            f"Attribute 'StudyInstanceUID' should be the same on every slice, found {len(studies)} studies.",
            check="consistent_grid",
            uid=uid,
        )
    instances = Counter(str(file.dataset.SOPInstanceUID) for file in files)
    repeated, count = instances.most_common(1)[0]
    if count > 1:
        raise SeriesError(
            f"Attribute 'SOPInstanceUID' should differ on every slice: {repeated} is on {count} files.",
            check="duplicate_instance",
            uid=uid,
        )


_IMAGE_PIXEL_KEYWORDS = (
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "PhotometricInterpretation",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
)
_GRAYSCALE = frozenset({"MONOCHROME1", "MONOCHROME2"})


def check_image_pixel(*, files: Sequence[SourceFile], uid: str) -> None:
    """Every file has the Image Pixel attributes a decoder needs (Type 1), one grayscale sample per pixel.

    Checked before any decoder runs, so the error names the attribute, not the decoder's message.
    """
    for file in files:
        for keyword in _IMAGE_PIXEL_KEYWORDS:
            if file.dataset.get(keyword) in (None, ""):
                raise SeriesError(
                    f"Attribute '{keyword}' is missing or empty in {file.name}.",
                    check="attribute",
                    uid=uid,
                    path=file.name,
                )
        samples, photometric = file.dataset.SamplesPerPixel, str(file.dataset.PhotometricInterpretation).strip()
        if samples != 1 or photometric not in _GRAYSCALE:
            raise SeriesError(
                f"Attributes 'SamplesPerPixel' and 'PhotometricInterpretation' should be 1 and MONOCHROME1/2 (PET is "
                f"grayscale), got {samples!r} and {photometric!r} in {file.name}.",
                check="attribute",
                uid=uid,
                path=file.name,
            )


_ABSENT = "none"


def _check_same(*, files: Sequence[SourceFile], values: Sequence[str | None], label: str, check: str, uid: str) -> None:
    """Raise SeriesError ``check`` naming the first file whose value differs from the most common one (by its base
    name in the message, so a job's problem detail shows no server path); files with value None take no part."""
    stated = [(file, value) for file, value in zip(files, values, strict=True) if value is not None]
    if len({value for _, value in stated}) <= 1:
        return
    common, _ = Counter(value for _, value in stated).most_common(1)[0]
    file, value = next((file, value) for file, value in stated if value != common)
    raise SeriesError(
        f"{label} should be the same on every slice: {PurePath(file.name).name} has {value or _ABSENT}, "
        f"the others {common or _ABSENT}.",
        check=check,
        uid=uid,
        path=file.name,
    )


def check_consistent_units(*, files: Sequence[SourceFile], uid: str) -> None:
    """Units (0054,1001) is the same on every slice; absent or empty counts as one value (``none``)."""
    values = [text(file.dataset, "Units") for file in files]
    _check_same(files=files, values=values, label="Attribute 'Units'", check="consistent_units", uid=uid)


def _radionuclide_fields(dataset: Dataset) -> tuple[str | None, str | None, str | None]:
    """(code value, Radionuclide name, half-life) of the first radiopharmaceutical item; None when not stated."""
    drug = first_item(dataset, "RadiopharmaceuticalInformationSequence")
    code_value = text(first_item(drug, "RadionuclideCodeSequence"), "CodeValue")
    half_life = positive_number(drug, "RadionuclideHalfLife")
    return code_value or None, text(drug, "Radionuclide") or None, f"{half_life:.4g} s" if half_life else None


def check_consistent_radionuclide(*, files: Sequence[SourceFile], uid: str) -> None:
    """The radionuclide of RadiopharmaceuticalInformationSequence agrees among the slices that state it: the code
    value of RadionuclideCodeSequence, the Radionuclide name and RadionuclideHalfLife (4 significant digits) are
    each compared; a slice without them takes no part."""
    fields = [_radionuclide_fields(file.dataset) for file in files]
    labels = (
        "The code value of RadionuclideCodeSequence",
        "Attribute 'Radionuclide'",
        "Attribute 'RadionuclideHalfLife'",
    )
    for position, label in enumerate(labels):
        values = [field[position] for field in fields]
        _check_same(files=files, values=values, label=label, check="consistent_radionuclide", uid=uid)


def check_consistent_decay_correction(*, files: Sequence[SourceFile], uid: str) -> None:
    """DecayCorrection (0054,1102) agrees among the slices that state it (its reference time drives SUV)."""
    values = [text(file.dataset, "DecayCorrection") or None for file in files]
    _check_same(
        files=files, values=values, label="Attribute 'DecayCorrection'", check="consistent_decay_correction", uid=uid
    )
