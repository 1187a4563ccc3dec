"""The per-study adaptation mode and the one rule on the split pair, shared by the job API and the pipeline.

The mode is what ``petiq process --adapt``, ``POST /v1/jobs`` (``adapt``) and ``PETIQ_DEFAULT_ADAPT`` choose
(DESIGN.md §4 "TGD-N2N"): ``auto`` adapts when the split pair is given, ``off`` never, ``n2n-split`` on the
split pair (required), ``single`` on the series alone (an approximation).

The split pair (split A and split B: ``split_a``/``split_b`` in the job API, ``--split-a``/``--split-b`` on the
command line) goes together: both halves or neither (check ``splits``); ``n2n-split`` needs it (check
``adapt_splits``). The messages name neither spelling, so that they read right for both users.
"""

from __future__ import annotations

from enum import StrEnum

from imaging.errors import InputError

__all__ = ["ADAPT_SPLITS_CHECK", "SPLITS_CHECK", "AdaptMode", "check_split_pair", "split_pair_needed"]

SPLITS_CHECK = "splits"
"""The check named when only one half of the split pair is given."""
ADAPT_SPLITS_CHECK = "adapt_splits"
"""The check named when ``n2n-split`` is asked for without the split pair."""


class AdaptMode(StrEnum):
    """Per-study adaptation mode (the values of ``petiq process --adapt``)."""

    AUTO = "auto"
    OFF = "off"
    N2N_SPLIT = "n2n-split"
    SINGLE = "single"


def split_pair_needed() -> InputError:
    """The error (check ``adapt_splits``) for ``n2n-split`` without the split pair."""
    return InputError("Adaptation 'n2n-split' needs the split pair (split A and split B).", check=ADAPT_SPLITS_CHECK)


def check_split_pair(*, mode: AdaptMode, split_a: object | None, split_b: object | None) -> bool:
    """Whether the split pair is given (``split_a`` and ``split_b``: folders or SeriesInstanceUIDs).

    Raises:
        InputError: (check ``splits``) one half only; (check ``adapt_splits``) ``mode`` is ``n2n-split`` and
            the pair is not given.
    """
    if (split_a is None) != (split_b is None):
        raise InputError(
            "The split pair (split A and split B) goes together: give both halves or neither.", check=SPLITS_CHECK
        )
    given = split_a is not None
    if mode is AdaptMode.N2N_SPLIT and not given:
        raise split_pair_needed()
    return given
