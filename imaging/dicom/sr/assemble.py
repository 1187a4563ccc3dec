"""The last step of the scores SR: each measurement group's tail appended to its container in highdicom's document.

highdicom builds the document from the groups' heads (:class:`~imaging.dicom.sr.content.MeasurementGroup`: why);
:func:`complete` finds each group's container in the document by its Tracking Unique Identifier (DCM 112040) and
appends the tail (the IMAGE items, then the TEXT items) to it. The result is a plain pydicom dataset with the
document's elements and file meta: highdicom's parsed view of the content (``.content``) was made before the tails
were appended and would leave them out.
"""

from __future__ import annotations

from collections.abc import Sequence

import highdicom as hd
from pydicom import Dataset

from imaging.dicom.sr.content import MeasurementGroup

__all__ = ["complete"]

_TRACKING_UID = "112040"
"""DCM code value of "Tracking Unique Identifier"."""


def _tracking_uid(item: Dataset) -> str | None:
    """The Tracking Unique Identifier directly in the CONTAINER ``item``, None when it has none."""
    for child in item.get("ContentSequence", []):
        names = child.get("ConceptNameCodeSequence", [])
        if child.get("ValueType") == "UIDREF" and names and names[0].get("CodeValue") == _TRACKING_UID:
            return str(child.UID)
    return None


def _group_containers(document: Dataset) -> dict[str, Dataset]:
    """The CONTAINER items one level below the root's containers (the TID 1501 groups), by tracking UID."""
    found: dict[str, Dataset] = {}
    for container in document.ContentSequence:
        if container.get("ValueType") != "CONTAINER":
            continue
        for item in container.get("ContentSequence", []):
            uid = _tracking_uid(item) if item.get("ValueType") == "CONTAINER" else None
            if uid is not None:
                found[uid] = item
    return found


def complete(*, document: hd.sr.Comprehensive3DSR, groups: Sequence[MeasurementGroup]) -> Dataset:
    """``document`` (built from the heads of ``groups``) with each group's tail appended, as a plain dataset."""
    containers = _group_containers(document)
    for group in groups:
        container = containers.get(group.tracking_uid)
        if container is None:
            raise LookupError(f"highdicom's document holds no measurement group {group.tracking_uid}.")
        container.ContentSequence.extend(group.tail)
    plain = Dataset(document)  # the same elements, without highdicom's view of the content
    plain.file_meta = document.file_meta
    return plain
