"""Take instances out of the storage again: what a job stored of an output that could not be stored whole.

Under the series lock the index is changed first (it is the commit point: what it does not list, readers do not
see), then the files go. A series left with no instance loses its index, so QIDO-RS and WADO-RS no longer find it;
the empty folders (and the lock file, which other writers may hold) stay, invisible. Only the instances named are
removed: a series that holds others keeps them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection

from core.storage.index import read_index, series_lock, write_index
from core.storage.layout import Layout
from core.storage.outcomes import SeriesKey
from imaging.errors import OutputError

__all__ = ["remove_instances"]

_LOG = logging.getLogger(__name__)


def _unindex(*, layout: Layout, key: SeriesKey, sop_uids: Collection[str]) -> list[str]:
    """Drop ``sop_uids`` from the series index (deleting it when nothing is left); the UIDs it listed."""
    path = layout.index(*key)
    index = read_index(path=path)
    if index is None:
        return []
    listed = [uid for uid in sop_uids if uid in index.instances]
    for uid in listed:
        del index.instances[uid]
    if index.instances:
        write_index(path=path, index=index)
    else:
        path.unlink(missing_ok=True)
    return listed


def remove_instances(*, layout: Layout, key: SeriesKey, sop_uids: Collection[str]) -> None:
    """Remove the instances ``sop_uids`` of series ``key`` from the storage (module docstring). Never raises:
    on a volume that takes no change (read-only) they stay, and the failure is logged."""
    try:
        with series_lock(path=layout.lock(*key)):
            listed = _unindex(layout=layout, key=key, sop_uids=sop_uids)
            for uid in listed:
                with contextlib.suppress(OSError):
                    layout.instance(*key, uid).unlink(missing_ok=True)
    except (OSError, OutputError) as error:
        _LOG.error("could not remove %d instance(s) of series %s: %s", len(sop_uids), key.series_uid, error)
