"""Per-slice consistency of Units, radionuclide and DecayCorrection: refused at load, naming the file and values;
absent everywhere (or, for the radionuclide, on some slices) is tolerated."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence as DicomSequence

from imaging.dicom.reader import read_pet_series
from imaging.errors import SeriesError
from imaging.volume import Units
from tests.imaging.dicom.factories import make_pet_series, write_series

Mutation = Callable[[list[Dataset]], None]


def _series(tmp_path: Path, mutate: Mutation) -> Path:
    series = make_pet_series(rng=np.random.default_rng(7), shape=(5, 4, 4), seed=7)
    datasets = [copy.deepcopy(ds) for ds in series.datasets]  # the factory's slices share header elements
    mutate(datasets)
    write_series(datasets, tmp_path)
    return tmp_path


def _units_cnts_on_third(datasets: list[Dataset]) -> None:
    datasets[2].Units = "CNTS"


def _units_absent_on_one(datasets: list[Dataset]) -> None:
    del datasets[3].Units


def _other_code(datasets: list[Dataset]) -> None:
    code = datasets[1].RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence[0]
    code.CodeValue, code.CodeMeaning = "21576001", "^11^Carbon"


def _other_half_life(datasets: list[Dataset]) -> None:
    for ds in datasets:
        del ds.RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence
    datasets[4].RadiopharmaceuticalInformationSequence[0].RadionuclideHalfLife = "1221.5"


def _other_name(datasets: list[Dataset]) -> None:
    for ds, name in zip(datasets, ["F-18", "F-18", "F-18", "Ga-68", "F-18"], strict=True):
        ds.RadiopharmaceuticalInformationSequence[0].Radionuclide = name


def _other_decay(datasets: list[Dataset]) -> None:
    datasets[0].DecayCorrection = "ADMIN"


REFUSED: list[tuple[str, Mutation, str, str, str]] = [
    ("one slice CNTS", _units_cnts_on_third, "consistent_units", "IM0002.dcm", "has CNTS, the others BQML"),
    ("Units absent on one", _units_absent_on_one, "consistent_units", "IM0003.dcm", "has none, the others BQML"),
    ("another code", _other_code, "consistent_radionuclide", "IM0001.dcm", "has 21576001, the others 77004003"),
    ("another half-life", _other_half_life, "consistent_radionuclide", "IM0004.dcm", "has 1222 s, the others 6586 s"),
    ("another name", _other_name, "consistent_radionuclide", "IM0003.dcm", "has Ga-68, the others F-18"),
    ("other DecayCorrection", _other_decay, "consistent_decay_correction", "IM0000.dcm", "has ADMIN, the others START"),
]


@pytest.mark.parametrize(("mutate", "check", "name", "values"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_inconsistent_slices_are_refused_naming_file_and_values(
    tmp_path: Path, mutate: Mutation, check: str, name: str, values: str
) -> None:
    with pytest.raises(SeriesError) as caught:
        read_pet_series(source=_series(tmp_path, mutate))
    error = caught.value
    assert error.check == check and error.path is not None and Path(error.path).name == name
    assert error.uid is not None and error.uid.startswith("1.2.826.0.1.3680043")  # the series UID
    assert f"should be the same on every slice: {name} {values}." in error.message


def test_units_message_names_the_attribute(tmp_path: Path) -> None:
    with pytest.raises(SeriesError, match=r"^Attribute 'Units' should be the same on every slice: IM0002.dcm has CNTS"):
        read_pet_series(source=_series(tmp_path, _units_cnts_on_third))


def _no_units(datasets: list[Dataset]) -> None:
    for ds in datasets:
        del ds.Units


def _empty_units(datasets: list[Dataset]) -> None:
    for ds in datasets:
        ds.Units = ""


def _no_radiopharmaceutical(datasets: list[Dataset]) -> None:
    for ds in datasets:
        del ds.RadiopharmaceuticalInformationSequence
        del ds.DecayCorrection


def _sparse_radiopharmaceutical(datasets: list[Dataset]) -> None:
    datasets[1].RadiopharmaceuticalInformationSequence = DicomSequence([])
    datasets[2].RadiopharmaceuticalInformationSequence = DicomSequence([Dataset()])
    del datasets[3].RadiopharmaceuticalInformationSequence[0].RadionuclideCodeSequence
    datasets[4].RadiopharmaceuticalInformationSequence[0].RadionuclideHalfLife = "6586.20"
    datasets[0].DecayCorrection = ""


TOLERATED: list[tuple[str, Mutation]] = [
    ("no Units anywhere", _no_units),
    ("empty Units everywhere", _empty_units),
    ("no radiopharmaceutical anywhere", _no_radiopharmaceutical),
    ("radionuclide stated on some slices only", _sparse_radiopharmaceutical),
]


@pytest.mark.parametrize("mutate", [case[1] for case in TOLERATED], ids=[case[0] for case in TOLERATED])
def test_absent_values_are_tolerated(tmp_path: Path, mutate: Mutation) -> None:
    series = read_pet_series(source=_series(tmp_path, mutate))
    assert series.volume.voxels.shape == (5, 4, 4)


def test_no_units_reads_without_suv_units(tmp_path: Path) -> None:
    volume = read_pet_series(source=_series(tmp_path, _no_units)).volume
    assert (volume.units, volume.units_raw) == (Units.OTHER, "")


def _padded_units(datasets: list[Dataset]) -> None:
    for ds in datasets:
        del ds.Units
        ds.add_new(0x00541001, "CS", " BQML")


def test_padded_units_are_read_and_carried_stripped(tmp_path: Path) -> None:
    series = read_pet_series(source=_series(tmp_path, _padded_units))
    assert series.volume.units is Units.BQML
    assert {ds.Units for ds in series.datasets} == {"BQML"}  # what the derived series' writer compares with
