"""What the scores SR takes of each instance it references: its SOP Class and SOP Instance UIDs, nothing more.

The SR lists every instance of both series twice (as evidence and as the measurement groups' source images), yet
needs of an instance only those two UIDs, and of a series its study, series and frame of reference UIDs (to check
the two series belong together) and its Series Numbers (for the SR's own). :func:`series_references` reads them
from the datasets once, checking them as it goes (:class:`~imaging.errors.InputError`, check ``sr_input``);
:func:`evidence_datasets` then makes what highdicom's SR constructor reads of its evidence: one small dataset per
instance with the four UIDs of the Current Requested Procedure Evidence Sequence, not the instance's header.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydicom import Dataset

from imaging.errors import InputError

__all__ = ["InstanceReference", "SeriesReferences", "evidence_datasets", "series_references"]

_KEYS = ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
_PIXEL_DESCRIPTION = ("Rows", "Columns", "SamplesPerPixel", "PixelRepresentation")
_NOT_IMAGES = frozenset(
    {"SEG", "SR", "DOC", "KO", "PR", "PLAN", "RWV", "REG", "FID", "RTDOSE", "RTPLAN", "RTRECORD", "RTSTRUCT"}
)
"""Modalities that are no source image of a measurement (those highdicom's ``from_source_image`` refuses)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class InstanceReference:
    """One instance as the SR references it."""

    sop_class_uid: str
    sop_instance_uid: str


@dataclass(frozen=True, kw_only=True)
class SeriesReferences:
    """One series as the SR needs it.

    Attributes:
        study_uid: Study Instance UID shared by every instance.
        series_uid: Series Instance UID shared by every instance.
        frame_uids: the non-empty Frame of Reference UIDs of the instances (one, or none).
        series_numbers: the non-empty Series Numbers of the instances.
        instances: every instance, in the order given.
    """

    study_uid: str
    series_uid: str
    frame_uids: frozenset[str]
    series_numbers: tuple[int, ...]
    instances: tuple[InstanceReference, ...]


def _check_image(dataset: Dataset, *, name: str) -> None:
    """InputError unless ``dataset`` is a source image: some image pixel description and no non-image Modality."""
    if not any(key in dataset for key in _PIXEL_DESCRIPTION) or str(dataset.get("Modality", "")) in _NOT_IMAGES:
        raise InputError(
            f"Argument '{name}' should hold images (Rows, Columns, ...; no Modality among {sorted(_NOT_IMAGES)}).",
            check="sr_input",
            uid=str(dataset.get("SOPInstanceUID", "")) or None,
        )


def series_references(*, datasets: Sequence[Dataset], name: str) -> SeriesReferences:
    """The references of the one series ``datasets`` (argument ``name`` in errors).

    Raises:
        InputError: ``datasets`` is no non-empty sequence of image datasets with the four UIDs (SOP Class, SOP
            Instance, Study Instance, Series Instance) of one series.
    """
    if isinstance(datasets, Dataset) or not isinstance(datasets, Sequence) or not datasets:
        raise InputError(f"Argument '{name}' should be a non-empty sequence of datasets.", check="sr_input")
    if any(not isinstance(ds, Dataset) or any(not ds.get(key) for key in _KEYS) for ds in datasets):
        raise InputError(f"Argument '{name}' should hold datasets with {', '.join(_KEYS)}.", check="sr_input")
    pairs = {(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID)) for ds in datasets}
    if len(pairs) != 1:
        raise InputError(
            f"Argument '{name}' should be the instances of one series, got {len(pairs)}.", check="sr_input"
        )
    for dataset in datasets:
        _check_image(dataset, name=name)
    ((study_uid, series_uid),) = pairs
    return SeriesReferences(
        study_uid=study_uid,
        series_uid=series_uid,
        frame_uids=frozenset(str(ds.FrameOfReferenceUID) for ds in datasets if ds.get("FrameOfReferenceUID")),
        series_numbers=tuple(int(ds.SeriesNumber) for ds in datasets if ds.get("SeriesNumber") not in (None, "")),
        instances=tuple(
            InstanceReference(sop_class_uid=str(ds.SOPClassUID), sop_instance_uid=str(ds.SOPInstanceUID))
            for ds in datasets
        ),
    )


def evidence_datasets(*, series: SeriesReferences) -> list[Dataset]:
    """One dataset per instance of ``series`` holding only its SOP Class, SOP Instance, Study Instance and Series
    Instance UIDs: what highdicom's SR constructor reads of an evidence dataset after the first."""
    items = []
    for instance in series.instances:
        item = Dataset()
        item.SOPClassUID, item.SOPInstanceUID = instance.sop_class_uid, instance.sop_instance_uid
        item.StudyInstanceUID, item.SeriesInstanceUID = series.study_uid, series.series_uid
        items.append(item)
    return items
