"""``petiq score`` and ``petiq iqa-calibrate``: output, the new scorer, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from models.iqa.bundle import load_scorer
from models.iqa.labels import OBSERVER_LABEL
from tests.models.iqa.builders import random_scorer
from tests.workers.builders import small_study


@pytest.fixture(scope="module")
def scorer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("scorer")
    random_scorer(directory=directory)
    return directory


@pytest.fixture(scope="module")
def series_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two patients, one series each (different seeds: different PatientIDs)."""
    root = tmp_path_factory.mktemp("site")
    for seed in (3, 5):
        small_study(directory=root / f"patient{seed}", seed=seed, level=0.1)
    return root


def _folders(root: Path) -> list[str]:
    return sorted(path.parent.relative_to(root).as_posix() for path in root.glob("*/r00/*/0001.dcm"))


def test_score_json_and_text(scorer_dir: Path, series_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    series = series_root / _folders(series_root)[0]
    assert main(["score", str(series), "--scorer", str(scorer_dir), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert {"series_uid", "gqr", "pr", "dc", "raw", "uncertainty", "calibration", "n_patches", "seed"} <= set(scores)
    assert scores["calibration"] == OBSERVER_LABEL
    assert main(["score", str(series), "--scorer", str(scorer_dir)]) == 0
    text = capsys.readouterr().out
    assert "GQR (global quality)" in text and "not clinician scores" in text


def test_score_of_a_folder_without_dicom_is_one_line_exit_2(
    scorer_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", str(tmp_path), "--scorer", str(scorer_dir)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("petiq score: error:") and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_calibrate_writes_a_new_scorer_that_score_uses(
    scorer_dir: Path, series_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "site-scores.csv"
    first, second = _folders(series_root)
    labels.write_text(f"series,gqr,pr,dc\n{first},2.5,2,2\n{second},1,1.5,1\n")
    out = tmp_path / "site-scorer"
    argv = ["iqa-calibrate", "--labels", str(labels), "--series-root", str(series_root), "-o", str(out)]
    assert main([*argv, "--scorer", str(scorer_dir), "--steps", "5"]) == 0
    printed = capsys.readouterr().out
    assert "leave-one-patient-out over 2 patients, 2 series" in printed and "GQR" in printed
    scorer = load_scorer(directory=out)
    assert scorer.info.calibration.startswith("site:site-scores (2 series, 2 patients")
    card = (out / "MODEL_CARD.md").read_text()
    assert "Leave-one-patient-out" in card and "| GQR |" in card
    assert main(["score", str(series_root / first), "--scorer", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["calibration"] == scorer.info.calibration


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("series,gqr,pr,dc\n{first},2.2,2,2\n", "line 2: gqr should be on the 0.5 grid"),
        ("series,gqr,pr,dc\nunknown-series,2,2,2\n", "line 2: series 'unknown-series' is neither"),
        ("series,gqr,pr,dc\n{first},2,2,2\n", "at least two patients"),
    ],
)
def test_calibrate_refuses_bad_labels_in_one_line_and_writes_nothing(
    csv: str, message: str, scorer_dir: Path, series_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = tmp_path / "scores.csv"
    labels.write_text(csv.format(first=_folders(series_root)[0]))
    out = tmp_path / "new"
    argv = ["iqa-calibrate", "--labels", str(labels), "--series-root", str(series_root), "-o", str(out)]
    assert main([*argv, "--scorer", str(scorer_dir)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]
