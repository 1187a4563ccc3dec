"""Tolerant reads of header values: absent, empty, malformed and multi-valued attributes never raise.

Readers of optional (Type 2/3) attributes use these so that what anonymisers and research exports remove or leave
empty is read as "not stated" (``""``, an empty item, None), never as an AttributeError or a ValueError.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydicom.dataset import Dataset

__all__ = ["first_item", "positive_number", "text"]


def text(dataset: Dataset, keyword: str) -> str:
    """The value of ``keyword`` as stripped text; several values joined by ``\\``; ``""`` when absent, empty or
    unreadable (bytes are read as ASCII)."""
    try:
        value = dataset.get(keyword)
    except (TypeError, ValueError):
        return ""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip(" \x00")
    if isinstance(value, Sequence) and not isinstance(value, str):
        return "\\".join(str(item) for item in value).strip()
    return str(value).strip()


def first_item(dataset: Dataset, keyword: str) -> Dataset:
    """The first item of sequence ``keyword``; an empty Dataset when absent, empty or not a sequence."""
    try:
        value = dataset.get(keyword)
    except (TypeError, ValueError):
        return Dataset()
    if not isinstance(value, Sequence) or isinstance(value, str | bytes) or not value:
        return Dataset()
    item = value[0]
    return item if isinstance(item, Dataset) else Dataset()


def positive_number(dataset: Dataset, keyword: str) -> float | None:
    """The value of ``keyword`` as a finite positive number; None when absent, empty, malformed or not positive."""
    try:
        number = float(text(dataset, keyword))
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None
