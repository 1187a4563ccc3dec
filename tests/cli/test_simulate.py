"""``petiq simulate``: arguments, output folder, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from cli.simulate_cmd import parse_levels
from imaging.dicom.reader import read_pet_series
from imaging.errors import InputError


def test_parse_levels_accepts_fractions_and_percentages() -> None:
    assert parse_levels(text="1, 0.1,5%") == (1.0, 0.1, 0.05)


@pytest.mark.parametrize(("text", "message"), [("1,x", "non-number"), ("0", r"\(0, 1\]"), ("1,100%", "repeats")])
def test_parse_levels_rejects(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_levels(text=text)


@pytest.mark.slow
def test_simulate_nema_writes_readable_series(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "nema"
    code = main(["simulate", "--phantom", "nema", "--counts", "10%", "--split", "--seed", "5", "--out", str(out)])
    assert code == 0
    manifest = json.loads((out / "study.json").read_text())
    assert [s["path"] for s in manifest["series"]] == [
        "r00/count-10pct",
        "r00/count-10pct-split-a",
        "r00/count-10pct-split-b",
    ]
    assert manifest["phantom"]["kind"] == "nema"
    series = read_pet_series(source=out / "r00/count-10pct-split-b")
    assert series.volume.shape == tuple(manifest["phantom"]["shape"])
    assert series.datasets[0].ImageType == ["ORIGINAL", "PRIMARY"]
    assert "r00/count-10pct-split-a" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        (["--phantom", "brain", "--ood", "catheter"], "torso phantoms only"),
        (["--phantom", "torso", "--counts", "2"], "Argument '--counts'"),
        (["--phantom", "torso", "--realizations", "0"], "Argument '--realizations'"),
        (["--phantom", "nema", "--variant", "high_bmi"], "variant"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], line: str
) -> None:
    out = tmp_path / "out"
    assert main(["simulate", *extra, "--seed", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert line in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_non_empty_output_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["simulate", "--phantom", "torso", "--seed", "1", "--out", str(tmp_path)]) == 2
    assert "new or empty folder" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
