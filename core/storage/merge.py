"""Several store calls reported as one request: what a DIMSE association is to the job layer.

STOW-RS stores a request's instances in one :func:`~core.storage.store.store_instances` call; the storage SCP
stores each C-STORE as it arrives (one call each) and reports the whole association at its end, so that the
``on_series_stored`` hooks see it as they see one STOW-RS request: a split A/B sent in the same association as
their parent joins the parent's job (:mod:`core.jobs.starter`). The merged report is computed as
``store_instances`` computes its own, over the storage as it is at the end:

- ``outcomes``: every call's outcomes, in call order;
- ``completed_series``: the series the calls added an instance to (stored, not "already stored") that are complete
  now (:func:`~core.storage.completion.is_complete`), in the order of their first added instance;
- ``split_pairs``: :func:`split_pairs_touching` the series any call's instances belong to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.storage.catalog import series_indices
from core.storage.completion import is_complete
from core.storage.index import read_index
from core.storage.layout import Layout
from core.storage.outcomes import SeriesKey, StoreReport
from core.storage.split import split_pairs

__all__ = ["merge_reports", "split_pairs_touching"]


def split_pairs_touching(*, layout: Layout, series: Iterable[SeriesKey], pattern: re.Pattern[str]) -> dict[str, str]:
    """``{split series UID: parent series UID}`` of the studies of ``series``, for the pairs whose split or parent
    is one of ``series`` (:mod:`core.storage.split`).

    Raises:
        OutputError: a series index of those studies is corrupt.
    """
    touched = set(series)
    pairs: dict[str, str] = {}
    for study in sorted({key.study_uid for key in touched}):
        uids = {key.series_uid for key in touched if key.study_uid == study}
        found = split_pairs(study=series_indices(layout=layout, study_uid=study), pattern=pattern)
        pairs.update({split: parent for split, parent in found.items() if split in uids or parent in uids})
    return pairs


def merge_reports(*, root: Path, reports: Sequence[StoreReport], split_pattern: re.Pattern[str]) -> StoreReport:
    """The reports of several store calls into the storage at ``root`` as one (module docstring).

    Raises:
        OutputError: a series index of the studies concerned is corrupt.
    """
    layout = Layout(root)
    outcomes = tuple(outcome for report in reports for outcome in report.outcomes)
    added = dict.fromkeys(
        outcome.series for outcome in outcomes if outcome.stored and not outcome.already_stored and outcome.series
    )
    completed = []
    for key in added:
        index = read_index(path=layout.index(*key))
        if index is not None and is_complete(index=index):
            completed.append(key)
    touched = [outcome.series for outcome in outcomes if outcome.series is not None]
    pairs = split_pairs_touching(layout=layout, series=touched, pattern=split_pattern)
    return StoreReport(outcomes=outcomes, completed_series=tuple(completed), split_pairs=pairs)
