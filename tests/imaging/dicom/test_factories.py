"""The synthetic series factory writes headers the standard's IOD checker accepts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.imaging.dicom.factories import make_pet_series, write_series


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("dciodvfy") is None, reason="dciodvfy (dicom3tools) is not installed")
def test_factory_slices_pass_dciodvfy_without_error(tmp_path: Path) -> None:
    series = make_pet_series(rng=np.random.default_rng(0), shape=(2, 3, 4))
    for path in write_series(series.datasets, tmp_path):
        report = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True, timeout=60, check=False)
        assert "PETImage" in report.stderr
        assert "Error" not in report.stderr, report.stderr
