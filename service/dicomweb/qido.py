"""QIDO-RS over the stored indices: study summaries, UID lists, paging.

The matching keys, their parsing and the Warning header fields are :mod:`service.dicomweb.qido_query`; how one
value matches, :mod:`service.dicomweb.matching`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from core.storage.models import SeriesIndex, StudyAttributes

__all__ = ["StudySummary", "page", "remaining", "summarise", "uid_list"]


@dataclass(frozen=True, kw_only=True)
class StudySummary:
    """A study as QIDO-RS shows it: attributes of its first series, its modalities and counts."""

    study: StudyAttributes
    modalities: tuple[str, ...]
    n_series: int
    n_instances: int


def summarise(*, series: Sequence[SeriesIndex]) -> StudySummary:
    """The summary of one study from its series' indices (``series`` non-empty)."""
    if not series:
        raise ValueError("Argument 'series' should hold at least one series index.")
    return StudySummary(
        study=series[0].study,
        modalities=tuple(sorted({index.series.modality for index in series})),
        n_series=len(series),
        n_instances=sum(len(index.instances) for index in series),
    )


def uid_list(values: Iterable[str]) -> frozenset[str] | None:
    """A QIDO UID-list parameter (repeated and/or comma-separated) as a set; None when absent."""
    uids = frozenset(uid.strip() for value in values for uid in value.split(",") if uid.strip())
    return uids or None


_T = TypeVar("_T")


def page(items: Sequence[_T], *, limit: int | None, offset: int) -> list[_T]:
    """``items[offset : offset + limit]`` (to the end when ``limit`` is None)."""
    return list(items[offset : None if limit is None else offset + limit])


def remaining(*, total: int, limit: int | None, offset: int) -> int:
    """How many of ``total`` matches lie beyond the page ``offset``, ``limit`` (PS3.18 §8.3.4.4.1)."""
    return 0 if limit is None else max(0, total - offset - limit)
