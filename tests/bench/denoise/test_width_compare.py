"""The side-by-side benchmark: one quick run on two tiny untrained networks of different widths."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from bench.denoise.width_compare import main
from models.bundle import save_bundle
from models.dncnn import DnCNN, DnCNNConfig


@pytest.mark.slow
def test_a_quick_run_scores_every_bundle_on_the_same_studies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.manual_seed(0)
    folders = []
    for width in (4, 8):
        folder = tmp_path / f"w{width}"
        model = DnCNN(config=DnCNNConfig(width=width, depth=3))
        save_bundle(model=model, directory=folder, name="tiny", version=f"w{width}", extra={})
        folders.append(folder)
    main(["--weights", *map(str, folders), "--quick", "--realisations", "2", "--levels", "0.1"])
    out = capsys.readouterr().out
    bundle_rows = [line for line in out.splitlines() if line.startswith("| w")]
    # each bundle appears in the bundle, PSNR, lesion-bias and NEMA tables
    assert sum(row.startswith("| w4 (w4)") for row in bundle_rows) == 4
    assert sum(row.startswith("| w8 (w8)") for row in bundle_rows) == 4
    first = next(row for row in bundle_rows if row.startswith("| w4 (w4)"))
    assert "1.00 |" in first  # the speed ratio's reference
    assert "best gaussian" in out and "10 mm 10 %" in out


def test_refuses_a_single_realisation() -> None:
    with pytest.raises(SystemExit):
        main(["--weights", "x", "--realisations", "1"])
