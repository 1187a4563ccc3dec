"""``petiq process`` refuses a series whose slices disagree on Units at load: exit 2, one line naming Units."""

from __future__ import annotations

import shutil
from pathlib import Path

import pydicom
import pytest

from cli.main import main
from imaging.dicom.reader import read_pet_series
from models.bundle import BundleInfo
from tests.workers.builders import random_bundle

_CROP = ("1-005.dcm", "1-006.dcm", "1-007.dcm", "1-008.dcm", "1-009.dcm")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> BundleInfo:
    return random_bundle(directory=tmp_path_factory.mktemp("random"))


def _crop(real_ge_dir: Path, folder: Path, *, cnts: str | None) -> Path:
    """Five consecutive slices of the real GE series in ``folder``; file ``cnts`` rewritten with Units CNTS."""
    folder.mkdir()
    for name in _CROP:
        if name == cnts:
            dataset = pydicom.dcmread(real_ge_dir / name)
            dataset.Units = "CNTS"
            dataset.save_as(folder / name, enforce_file_format=True)
        else:
            shutil.copyfile(real_ge_dir / name, folder / name)
    return folder


def test_mixed_units_exit_2_with_one_line_naming_units(
    real_ge_dir: Path, bundle: BundleInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = _crop(real_ge_dir, tmp_path / "in", cnts="1-007.dcm")
    out = tmp_path / "out"
    assert main(["process", str(series), "-o", str(out), "--weights", str(bundle.directory), "--no-score"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("petiq process: error: Attribute 'Units' should be the same on every slice:")
    assert "1-007.dcm has CNTS, the others BQML" in err and "check=consistent_units" in err
    assert not out.exists()


def test_the_same_crop_with_one_units_is_read(real_ge_dir: Path, tmp_path: Path) -> None:
    series = read_pet_series(source=_crop(real_ge_dir, tmp_path / "in", cnts=None))
    assert series.volume.voxels.shape == (5, 128, 128) and series.volume.units.value == "BQML"
