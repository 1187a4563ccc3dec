"""Plain-text tables."""

from __future__ import annotations

import math

import pytest

from bench.tables import format_table, level_label, mean_sd


def test_format_table_aligns_every_line_to_one_width() -> None:
    rows = [["input", "21.25", "28.4"], ["petiq", "3.1", "133.75"]]
    text = format_table(title="PSNR", header=["method", "1 %", "5 %"], rows=rows)
    lines = text.splitlines()
    assert lines[0] == "PSNR" and lines[1] == ""
    table = lines[2:]
    assert len(table) == 2 + len(rows)
    assert len({len(line) for line in table}) == 1
    assert table[1].endswith(":|")  # numbers right-aligned
    assert table[2].startswith("| input ") and table[3].split("|")[2].strip() == "3.1"


def test_format_table_left_aligns_the_requested_columns() -> None:
    text = format_table(title="t", header=["a", "note"], rows=[["1", "x"], ["2", "longer"]], left=(1,))
    lines = text.splitlines()
    assert "| 1 | x      |" in lines and "| 2 | longer |" in lines


def test_format_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="rows"):
        format_table(title="t", header=["a", "b"], rows=[["1"]])


def test_mean_sd_uses_the_sample_standard_deviation() -> None:
    values = [1.0, 3.0, 8.0]
    mean = sum(values) / 3
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 2)
    assert mean_sd(values=values, digits=3) == f"{mean:.3f} ± {sd:.3f}"
    assert mean_sd(values=[2.5], digits=1) == "2.5"
    assert mean_sd(values=[], digits=1) == "–"


def test_level_label_is_a_percentage() -> None:
    assert [level_label(level=v) for v in (0.01, 0.05, 0.25, 1.0)] == ["1 %", "5 %", "25 %", "100 %"]
