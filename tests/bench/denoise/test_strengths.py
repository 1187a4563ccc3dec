"""The strength-level benchmark: its rule for proposing levels, and a smoke run that writes them to a bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.denoise.strengths import Row, main, propose
from models.bundle_info import load_bundle_info


def _rows(cuts: dict[float, float]) -> list[Row]:
    return [Row(alpha=alpha, cov_pct=10.0 * (1 - cut / 100), cut_pct=cut) for alpha, cut in cuts.items()]


def test_low_is_the_smallest_alpha_cutting_enough_everywhere_and_medium_is_half_way() -> None:
    alphas = (0.3, 0.5, 0.7, 0.9, 1.0)
    torso = {
        ("a", 0.25): _rows({0.0: 0, 0.3: 30, 0.5: 45, 0.7: 60, 0.9: 70, 1.0: 75}),
        ("a", 1.0): _rows({0.0: 0, 0.3: 25, 0.5: 38, 0.7: 52, 0.9: 64, 1.0: 70}),
        ("a", 0.05): _rows({0.0: 0, 0.3: 10, 0.5: 20, 0.7: 30, 0.9: 40, 1.0: 50}),  # below 25 %: not required
    }
    real = _rows({0.0: 0, 0.3: 28, 0.5: 42, 0.7: 55, 0.9: 66, 1.0: 72})
    assert propose(torso=torso, real=real, alphas=alphas) == {"low": 0.7, "medium": 0.9, "high": 1.0}
    assert propose(torso=torso, real=None, alphas=alphas) == {"low": 0.7, "medium": 0.85, "high": 1.0}


@pytest.mark.slow
def test_a_quick_run_writes_its_levels_into_the_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    from models.bundle import save_bundle
    from models.dncnn import DnCNN, DnCNNConfig

    torch.manual_seed(0)
    save_bundle(model=DnCNN(config=DnCNNConfig(width=4, depth=3)), directory=tmp_path, name="t", version="v", extra={})
    argv = ["--weights", str(tmp_path), "--quick", "--realisations", "2", "--alphas", "0.5,1", "--levels", "0.25"]
    main([*argv, "--real", str(tmp_path / "absent"), "--write"])
    out = capsys.readouterr().out
    assert "| 0.00 |" in out and "Proposed" in out
    info = load_bundle_info(directory=tmp_path)
    assert info.strengths is not None and info.strengths["high"] == 1.0
    assert "bench.denoise.strengths" in info.metadata["strengths_source"]
