"""Read side of the storage: which studies and series are stored, their indices, and their instance files."""

from __future__ import annotations

from pathlib import Path

from core.errors import NotFoundError
from core.storage.index import read_index
from core.storage.layout import Layout, is_uid
from core.storage.models import InstanceRecord, SeriesIndex

__all__ = ["index_files", "instance_files", "series_indices", "study_uids"]


def study_uids(*, layout: Layout) -> list[str]:
    """The stored StudyInstanceUIDs, sorted."""
    if not layout.studies.is_dir():
        return []
    return sorted(entry.name for entry in layout.studies.iterdir() if is_uid(entry.name) and entry.is_dir())


def series_indices(*, layout: Layout, study_uid: str) -> list[SeriesIndex]:
    """The indices of the study's series that hold at least one instance, by SeriesNumber then UID."""
    folder = layout.study(study_uid) / "series"
    if not folder.is_dir():
        return []
    indices = [read_index(path=layout.index(study_uid, entry.name)) for entry in folder.iterdir() if is_uid(entry.name)]
    found = [index for index in indices if index is not None and index.instances]
    return sorted(found, key=lambda index: (index.series.series_number or 0, index.series.series_uid))


def _order(item: tuple[str, InstanceRecord]) -> tuple[int, float, str]:
    sop, record = item
    return (record.instance_number or 0, record.image_position[2] if record.image_position else 0.0, sop)


def instance_files(
    *, layout: Layout, study_uid: str, series_uid: str, sop_uid: str | None = None
) -> list[tuple[Path, InstanceRecord]]:
    """The stored files of a series (or of one instance) with their records, in InstanceNumber order.

    Raises:
        NotFoundError: the series (or the instance) is not stored.
    """
    index = read_index(path=layout.index(study_uid, series_uid))
    if index is None or not index.instances:
        raise NotFoundError("No such series is stored.", check="series", uid=series_uid)
    return index_files(layout=layout, index=index, sop_uid=sop_uid)


def index_files(*, layout: Layout, index: SeriesIndex, sop_uid: str | None = None) -> list[tuple[Path, InstanceRecord]]:
    """:func:`instance_files` of a series whose ``index`` was read already.

    Raises:
        NotFoundError: ``sop_uid`` is not in the index.
    """
    study_uid, series_uid = index.study.study_uid, index.series.series_uid
    items = sorted(index.instances.items(), key=_order)
    if sop_uid is not None:
        items = [item for item in items if item[0] == sop_uid]
        if not items:
            raise NotFoundError("No such instance is stored in this series.", check="instance", uid=sop_uid)
    return [(layout.instance(study_uid, series_uid, sop), record) for sop, record in items]
