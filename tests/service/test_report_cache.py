"""The report's picture cache: expiry, least-recently-used eviction, bounds."""

from __future__ import annotations

import pytest

from service.report.cache import TimedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_their_time() -> None:
    clock = Clock()
    cache: TimedCache[str] = TimedCache(max_items=4, ttl_s=10.0, clock=clock)
    cache.put(("a",), "pictures")
    clock.now = 10.0
    assert cache.get(("a",)) == "pictures"
    clock.now = 10.5
    assert cache.get(("a",)) is None and len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: TimedCache[int] = TimedCache(max_items=2, ttl_s=60.0)
    cache.put(("a",), 1)
    cache.put(("b",), 2)
    assert cache.get(("a",)) == 1  # now b is the least recently used
    cache.put(("c",), 3)
    assert (cache.get(("a",)), cache.get(("b",)), cache.get(("c",))) == (1, None, 3) and len(cache) == 2


@pytest.mark.parametrize(("max_items", "ttl_s"), [(0, 1.0), (1, 0.0)])
def test_unusable_bounds_are_refused(max_items: int, ttl_s: float) -> None:
    with pytest.raises(ValueError, match="max_items"):
        TimedCache(max_items=max_items, ttl_s=ttl_s)
