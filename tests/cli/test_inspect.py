"""``petiq inspect``: JSON and text summaries, and one line on stderr with exit 2 for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from tests.imaging.dicom.factories import make_pet_series, write_series
from tests.imaging.dicom.nuclide_helpers import LU177, ge_crop, relabel_files

KEYS = [
    "modality",
    "manufacturer",
    "n_slices",
    "shape",
    "spacing_mm",
    "units",
    "suv_factor",
    "series_uid",
    "radionuclide",
]


@pytest.fixture
def series_dir(tmp_path: Path) -> Path:
    series = make_pet_series(rng=np.random.default_rng(11), shape=(5, 3, 4), manufacturer="SIEMENS")
    write_series(series.datasets, tmp_path / "series")
    return tmp_path / "series"


def test_json_on_a_synthetic_series(series_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(series_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert list(summary) == KEYS
    assert summary["modality"] == "PT" and summary["manufacturer"] == "SIEMENS"
    assert summary["n_slices"] == 5 and summary["shape"] == [5, 3, 4]
    assert summary["spacing_mm"] == pytest.approx([3.0, 2.5, 2.0])
    assert summary["units"] == "BQML"
    assert summary["suv_factor"] == pytest.approx(70_000.0 / (3.5e8 * 0.5 ** (3600.0 / 6586.2)), rel=1e-9)


def test_json_on_the_real_series(real_ge_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(real_ge_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert list(summary) == KEYS
    assert summary["shape"] == [267, 128, 128] and summary["n_slices"] == 267
    assert summary["manufacturer"] == "GE MEDICAL SYSTEMS"
    assert summary["suv_factor"] == pytest.approx(2.429e-4, rel=1e-3)
    assert summary["radionuclide"] == {
        "name": "F-18",
        "identified_from": "RadionuclideCodeSequence",
        "positron_emitter": True,
        "tracer": "FDG",
    }


def test_a_lutetium_series_is_summarised_not_refused(
    real_ge_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crop = ge_crop(real_ge_dir, tmp_path / "lu177")
    relabel_files(crop.glob("*.dcm"), **LU177)
    assert main(["inspect", str(crop)]) == 0
    (line,) = (line for line in capsys.readouterr().out.splitlines() if line.startswith("radionuclide"))
    assert line.split(None, 1)[1] == (
        "Lu-177 (from RadionuclideCodeSequence), not a positron emitter: petiq does not process it, "
        "tracer Lu-177 PSMA-617"
    )


def test_text_is_an_aligned_listing(series_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(series_dir)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == KEYS
    assert len({line.index(line.split()[1]) for line in lines}) == 1
    assert "5 x 3 x 4" in lines[3]


def test_text_gives_the_reason_for_a_null_suv_factor(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = make_pet_series(rng=np.random.default_rng(11), shape=(2, 3, 4))
    for ds in series.datasets:
        del ds.PatientWeight
    write_series(series.datasets, tmp_path)
    assert main(["inspect", str(tmp_path)]) == 0
    suv_line = capsys.readouterr().out.splitlines()[6]
    assert suv_line.startswith("suv_factor") and "null (PatientWeight is absent)" in suv_line


def test_null_suv_factor_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = make_pet_series(rng=np.random.default_rng(11), shape=(2, 3, 4))
    for ds in series.datasets:
        ds.Units = "CNTS"
    write_series(series.datasets, tmp_path)
    assert main(["inspect", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["suv_factor"] is None and summary["units"] == "CNTS"


@pytest.mark.parametrize("case", ["missing directory", "not DICOM", "CT series"])
def test_bad_input_exits_2_with_one_line(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = make_pet_series(rng=np.random.default_rng(11), shape=(2, 3, 4))
    if case == "not DICOM":
        (tmp_path / "a.dcm").write_bytes(b"\x00" * 300)
    if case == "CT series":
        for ds in series.datasets:
            ds.Modality = "CT"
        write_series(series.datasets, tmp_path)
    directory = tmp_path / "absent" if case == "missing directory" else tmp_path
    assert main(["inspect", str(directory)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert captured.err.startswith("petiq inspect: error: ") and "Traceback" not in captured.err
