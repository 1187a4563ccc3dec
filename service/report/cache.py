"""The report's pictures, kept in memory for a while: reading two series back from storage is most of a report.

On the real GE series the page takes about 3 s to make (two series read, 1.3 s each, and 0.4 s to draw). An entry is
keyed by the job and its output series UID, so a job that is re-run (a new output series) is drawn afresh; entries
expire after ``ttl_s`` seconds and the oldest go first beyond ``max_items``, so memory stays bounded (four PNGs of
20–200 KB per job, six with an uncertainty map) and series removed from storage stop showing within ``ttl_s``. One
cache per gateway process, shared by its request threads.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["TimedCache"]

V = TypeVar("V")


class TimedCache(Generic[V]):
    """A thread-safe map of at most ``max_items`` entries, each valid for ``ttl_s`` seconds after it was made."""

    def __init__(self, *, max_items: int = 16, ttl_s: float = 600.0, clock: Callable[[], float] = time.monotonic):
        if max_items < 1 or ttl_s <= 0:
            raise ValueError(f"Arguments need max_items ≥ 1 and ttl_s > 0, got {max_items} and {ttl_s}.")
        self._items: OrderedDict[tuple[str, ...], tuple[float, V]] = OrderedDict()
        self._max_items, self._ttl_s, self._clock = max_items, ttl_s, clock
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> V | None:
        """The value of ``key`` if it is there and has not expired, else None."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            made, value = found
            if self._clock() - made > self._ttl_s:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return value

    def put(self, key: tuple[str, ...], value: V) -> None:
        """Keep ``value`` under ``key`` from now on; drop the least recently used entries beyond ``max_items``."""
        with self._lock:
            self._items[key] = (self._clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self._max_items:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
