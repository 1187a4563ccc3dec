"""The derived series keeps its DICOM content: every element of every file, file meta included, is what the writer
made before the series header template (golden fingerprints of :mod:`tests.imaging.dicom.derived_golden`); only
the Series and SOP Instance UIDs, new in every run, are left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydicom import Dataset

from tests.imaging.dicom.derived_golden import CASES, GOLDEN_PATH, VARIES, case_fingerprint


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return dict(json.loads(GOLDEN_PATH.read_text()))


def _changed_files(got: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    return [name for name, a, b in zip(expected["names"], got["digests"], expected["digests"], strict=True) if a != b]


@pytest.mark.parametrize(
    "case",
    ["simulated", "pet-nema-iec-real", pytest.param("pet-real-ge-sts001", marks=pytest.mark.slow)],
)
def test_same_content_as_the_reference_writer(case: str, golden: dict[str, Any], tmp_path: Path) -> None:
    maker = CASES[case]()
    if maker is None:
        pytest.skip(f"the data of case {case} is not in ../shared/data")
    got = case_fingerprint(maker=maker, work_dir=tmp_path)
    expected = golden[case]
    assert got["names"] == expected["names"]
    assert got["first_file"] == expected["first_file"]  # element by element: a failure names the elements
    assert _changed_files(got, expected) == []


def test_the_fingerprint_sees_a_changed_encoding(golden: dict[str, Any], tmp_path: Path) -> None:
    """The comparison is not vacuous: the same number written as other text changes that file's fingerprint."""
    maker = CASES["simulated"]()
    assert maker is not None

    def rewrite_thickness(datasets: list[Dataset]) -> None:
        datasets[2].SliceThickness = f"{float(datasets[2].SliceThickness):.6f}"

    got = case_fingerprint(maker=maker, work_dir=tmp_path, change=rewrite_thickness)
    assert _changed_files(got, golden["simulated"]) == ["0003.dcm"]


def test_only_the_new_uids_are_left_out(golden: dict[str, Any]) -> None:
    left_out = {path for case in golden.values() for path, entry in case["first_file"].items() if VARIES in entry}
    assert left_out == {"meta:00020000", "meta:00020003", "00080018", "0020000E"}
