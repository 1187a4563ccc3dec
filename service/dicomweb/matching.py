"""C-FIND attribute matching (PS3.4 C.2.2.2) of one stored value against one QIDO-RS query value.

- Wildcard matching (C.2.2.2.4): ``*`` any run of characters (none included), ``?`` exactly one; everything else
  literal and case-sensitive (LO, SH, CS values).
- Person names (PN, C.2.2.2.1): the same wildcards, case-insensitive (literal matching of PN "may be insensitive
  to case"; accents stay significant), trailing empty components ignored (``Müller^Hans^^`` is
  ``Müller^Hans``); a pattern without ``=`` is also tried on each component group (alphabetic, ideographic,
  phonetic) alone. petiq does no fuzzy semantic matching.
- Date and time ranges (C.2.2.2.5): ``A``, ``A-``, ``-B``, ``A-B``, bounds included; a partial time (``10``,
  ``1030``) covers its whole hour or minute. A date and a time asked for together are matched as one date-time
  range (C.2.2.2.5.1: ``20240105-20240107`` with ``1000-1800`` runs from 10:00 on the 5th to 18:00 on the 7th).
  An empty stored value matches no range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DateTimeRange", "date_range", "person_name_match", "time_range", "wildcard_match"]

_DATE = r"\d{8}"
_TIME = r"\d{2}(?:\d{2}(?:\d{2}(?:\.\d{1,6})?)?)?"
_LOWEST_TIME = "000000.000000"
_HIGHEST_TIME = "999999.999999"


def wildcard_match(*, value: str, pattern: str) -> bool:
    """Whether ``value`` matches ``pattern`` (``*`` any run of characters, ``?`` one, the rest literal)."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _trimmed_name(name: str) -> str:
    return "=".join(group.rstrip("^") for group in name.split("=")).rstrip("=")


def person_name_match(*, value: str, pattern: str) -> bool:
    """Whether the PN ``value`` matches ``pattern`` (module docstring: case-insensitive, wildcards, groups)."""
    wanted = _trimmed_name(pattern).casefold()
    candidates = [value] if "=" in pattern else [value, *value.split("=")]
    return any(wildcard_match(value=_trimmed_name(name).casefold(), pattern=wanted) for name in candidates)


def _bounds(*, text: str, single: str, name: str) -> tuple[str | None, str | None]:
    found = re.fullmatch(rf"({single})?-({single})?|({single})", text)
    if found is None or text == "-":
        raise ValueError(f"Argument '{name}' should be a value or a range (A, A-, -B, A-B), got {text!r}.")
    if found.group(3) is not None:
        return found.group(3), found.group(3)
    return found.group(1), found.group(2)


def _time(text: str, *, fill: str) -> str:
    """A TM value as ``HHMMSS.FFFFFF``, its missing digits ``fill`` (colons of old values dropped)."""
    whole, _, fraction = text.replace(":", "").partition(".")
    return f"{whole.ljust(6, fill)}.{fraction.ljust(6, fill)}"


def date_range(*, text: str, name: str) -> tuple[str | None, str | None]:
    """The (first, last) days of a DA query value (None: open); ValueError naming ``name`` when malformed."""
    return _bounds(text=text, single=_DATE, name=name)


def time_range(*, text: str, name: str) -> tuple[str | None, str | None]:
    """The (first, last) instants (``HHMMSS.FFFFFF``) of a TM query value (None: open); ValueError when
    malformed."""
    first, last = _bounds(text=text, single=_TIME, name=name)
    return (
        None if first is None else _time(first, fill="0"),
        None if last is None else _time(last, fill="9"),
    )


@dataclass(frozen=True, kw_only=True)
class DateTimeRange:
    """A range of dates, of times of day, or of both together (one date-time range); None bounds are open."""

    dates: tuple[str | None, str | None] | None = None
    times: tuple[str | None, str | None] | None = None

    def contains(self, *, date: str, time: str) -> bool:
        """Whether a stored DA ``date`` and TM ``time`` fall in the range (empty ones match no range)."""
        day, instant = date.replace(".", ""), _time(time, fill="0") if time else ""
        if self.dates is not None and not day:
            return False
        if self.times is not None and not instant:
            return self.dates is not None and _within(day, self.dates)  # no time stored: the day decides
        if self.dates is None:
            return self.times is None or _within(instant, self.times)
        if self.times is None:
            return _within(day, self.dates)
        (first_day, last_day), (first_time, last_time) = self.dates, self.times
        low = None if first_day is None else (first_day, first_time or _LOWEST_TIME)
        high = None if last_day is None else (last_day, last_time or _HIGHEST_TIME)
        return (low is None or (day, instant) >= low) and (high is None or (day, instant) <= high)


def _within(value: str, bounds: tuple[str | None, str | None]) -> bool:
    first, last = bounds
    return (first is None or value >= first) and (last is None or value <= last)
