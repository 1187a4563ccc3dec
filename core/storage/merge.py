"""Several store calls reported as one request: what a DIMSE association is to the job layer.

STOW-RS stores a request's instances in one :func:`~core.storage.store.store_instances` call; the storage SCP
stores each C-STORE as it arrives (one call each) and reports the whole association at its end, so that the
``on_series_stored`` hooks see it as they see one STOW-RS request: a split A/B sent in the same association as
their parent joins the parent's job (:mod:`core.jobs.starter`). The merged report is computed as
``store_instances`` computes its own, over the storage as it is at the end:

- ``outcomes``: every call's outcomes, in call order;
- ``completed``: the series the calls added an instance to (stored, not "already stored") that are complete
  now (:func:`~core.storage.completion.is_complete`), in the order of their first added instance;
- ``split_pairs`` and ``splits``: the split pairs of the studies touched whose split or parent any call's instances
  belong to (:func:`settled_report`, which ``store_instances`` uses too: each study's indices are read once).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from core.storage.catalog import series_indices
from core.storage.completion import is_complete
from core.storage.layout import Layout
from core.storage.models import SeriesIndex
from core.storage.outcomes import InstanceOutcome, SeriesKey, StoreReport
from core.storage.split import split_pairs

__all__ = ["merge_reports", "settled_report"]


def settled_report(
    *,
    layout: Layout,
    outcomes: tuple[InstanceOutcome, ...],
    added: Iterable[SeriesKey],
    touched: Iterable[SeriesKey],
    pattern: re.Pattern[str],
) -> StoreReport:
    """The report of ``outcomes``, with the storage read once: the series indices of each study of ``touched``.

    Args:
        outcomes: the parts' outcomes, in order.
        added: the series the calls added an instance to, in the order of their first added instance.
        touched: every series the calls' instances belong to (``added`` among them).
        pattern: the split pattern, compiled (``Settings.split_regex``).

    Raises:
        OutputError: a series index of those studies is corrupt.
    """
    touched = set(touched)
    studies = {
        study: series_indices(layout=layout, study_uid=study) for study in sorted({k.study_uid for k in touched})
    }
    found = {
        SeriesKey(study, index.series.series_uid): index for study, indices in studies.items() for index in indices
    }
    completed = [found[key] for key in dict.fromkeys(added) if key in found and is_complete(index=found[key])]
    pairs: dict[str, str] = {}
    splits: dict[str, SeriesIndex] = {}
    for study, indices in studies.items():
        uids = {key.series_uid for key in touched if key.study_uid == study}
        for split, parent in split_pairs(study=indices, pattern=pattern).items():
            if split in uids or parent in uids:
                pairs[split] = parent
                splits[split] = found[SeriesKey(study, split)]
    return StoreReport(outcomes=outcomes, completed=tuple(completed), split_pairs=pairs, splits=splits)


def merge_reports(*, root: Path, reports: Sequence[StoreReport], split_pattern: re.Pattern[str]) -> StoreReport:
    """The reports of several store calls into the storage at ``root`` as one (module docstring).

    Raises:
        OutputError: a series index of the studies concerned is corrupt.
    """
    outcomes = tuple(outcome for report in reports for outcome in report.outcomes)
    added = [outcome.series for outcome in outcomes if outcome.stored and not outcome.already_stored and outcome.series]
    touched = [outcome.series for outcome in outcomes if outcome.series is not None]
    return settled_report(layout=Layout(root), outcomes=outcomes, added=added, touched=touched, pattern=split_pattern)
