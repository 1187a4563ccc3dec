"""A series' scores: fields, ranges and grid; with the shipped scorer, GQR falls with the count level."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from imaging.simulation.phantom import PhantomKind
from imaging.simulation.study import StudyRequest, simulate_study
from models.iqa.bundle import load_scorer
from models.iqa.labels import METRICS, OBSERVER_LABEL
from models.iqa.scoring import score_volume
from tests.models.iqa.builders import random_scorer, tiny_torso

SHIPPED = Path(__file__).resolve().parents[3] / "models" / "weights" / "iqa"


def test_fields_ranges_and_grid(tmp_path: Path) -> None:
    random_scorer(directory=tmp_path / "s")
    scorer = load_scorer(directory=tmp_path / "s")
    volume = tiny_torso(levels=(0.1,)).series[0].volume.voxels
    scores = score_volume(volume=volume, scorer=scorer, seed=3)
    section = scores.to_dict()
    assert set(section) == {*METRICS, "raw", "uncertainty", "calibration", "n_patches", "seed"}
    for metric in METRICS:
        assert 0.0 <= section[metric] <= 3.0 and (section[metric] * 2).is_integer()
        assert 0.0 <= section["raw"][metric] <= 3.0 and section["uncertainty"][metric] >= 0.0
        assert abs(section[metric] - section["raw"][metric]) <= 0.25 + 1e-9
    assert section["calibration"] == OBSERVER_LABEL and section["n_patches"] == 300 and section["seed"] == 3
    assert score_volume(volume=volume, scorer=scorer, seed=3) == scores  # seeded: reproducible


@pytest.mark.slow
def test_shipped_scorer_gqr_never_rises_as_the_count_level_falls() -> None:
    if not (SHIPPED / "iqa.json").is_file():
        pytest.skip("no shipped scorer")
    scorer = load_scorer(directory=SHIPPED)
    request = StudyRequest(kind=PhantomKind.TORSO, seed=11, levels=(1.0, 0.25, 0.05, 0.01, 0.005))
    study = simulate_study(request=request)  # the family's default grid, as the scorer was trained on
    gqr = [score_volume(volume=s.volume.voxels, scorer=scorer).raw[0] for s in study.series]
    assert (np.diff(gqr) <= 0.05).all(), gqr
    assert gqr[0] - gqr[-1] >= 1.0, gqr
