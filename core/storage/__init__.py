"""The storage volume: the source of truth for received instances (filesystem, atomic writes, per-series index).

Public API: :func:`store_instances` (STOW), :func:`study_uids`, :func:`series_indices`, :func:`instance_files`
(QIDO/WADO), the pure rules :func:`is_complete` and :func:`find_split_parent` / :func:`split_pairs`, the records
in :mod:`core.storage.models` and :mod:`core.storage.outcomes`, and :class:`FailureReason`.
"""

from __future__ import annotations

from core.storage.catalog import instance_files, series_indices, study_uids
from core.storage.completion import is_complete
from core.storage.layout import Layout, check_uid, is_uid
from core.storage.outcomes import InstanceOutcome, SeriesKey, StoreReport
from core.storage.split import find_split_parent, split_pairs
from core.storage.spool import SpooledFile, SpoolWriter, discard
from core.storage.status import FailureReason
from core.storage.store import store_instances

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
