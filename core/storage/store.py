"""Store received instances: validate each, refuse over-limit requests whole, then commit series by series.

Commit of one series happens under its file lock: every new instance is renamed from the spool into
``instances/<sop>.dcm``, then the series index is rewritten atomically; the index is the commit point (a file
that is not in the index does not exist for readers, and a re-send overwrites it). Storing is idempotent: the
same SOPInstanceUID with identical bytes (SHA-256) is "already stored", a success; with different bytes it fails
with 0x0111 and the stored copy is kept.

A write that fails because the volume is full or read-only (:mod:`core.storage.faults`) refuses the instances
concerned with 0xA700 and ``storage_fault`` set; any other I/O error with 0x0110. Either way nothing of them is
left: a file placed for a series whose index could not be written is removed again, and the index is unchanged.
Messages name no path (they become Warning headers).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from core.errors import InstanceRejectedError, TooLargeError
from core.storage.faults import is_storage_fault, os_error_in, storage_fault
from core.storage.index import read_index, series_lock, write_index
from core.storage.instances import STOW_SOP_CLASSES, normalise_part10, read_instance
from core.storage.layout import Layout
from core.storage.merge import settled_report
from core.storage.models import InstanceHeader, SeriesIndex
from core.storage.outcomes import InstanceOutcome, SeriesKey, StoreReport
from core.storage.spool import SpooledFile
from core.storage.status import FailureReason
from imaging.atomic import fsync_path
from imaging.errors import OutputError

__all__ = ["store_instances"]

_Item = tuple[int, InstanceHeader, SpooledFile]


def _key(header: InstanceHeader) -> SeriesKey:
    return SeriesKey(header.study.study_uid, header.series.series_uid)


def _outcome(
    header: InstanceHeader | None,
    *,
    failure: FailureReason | None = None,
    message: str = "",
    already_stored: bool = False,
    fault: str | None = None,
) -> InstanceOutcome:
    """The outcome of the instance of ``header`` (None: a part that could not be read, no UIDs)."""
    return InstanceOutcome(
        sop_instance_uid=header.sop_instance_uid if header is not None else None,
        sop_class_uid=header.record.sop_class_uid if header is not None else None,
        series=_key(header) if header is not None else None,
        failure=failure,
        message=message,
        already_stored=already_stored,
        storage_fault=fault,
    )


def _write_failed(error: BaseException, header: InstanceHeader | None) -> InstanceOutcome:
    """The outcome of an instance whose writing failed with ``error``: 0xA700 (``storage_fault`` set) when the
    volume is full or read-only, 0x0110 otherwise; the message names no path."""
    fault = storage_fault(error, action="The instance was not stored")
    if fault is not None:
        return _outcome(header, failure=FailureReason.OUT_OF_RESOURCES, message=fault.message, fault=fault.check)
    found = os_error_in(error)
    reason = found.strerror if found is not None and found.strerror else type(error).__name__
    return _outcome(
        header, failure=FailureReason.PROCESSING_FAILURE, message=f"The instance could not be written ({reason})."
    )


def _validate(file: SpooledFile, study_uid: str | None, sop_classes: frozenset[str]) -> InstanceHeader:
    normalise_part10(path=file.path)
    header = read_instance(path=file.path, sha256=file.sha256, size=file.size, sop_classes=sop_classes)
    if study_uid is not None and header.study.study_uid != study_uid:
        raise InstanceRejectedError(
            f"The instance belongs to study {header.study.study_uid}, not to {study_uid} of the request URL.",
            reason=FailureReason.STUDY_UID_MISMATCH,
            check="study_uid",
            uid=header.sop_instance_uid,
            sop_class_uid=header.record.sop_class_uid,
        )
    return header


def _check_limits(*, layout: Layout, groups: dict[SeriesKey, list[_Item]], limit: int) -> None:
    for key, items in groups.items():
        index = read_index(path=layout.index(*key))
        stored = set(index.instances) if index else set()
        total = len(stored | {header.sop_instance_uid for _, header, _ in items})
        if total > limit:
            raise TooLargeError(
                f"Series would hold {total} instances; the limit (max_instances_per_series) is {limit}.",
                check="max_instances_per_series",
                uid=key.series_uid,
            )


def _place(file: SpooledFile, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(file.path, target)


def _add(index: SeriesIndex, item: _Item, layout: Layout, limit: int) -> tuple[InstanceOutcome, bool]:
    _, header, file = item
    existing = index.instances.get(header.sop_instance_uid)
    if existing is not None and existing.sha256 == header.record.sha256:
        return _outcome(header, already_stored=True), False
    if existing is not None:
        message = "This SOPInstanceUID is stored already with different content; the stored copy is kept."
        return _outcome(header, failure=FailureReason.DUPLICATE_SOP_INSTANCE, message=message), False
    if len(index.instances) >= limit:
        message = f"The series reached max_instances_per_series ({limit})."
        return _outcome(header, failure=FailureReason.OUT_OF_RESOURCES, message=message), False
    try:
        _place(file, layout.instance(*_key(header), header.sop_instance_uid))
    except OSError as error:
        return _write_failed(error, header), False
    index.instances[header.sop_instance_uid] = header.record
    return _outcome(header), True


def _fsync_directory(directory: Path) -> None:
    """Make the renames into ``directory`` durable before the index that lists them is written."""
    try:
        fsync_path(directory)
    except OSError as error:
        raise OutputError(f"Cannot sync the instances folder: {error}", path=str(directory)) from error


def _roll_back(*, layout: Layout, added: list[_Item], outcomes: dict[int, InstanceOutcome], error: OutputError) -> None:
    """The index could not be written: remove the files just placed and report them failed (0xA700 or 0x0110).
    A file that cannot be removed (the volume went read-only) stays unindexed: invisible, overwritten by a re-send."""
    for position, header, _ in added:
        with contextlib.suppress(OSError):
            layout.instance(*_key(header), header.sop_instance_uid).unlink(missing_ok=True)
        outcomes[position] = _write_failed(error, header)


def _commit_locked(
    *, layout: Layout, key: SeriesKey, items: list[_Item], limit: int
) -> tuple[dict[int, InstanceOutcome], bool]:
    with series_lock(path=layout.lock(*key)):
        first = items[0][1]
        index = read_index(path=layout.index(*key)) or SeriesIndex(study=first.study, series=first.series)
        outcomes: dict[int, InstanceOutcome] = {}
        added: list[_Item] = []
        for item in items:
            outcomes[item[0]], new = _add(index, item, layout, limit)
            if new:
                added.append(item)
        if added:
            try:
                _fsync_directory(layout.instance(*key, added[0][1].sop_instance_uid).parent)
                write_index(path=layout.index(*key), index=index)
            except OutputError as error:
                _roll_back(layout=layout, added=added, outcomes=outcomes, error=error)
                return outcomes, False
    return outcomes, bool(added)


def _commit_series(
    *, layout: Layout, key: SeriesKey, items: list[_Item], limit: int
) -> tuple[dict[int, InstanceOutcome], bool]:
    """Store ``items`` (one series) under the series lock: outcomes by request position, whether it changed.
    When the series' folder or lock cannot be made on a full or read-only volume, every item fails with 0xA700."""
    try:
        return _commit_locked(layout=layout, key=key, items=items, limit=limit)
    except OSError as error:
        if not is_storage_fault(error):
            raise
        return {position: _write_failed(error, header) for position, header, _ in items}, False


def _read_all(
    files: Sequence[SpooledFile], study_uid: str | None, sop_classes: frozenset[str]
) -> tuple[dict[int, InstanceOutcome], dict[SeriesKey, list[_Item]]]:
    outcomes: dict[int, InstanceOutcome] = {}
    groups: dict[SeriesKey, list[_Item]] = {}
    for position, file in enumerate(files):
        try:
            header = _validate(file, study_uid, sop_classes)
        except InstanceRejectedError as error:
            outcomes[position] = InstanceOutcome(
                sop_instance_uid=error.uid,
                sop_class_uid=error.sop_class_uid,
                failure=error.reason,
                message=error.message,
            )
            continue
        except OutputError as error:  # rewriting a part as PS3.10 (normalise_part10) failed
            outcomes[position] = _write_failed(error, None)
            continue
        groups.setdefault(_key(header), []).append((position, header, file))
    return outcomes, groups


def store_instances(
    *,
    root: Path,
    files: Sequence[SpooledFile],
    study_uid: str | None,
    max_instances_per_series: int,
    split_pattern: re.Pattern[str],
    sop_classes: frozenset[str] = STOW_SOP_CLASSES,
) -> StoreReport:
    """Validate and store spooled parts; the caller deletes what is left of ``files`` afterwards.

    Args:
        root: the storage directory.
        files: the received parts, in request order, spooled under ``root``.
        study_uid: the study of the request URL (``/studies/{study}``), None for ``/studies``.
        max_instances_per_series: the limit a series may not exceed.
        split_pattern: compiled ``split_description_pattern``.
        sop_classes: the SOP Classes stored (others fail with 0x0122): STOW-RS keeps the default, PET Image
            Storage; a worker storing a job's output passes ``JOB_OUTPUT_SOP_CLASSES`` (adds the scores SR).

    Raises:
        TooLargeError: a series would exceed ``max_instances_per_series``; nothing of the request is stored.
        OutputError: a series index is corrupt.
        OSError: a series' folder cannot be made or its index read for an I/O error other than a full or
            read-only volume (those are outcomes: 0xA700, module docstring).
    """
    layout = Layout(root)
    outcomes, groups = _read_all(files, study_uid, sop_classes)
    _check_limits(layout=layout, groups=groups, limit=max_instances_per_series)
    added: list[SeriesKey] = []
    for key, items in groups.items():
        committed, changed = _commit_series(layout=layout, key=key, items=items, limit=max_instances_per_series)
        outcomes.update(committed)
        if changed:
            added.append(key)
    ordered = tuple(outcomes[position] for position in range(len(files)))
    return settled_report(layout=layout, outcomes=ordered, added=added, touched=groups, pattern=split_pattern)
