"""The real-phantom report: its skip when the data is absent, its tables, and a full run with a tiny bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bench.denoise.nema_real import main, recovery_table
from bench.denoise.real_phantom import ImageFigures
from imaging.metrics.iec_background import BackgroundStats
from imaging.metrics.recovery import SphereRecovery
from models.bundle import save_bundle
from models.dncnn import DnCNN, DnCNNConfig
from tests.conftest import SHARED_DATA

REAL = SHARED_DATA / "pet-nema-iec-real"


def test_an_absent_data_folder_is_skipped_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--data", str(tmp_path / "nowhere"), "--weights", str(tmp_path / "no-bundle")])
    assert capsys.readouterr().out.startswith(f"skipped: no NEMA IEC series at {tmp_path / 'nowhere'}")


def _figures(rc_a50: float, rc_max: float) -> ImageFigures:
    sphere = SphereRecovery(
        diameter_mm=37.0, max_value=0, a50_mean=0, a50_threshold=0, a50_voxels=1, rc_max=rc_max, rc_a50=rc_a50
    )
    background = BackgroundStats(mean=1.0, sd=0.1, cov_pct=10.0, n_voxels=10, n_rois=1)
    return ImageFigures(background=background, spheres=(sphere,))


def test_each_cell_carries_its_value_and_earl2_verdict() -> None:
    figures = {"input": _figures(0.84, 1.29), "petiq": _figures(1.00, 1.30)}
    a50 = recovery_table(title="RC_a50", figures=figures, which="a50").splitlines()
    assert a50[-1].split("|")[1:-1] == [" 37 mm  ", "   0.85–1.00 ", " 0.84 FAIL ", " 1.00 PASS "]
    peak = recovery_table(title="RC_max", figures=figures, which="max").splitlines()
    assert "1.05–1.29" in peak[-1] and "1.29 PASS" in peak[-1] and "1.30 FAIL" in peak[-1]


@pytest.mark.slow
def test_a_full_run_on_the_real_scan_with_a_tiny_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not REAL.is_dir():
        pytest.skip(f"real NEMA IEC series not found at {REAL}")
    torch.manual_seed(0)
    save_bundle(
        model=DnCNN(config=DnCNNConfig(width=4, depth=3)), directory=tmp_path, name="tiny", version="w4", extra={}
    )
    main(["--weights", str(tmp_path), "--ensemble", "1"])
    out = capsys.readouterr().out
    assert "petiq tiny w4" in out and "Gaussian at petiq high's background CoV: FWHM" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and ("PASS" in line or "FAIL" in line)]
    assert len(rows) == 12 and sum(line.startswith("| 10 mm") for line in rows) == 2  # 6 rows in each RC table
    assert all(line.count("PASS") + line.count("FAIL") == 5 for line in rows)  # input, 3 levels, gaussian
    assert "| input " in out and "| petiq low " in out and "| petiq high " in out and "| gaussian " in out
