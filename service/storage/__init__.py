"""The storage volume: the source of truth for received instances (filesystem, atomic writes, per-series index).

Public API: :func:`store_instances` (STOW), :func:`study_uids`, :func:`series_indices`, :func:`instance_files`
(QIDO/WADO), the pure rules :func:`is_complete` and :func:`find_split_parent` / :func:`split_pairs`, the records
in :mod:`service.storage.models` and :mod:`service.storage.outcomes`, and :class:`FailureReason`.
"""

from __future__ import annotations

from service.storage.catalog import instance_files, series_indices, study_uids
from service.storage.completion import is_complete
from service.storage.layout import Layout, check_uid, is_uid
from service.storage.outcomes import InstanceOutcome, SeriesKey, StoreReport
from service.storage.split import find_split_parent, split_pairs
from service.storage.spool import SpooledFile, SpoolWriter, discard
from service.storage.status import FailureReason
from service.storage.store import store_instances

__all__ = [
    "FailureReason",
    "InstanceOutcome",
    "Layout",
    "SeriesKey",
    "SpoolWriter",
    "SpooledFile",
    "StoreReport",
    "check_uid",
    "discard",
    "find_split_parent",
    "instance_files",
    "is_complete",
    "is_uid",
    "series_indices",
    "split_pairs",
    "store_instances",
    "study_uids",
]
