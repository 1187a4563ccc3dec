"""``petiq process`` on a SPECT reconstruction stored as PET: exit 2, one line naming the nuclide, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from tests.imaging.dicom.nuclide_helpers import LU177, ge_crop, relabel_files
from tests.workers.builders import identity_bundle


def test_a_lutetium_crop_of_the_real_series_is_refused(
    real_ge_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    crop = ge_crop(real_ge_dir, tmp_path / "lu177")
    relabel_files(crop.glob("*.dcm"), **LU177)
    weights = identity_bundle(directory=tmp_path / "weights").directory
    out = tmp_path / "out"
    assert main(["process", str(crop), "-o", str(out), "--weights", str(weights), "--no-score"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("petiq process: error: Radionuclide Lu-177 ")
    assert "is not a positron emitter: petiq processes PET only." in err and "check=radionuclide" in err
    assert not out.exists()
