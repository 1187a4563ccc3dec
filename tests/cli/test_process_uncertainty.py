"""``petiq process --uncertainty``: the uncertainty series with the split pair, an unavailable section without."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from imaging.dicom.reader import read_pet_series
from models.bundle import BundleInfo
from tests.workers.builders import random_bundle, small_split_study

QUICK = ("--no-score", "--adapt", "off")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> BundleInfo:
    return random_bundle(directory=tmp_path_factory.mktemp("random"))


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    return small_split_study(directory=tmp_path_factory.mktemp("study") / "study")


def _process(series: Path, out: Path, bundle: BundleInfo, *extra: str) -> int:
    return main(["process", str(series), "-o", str(out), "--weights", str(bundle.directory), *QUICK, *extra])


def test_uncertainty_with_the_split_pair_writes_the_second_series(
    study: tuple[Path, Path, Path], bundle: BundleInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series, split_a, split_b = study
    out = tmp_path / "out"
    splits = ("--split-a", str(split_a), "--split-b", str(split_b))
    assert _process(series, out, bundle, *splits, "--uncertainty") == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 1
    result = json.loads((out / "result.json").read_text())
    assert result["uncertainty"]["available"] is True and result["notes"] == []
    written = read_pet_series(source=out / "uncertainty")
    assert written.volume.uids.series_uid == result["uncertainty"]["series_uid"]
    assert written.volume.shape == read_pet_series(source=out / "denoised").volume.shape
    assert sorted(path.name for path in out.iterdir()) == ["denoised", "result.json", "scores-sr.dcm", "uncertainty"]


def test_uncertainty_without_the_split_pair_is_unavailable(
    study: tuple[Path, Path, Path], bundle: BundleInfo, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert _process(study[0], out, bundle, "--uncertainty") == 0
    result = json.loads((out / "result.json").read_text())
    assert result["uncertainty"]["available"] is False and "split pair" in result["uncertainty"]["reason"]
    assert any(note.startswith("No uncertainty map:") for note in result["notes"])
    assert not (out / "uncertainty").exists()


def test_without_the_flag_there_is_no_uncertainty(
    study: tuple[Path, Path, Path], bundle: BundleInfo, tmp_path: Path
) -> None:
    series, split_a, split_b = study
    out = tmp_path / "out"
    assert _process(series, out, bundle, "--split-a", str(split_a), "--split-b", str(split_b)) == 0
    assert json.loads((out / "result.json").read_text())["uncertainty"] is None
    assert not (out / "uncertainty").exists()
