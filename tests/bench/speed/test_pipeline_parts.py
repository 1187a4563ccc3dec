"""The part-by-part profile of the work around the network: one real run on a small written series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.speed.pipeline_parts import PARTS, main, parts_once, table
from imaging.dicom.files import write_series
from imaging.dicom.original import AcquisitionInfo, create_original_series
from tests.imaging.dicom.writer_helpers import synthetic_volume


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    volume = synthetic_volume(rng=np.random.default_rng(12), shape=(12, 24, 24))
    directory = tmp_path_factory.mktemp("parts") / "series"
    write_series(datasets=create_original_series(volume=volume, info=AcquisitionInfo()), directory=directory)
    return directory


def test_every_part_is_timed_and_the_outputs_are_written(series_dir: Path, tmp_path: Path) -> None:
    seconds = parts_once(series_dir=series_dir, work_dir=tmp_path / "work")
    assert list(seconds) == list(PARTS) and all(value >= 0 for value in seconds.values())
    assert len(list((tmp_path / "work" / "denoised").iterdir())) == 12
    assert (tmp_path / "work" / "scores-sr.dcm").is_file()


def test_the_table_sums_the_parts_with_the_sr_after_the_first_run() -> None:
    runs = [{**dict.fromkeys(PARTS, 0.1), "SR": sr} for sr in (0.9, 0.2, 0.2)]
    text = table(runs)
    assert "| SR, first            | 0.900 |" in text and "| SR                   | 0.200 |" in text
    assert "| total (SR not first) | 0.800 |  100% |" in text


def test_main_prints_the_table_or_says_the_series_is_missing(
    series_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--series", str(series_dir), "--repeat", "2"]) == 0
    out = capsys.readouterr().out
    assert all(f"| {part}" in out for part in PARTS)
    assert main(["--series", str(tmp_path / "absent")]) == 2
    assert "nothing measured" in capsys.readouterr().out
