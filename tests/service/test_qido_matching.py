"""C-FIND value matching of QIDO-RS: wildcards, person names, date and time ranges (PS3.4 C.2.2.2)."""

from __future__ import annotations

import pytest

from service.dicomweb.matching import DateTimeRange, date_range, person_name_match, time_range, wildcard_match


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        ("SYN001", "SYN*", True),
        ("SYN001", "SYN00?", True),
        ("SYN001", "syn*", False),  # LO, SH, CS: case-sensitive
        ("", "*", True),
        ("A.B", "A?B", True),
        ("A+B", "A+B", True),  # regex characters are literal
        ("SYN001", "SYN0", False),
    ],
)
def test_wildcard_match(value: str, pattern: str, matches: bool) -> None:
    assert wildcard_match(value=value, pattern=pattern) is matches


@pytest.mark.parametrize(
    ("value", "pattern", "matches"),
    [
        ("Müller^Hans", "Mül*", True),
        ("Müller^Hans", "mül*", True),  # PN: case-insensitive
        ("MÜLLER^HANS", "müller^hans", True),
        ("Müller^Hans", "Mueller*", False),  # no fuzzy semantic matching
        ("Müller^Hans^^^", "Müller^Hans", True),  # trailing empty components
        ("Müller^Hans", "M?ller^Hans", True),
        ("Yamada^Tarou=山田^太郎=やまだ^たろう", "山田*", True),  # one component group
        ("Yamada^Tarou=山田^太郎=やまだ^たろう", "Yamada^Tarou", True),
        ("Yamada^Tarou=山田^太郎", "Yamada^Tarou=山田^太郎", True),
        ("Müller^Hans", "Hans*", False),
    ],
)
def test_person_name_match(value: str, pattern: str, matches: bool) -> None:
    assert person_name_match(value=value, pattern=pattern) is matches


def test_date_and_time_ranges() -> None:
    assert date_range(text="20240105", name="StudyDate") == ("20240105", "20240105")
    assert date_range(text="20240105-", name="StudyDate") == ("20240105", None)
    assert date_range(text="-20240107", name="StudyDate") == (None, "20240107")
    assert time_range(text="10-1030", name="StudyTime") == ("100000.000000", "103099.999999")
    for bad in ("2024-01-05", "-", "20240105-20240107-", "2024010", "x"):
        with pytest.raises(ValueError, match="Argument 'StudyDate'"):
            date_range(text=bad, name="StudyDate")
    with pytest.raises(ValueError, match="Argument 'StudyTime'"):
        time_range(text="10:30", name="StudyTime")


@pytest.mark.parametrize(
    ("dates", "times", "date", "time", "matches"),
    [
        ("20240105", None, "20240105", "", True),
        ("20240105-20240107", None, "20240107", "235959", True),
        ("20240105-", None, "20240104", "", False),
        ("-20240107", None, "", "", False),  # an empty stored date matches no range
        (None, "10", "", "103000.5", True),  # a partial time covers its hour
        (None, "1000-1030", "", "10:31:00", False),  # an old-style stored time
        (None, "1000-1030", "20240105", "", False),
        # combined (C.2.2.2.5.1): from 10:00 on the 5th to 18:00 on the 7th
        ("20240105-20240107", "1000-1800", "20240106", "020000", True),
        ("20240105-20240107", "1000-1800", "20240105", "090000", False),
        ("20240105-20240107", "1000-1800", "20240107", "180059", True),
        ("20240105-20240107", "1000-1800", "20240107", "181000", False),
        ("20240105", "1000", "20240105", "100059.9", True),  # 10:00 is its whole minute
        ("20240105", "1000", "20240105", "100100", False),
        ("-20240107", "1000-1800", "19990101", "235959", True),
        ("20240105-20240107", "1000-1800", "20240106", "", True),  # no stored time: the day decides
    ],
)
def test_date_time_range_contains(dates: str | None, times: str | None, date: str, time: str, matches: bool) -> None:
    span = DateTimeRange(
        dates=None if dates is None else date_range(text=dates, name="StudyDate"),
        times=None if times is None else time_range(text=times, name="StudyTime"),
    )
    assert span.contains(date=date, time=time) is matches
