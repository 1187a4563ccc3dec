"""When is a stored PET series complete? A pure rule over its index.

A PET series states its size: Number of Slices (0054,0081) of the PET Series module. The series is complete when
that many distinct instances are stored. A series without a usable Number of Slices cannot be counted; it is taken
as complete as soon as it holds any instance, i.e. the request that brought it is assumed to carry all of it
(petiq's reader still checks the slices' spacing before a job uses them).
"""

from __future__ import annotations

from core.storage.models import SeriesIndex

__all__ = ["is_complete"]


def is_complete(*, index: SeriesIndex) -> bool:
    """Whether the series of ``index`` holds all its instances (see the module docstring)."""
    expected = index.series.number_of_slices
    stored = len(index.instances)
    if expected is None or expected <= 0:
        return stored > 0
    return stored >= expected
