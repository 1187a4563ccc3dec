"""Plain-text (Markdown pipe) tables for the benchmark scripts: pure string formatting, no printing."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

__all__ = ["format_table", "level_label", "mean_sd"]


def level_label(*, level: float) -> str:
    """A count level as a column header: ``0.05 → "5 %"``, ``1.0 → "100 %"``."""
    return f"{level * 100:g} %"


def mean_sd(*, values: Sequence[float], digits: int) -> str:
    """``"mean ± sd"`` of ``values`` with ``digits`` decimals (sample SD, R − 1); ``"mean"`` for one value;
    ``"–"`` for none."""
    if not values:
        return "–"
    mean = math.fsum(values) / len(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def format_table(
    *, title: str, header: Sequence[str], rows: Sequence[Sequence[str]], left: Collection[int] = (0,)
) -> str:
    """A titled Markdown pipe table; the columns in ``left`` left-aligned (text), the others right-aligned.

    Args:
        title: printed above the table.
        header: the column names.
        rows: one sequence of cells per row, each as long as ``header``.
        left: indices of the left-aligned columns.

    Returns:
        The table, lines joined by newlines, without a trailing newline.
    """
    if not header or any(len(row) != len(header) for row in rows):
        raise ValueError(f"Argument 'rows' should have {len(header)} cells per row (the header's), and a header.")
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(w) if i in left else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) if i in left else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return "\n".join([title, "", line(header), rule, *(line(row) for row in rows)])
