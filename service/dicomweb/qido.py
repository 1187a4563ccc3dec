"""QIDO-RS matching over the stored indices: study summaries, attribute matching, paging.

Supported matching keys: StudyInstanceUID (UID list: comma-separated or repeated), PatientID (single value, ``*``
and ``?`` wildcards, case-sensitive as LO values are), ModalitiesInStudy / Modality (single value, exact, any
series of the study). ``limit`` and ``offset`` page the results. Other keys are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from service.storage.models import SeriesIndex, StudyAttributes

__all__ = [
    "StudyQuery",
    "StudySummary",
    "match_series",
    "match_studies",
    "page",
    "summarise",
    "uid_list",
    "wildcard_match",
]


@dataclass(frozen=True, kw_only=True)
class StudySummary:
    """A study as QIDO-RS shows it: attributes of its first series, its modalities and counts."""

    study: StudyAttributes
    modalities: tuple[str, ...]
    n_series: int
    n_instances: int


@dataclass(frozen=True, kw_only=True)
class StudyQuery:
    """Matching keys of a study search; None (or empty) matches everything."""

    study_uids: frozenset[str] | None = None
    patient_id: str | None = None
    modality: str | None = None


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


def wildcard_match(*, value: str, pattern: str) -> bool:
    """QIDO-RS wildcard matching: ``*`` any run of characters, ``?`` one character, everything else literal."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def match_studies(*, summaries: Iterable[StudySummary], query: StudyQuery) -> list[StudySummary]:
    """The summaries matching ``query``, in the order given."""
    return [
        summary
        for summary in summaries
        if (query.study_uids is None or summary.study.study_uid in query.study_uids)
        and (not query.patient_id or wildcard_match(value=summary.study.patient_id, pattern=query.patient_id))
        and (not query.modality or query.modality in summary.modalities)
    ]


def match_series(*, series: Iterable[SeriesIndex], modality: str | None) -> list[SeriesIndex]:
    """The series of a study whose Modality equals ``modality`` (all when None or empty)."""
    return [index for index in series if not modality or index.series.modality == modality]


_T = TypeVar("_T")


def page(items: Sequence[_T], *, limit: int | None, offset: int) -> list[_T]:
    """``items[offset : offset + limit]`` (to the end when ``limit`` is None)."""
    return list(items[offset : None if limit is None else offset + limit])
