"""A QIDO-RS request's query parameters (PS3.18 §8.3.4) as matchers, and the Warning header fields it earns.

Keys are keywords (``PatientName``) or tags (``00100010``); each once, except UID lists (repeated and/or
comma-separated); an empty value is universal matching. A key petiq does not match at this level
(:mod:`service.dicomweb.qido_keys`) is never dropped silently: the answer carries ``Warning: 299 <service>: The
following query parameters are not supported and were ignored: …``; likewise ``fuzzymatching=true`` (the text of
PS3.18 §8.3.4.2), ``includefield`` attributes that results do not hold, and a page that leaves matches out
(§8.3.4.4.1). A malformed value (a date that is not ``YYYYMMDD``, a SeriesNumber that is not an integer, a
repeated key) is a 400 problem, check ``query_parameter``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydicom.datadict import keyword_for_tag

from core.errors import MalformedRequestError
from service.dicomweb.matching import DateTimeRange, date_range, person_name_match, time_range, wildcard_match
from service.dicomweb.qido import uid_list
from service.dicomweb.qido_keys import DATE_TIME_PAIRS, KeyKind, MatchKey

__all__ = ["PAGING", "SearchQuery", "parse_search", "search_warnings"]

PAGING = frozenset({"limit", "offset"})
"""Parameters the route validates itself."""

_R = TypeVar("_R")
_TAG = re.compile(r"^[0-9A-Fa-f]{8}$")


@dataclass(frozen=True, kw_only=True)
class SearchQuery(Generic[_R]):
    """What a search asks: its matchers (all must hold), and what it asked that petiq does not do."""

    matchers: tuple[Callable[[_R], bool], ...] = ()
    ignored: tuple[str, ...] = ()
    fuzzy: bool = False
    unavailable: tuple[str, ...] = ()

    def matches(self, record: _R) -> bool:
        """Whether ``record`` (a study summary or a series index) matches every key."""
        return all(matcher(record) for matcher in self.matchers)


def _refuse(message: str) -> MalformedRequestError:
    return MalformedRequestError(message, check="query_parameter")


def _keyword(name: str) -> str:
    """A parameter's DICOM keyword (``00100010`` is ``PatientName``); other names as they are."""
    return (keyword_for_tag(int(name, 16)) or name) if _TAG.match(name) else name


def _named(name: str) -> str:
    keyword = _keyword(name)
    return name if keyword == name else f"{name} ({keyword})"


def _flag(value: str) -> bool:
    if value not in ("true", "false"):
        raise _refuse(f"Query parameter 'fuzzymatching' should be 'true' or 'false', got {value!r}.")
    return value == "true"


def _in_span(
    date: Callable[[Any], str] | None, time: Callable[[Any], str] | None, span: DateTimeRange
) -> Callable[[Any], bool]:
    """Matches a record whose stored date (from ``date``) and time (from ``time``; None: not asked) are in ``span``."""
    return lambda record: span.contains(date=date(record) if date else "", time=time(record) if time else "")


def _text_matcher(kind: KeyKind, get: Callable[[Any], Any], pattern: str) -> Callable[[Any], bool]:
    if kind is KeyKind.NAME:
        return lambda record: person_name_match(value=get(record), pattern=pattern)
    if kind is KeyKind.ANY_OF:
        patterns = [part for part in re.split(r"[\\,]", pattern) if part]
        return lambda record: any(wildcard_match(value=v, pattern=p) for v in get(record) for p in patterns)
    return lambda record: wildcard_match(value=str(get(record) or ""), pattern=pattern)


def _matcher(
    *, keyword: str, key: MatchKey[Any], values: list[str], time: tuple[MatchKey[Any], str] | None
) -> Callable[[Any], bool]:
    """The matcher of ``keyword`` = ``values`` (``time``: its paired time key and value, when asked for too)."""
    if key.kind is KeyKind.UIDS:
        uids = uid_list(values) or frozenset()
        return lambda record: key.value(record) in uids
    if len(values) > 1:
        raise _refuse(f"Query parameter '{keyword}' should be given once, got {len(values)} values.")
    (value,) = values
    try:
        if key.kind is KeyKind.NUMBER:
            number = int(value)
            return lambda record: key.value(record) == number
        if key.kind is KeyKind.TIME:
            return _in_span(None, key.value, DateTimeRange(times=time_range(text=value, name=keyword)))
        if key.kind is KeyKind.DATE:
            times = None if time is None else time_range(text=time[1], name=DATE_TIME_PAIRS[keyword])
            span = DateTimeRange(dates=date_range(text=value, name=keyword), times=times)
            return _in_span(key.value, None if time is None else time[0].value, span)
    except ValueError as error:
        raise _refuse(f"Query parameter '{keyword}' is malformed: {error}") from error
    return _text_matcher(key.kind, key.value, value)


def _matchers(values: dict[str, list[str]], keys: Mapping[str, MatchKey[_R]]) -> list[Callable[[_R], bool]]:
    asked = {keyword: found for keyword, found in values.items() if any(value.strip() for value in found)}
    paired = {DATE_TIME_PAIRS[date]: date for date in asked if date in DATE_TIME_PAIRS}
    matchers = []
    for keyword, found in asked.items():
        if keyword in paired:
            continue  # matched with its date, as one date-time range
        partner = DATE_TIME_PAIRS.get(keyword, "")
        if partner in asked and len(asked[partner]) > 1:
            raise _refuse(f"Query parameter '{partner}' should be given once, got {len(asked[partner])} values.")
        time = (keys[partner], asked[partner][0]) if partner in asked else None
        matchers.append(_matcher(keyword=keyword, key=keys[keyword], values=found, time=time))
    return matchers


def parse_search(
    *, items: Sequence[tuple[str, str]], keys: Mapping[str, MatchKey[_R]], returned: frozenset[str]
) -> SearchQuery[_R]:
    """The query of a search at the level whose matching ``keys`` and result attributes ``returned`` are given.

    Raises:
        MalformedRequestError: a malformed value or a repeated key (400, check ``query_parameter``).
    """
    values: dict[str, list[str]] = {}
    ignored: list[str] = []
    unavailable: list[str] = []
    fuzzy = False
    for name, value in items:
        if name == "fuzzymatching":
            fuzzy = _flag(value)
        elif name == "includefield":
            fields = [field.strip() for field in value.split(",") if field.strip() and field.strip() != "all"]
            unavailable += [_named(field) for field in fields if _keyword(field) not in returned]
        elif (keyword := _keyword(name)) in keys:
            values.setdefault(keyword, []).append(value)
        elif name not in PAGING and _named(name) not in ignored:
            ignored.append(_named(name))
    return SearchQuery(
        matchers=tuple(_matchers(values, keys)), ignored=tuple(ignored), fuzzy=fuzzy, unavailable=tuple(unavailable)
    )


def search_warnings(*, query: SearchQuery[Any], service: str, remaining: int) -> list[str]:
    """The ``Warning`` header values of a search answered by ``service`` (the DICOMweb base URL)."""
    warnings = []
    if query.ignored:
        ignored = ", ".join(query.ignored)
        warnings.append(f"299 {service}: The following query parameters are not supported and were ignored: {ignored}.")
    if query.fuzzy:
        warnings.append(
            f"299 {service}: The fuzzymatching parameter is not supported. Only literal matching has been performed."
        )
    if query.unavailable:
        fields = ", ".join(dict.fromkeys(query.unavailable))
        warnings.append(f"299 {service}: The following includefield attributes are not available: {fields}.")
    if remaining:
        warnings.append(f"299 {service}: There are {remaining} additional results that can be requested")
    return warnings
