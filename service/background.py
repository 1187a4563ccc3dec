"""The gateway's periodic incomplete-series sweep (:mod:`core.jobs.incomplete`), run in a worker thread every
``sweep_interval_s`` while the app lives, in embedded and distributed mode alike.

The first sweep looks at every stored series; each later one at the series whose grace time ended since the
previous sweep, less an overlap (:data:`OVERLAP`) that absorbs clock differences with a shared storage volume's
file times. Sweeping a series twice changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool

from core.jobs.incomplete import sweep_incomplete
from core.logs import callable_name
from core.settings import Settings

__all__ = ["OVERLAP", "IncompleteSweeper", "running_every", "sweep_interval_s"]

OVERLAP = timedelta(minutes=5)
_LOG = logging.getLogger(__name__)


def sweep_interval_s(*, grace_s: float) -> float:
    """Seconds between sweeps: a quarter of the grace time, between 0.05 s and 30 s."""
    return min(30.0, max(0.05, grace_s / 4))


@dataclass
class IncompleteSweeper:
    """One sweep per call; remembers when the last one ran (``since``). The settings stay out of its ``repr``."""

    settings: Settings = field(repr=False)
    since: datetime | None = None

    def __call__(self) -> list[str]:
        now = datetime.now(UTC)
        changed = sweep_incomplete(settings=self.settings, now=now, since=self.since)
        self.since = now - OVERLAP
        return changed


@asynccontextmanager
async def running_every(*, call: Callable[[], object], interval_s: float) -> AsyncIterator[None]:
    """Run ``call`` in a thread now and every ``interval_s`` seconds after it returns, until the block exits;
    its exceptions are logged (the next run tries again)."""

    async def loop() -> None:
        while True:
            try:
                await run_in_threadpool(call)
            except Exception:  # storage hiccup: logged, tried again at the next interval
                _LOG.exception("periodic %s failed", callable_name(call))
            await asyncio.sleep(interval_s)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
