"""``petiq process``: end to end on a small simulated study and on the real GE series; errors; progress bar."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from cli.main import main
from cli.process_cmd import summary_line
from cli.progress import ProgressBar
from imaging.dicom.reader import read_pet_series
from models.bundle import BundleInfo
from tests.imaging.dicom.dciodvfy import dciodvfy_errors, requires_dciodvfy
from tests.workers.builders import identity_bundle, random_bundle, small_study
from workers.pipeline.qc import body_mask
from workers.pipeline.settings import WEIGHTS_ENV
from workers.pipeline.write import SR_NAME


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, BundleInfo]:
    return {
        "random": random_bundle(directory=tmp_path_factory.mktemp("random")),
        "identity": identity_bundle(directory=tmp_path_factory.mktemp("identity")),
    }


@pytest.fixture(scope="module")
def series_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_study(directory=tmp_path_factory.mktemp("study") / "study")


def _process(series: Path, out: Path, weights: Path | None, *extra: str) -> int:
    weights_args = ["--weights", str(weights)] if weights is not None else []
    return main(["process", str(series), "-o", str(out), *weights_args, *extra])


def _body_activity_ratio(source: Path, derived: Path) -> float:
    before = read_pet_series(source=source).volume.voxels
    after = read_pet_series(source=derived).volume.voxels
    body = body_mask(voxels=before)
    return float(after[body].sum(dtype=np.float64) / before[body].sum(dtype=np.float64))


def test_process_writes_series_and_result(
    series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert _process(series_dir, out, bundles["identity"].directory) == 0
    captured = capsys.readouterr()
    result = json.loads((out / "result.json").read_text())
    assert captured.err == ""  # no progress bar when stderr is not a terminal
    assert captured.out.strip() == summary_line(result=result, out=out)
    assert len(captured.out.strip().splitlines()) == 1 and "SUVmax" in captured.out
    source, derived = read_pet_series(source=series_dir), read_pet_series(source=out / "denoised")
    assert derived.volume.geometry == source.volume.geometry
    assert derived.volume.uids.series_uid == result["output"]["series_uid"] != source.volume.uids.series_uid
    assert abs(_body_activity_ratio(series_dir, out / "denoised") - 1.0) < 0.02
    assert result["notes"] == [] and result["provenance"]["denoiser"]["name"] == "test-identity"
    scorer = result["provenance"]["scorer"]  # the shipped scorer, by default
    assert scorer["name"] == "petiq-iqa" and "not clinician scores" in scorer["calibration"]
    for side in ("input", "output"):
        assert {"gqr", "pr", "dc", "uncertainty", "calibration"} <= set(result[side]["scores"])
    assert (out / "scores-sr.dcm").is_file()
    report = pydicom.dcmread(out / SR_NAME)
    assert report.SOPInstanceUID == result["output"]["sr_uid"] and report.Modality == "SR"
    assert report.StudyInstanceUID == source.volume.uids.study_uid


def test_process_with_random_network_no_score_and_env_weights(
    series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WEIGHTS_ENV, str(bundles["random"].directory))
    out = tmp_path / "out"
    assert _process(series_dir, out, None, "--no-score", "--adapt", "off", "--backend", "torch") == 0
    result = json.loads((out / "result.json").read_text())
    assert result["notes"] == [] and result["adaptation"] is None
    assert result["provenance"]["denoiser"]["engine"].startswith("torch/")
    derived = read_pet_series(source=out / "denoised")
    assert derived.volume.geometry == read_pet_series(source=series_dir).volume.geometry


def test_process_strength_from_the_option_else_the_setting(
    series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PETIQ_DEFAULT_STRENGTH", "high")
    weights, quick = bundles["random"].directory, ("--no-score", "--adapt", "off")
    assert _process(series_dir, tmp_path / "low", weights, *quick, "--strength", "low") == 0
    assert _process(series_dir, tmp_path / "default", weights, *quick) == 0
    for name, level, blend in (("low", "low", 0.5), ("default", "high", 1.0)):
        result = json.loads((tmp_path / name / "result.json").read_text())
        denoiser = result["provenance"]["denoiser"]
        assert (denoiser["strength"], denoiser["blend"]) == (level, blend)
        derived = read_pet_series(source=tmp_path / name / "denoised").datasets[0]
        assert derived.DerivationDescription.endswith(f"; strength={level}; blend={blend:g}")


def _not_dicom(root: Path) -> Path:
    (root / "in").mkdir()
    (root / "in" / "x.dcm").write_bytes(b"\0" * 300)
    return root / "in"


def _empty(root: Path) -> Path:
    (root / "in").mkdir()
    return root / "in"


def _missing(root: Path) -> Path:
    return root / "in"


@pytest.mark.parametrize("make_input", [_not_dicom, _empty, _missing])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    make_input: Any, bundles: dict[str, BundleInfo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = make_input(tmp_path)
    out = tmp_path / "results" / "out"
    assert _process(series, out, bundles["random"].directory) == 2
    err = capsys.readouterr().err
    assert err.startswith("petiq process: error:") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "results").exists()


def test_non_empty_out_exits_2(
    series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.txt").write_text("keep")
    assert _process(series_dir, tmp_path, bundles["random"].directory) == 2
    assert "output_exists" in capsys.readouterr().err
    assert [path.name for path in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.parametrize(
    "extra", [("--adapt", "n2n-split"), ("--split-a", "."), ("--adapt-steps", "0", "--adapt", "single")]
)
def test_unusable_adaptation_arguments_exit_2(
    series_dir: Path,
    bundles: dict[str, BundleInfo],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
) -> None:
    out = tmp_path / "out"
    assert _process(series_dir, out, bundles["random"].directory, *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("petiq process: error:") and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_single_series_adaptation_through_the_cli(
    series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, saved = tmp_path / "out", tmp_path / "adapted.pt"
    extra = ("--adapt", "single", "--adapt-steps", "3", "--phi", "0.5", "--save-adapted-model", str(saved))
    assert _process(series_dir, out, bundles["random"].directory, *extra, "--no-score") == 0
    result = json.loads((out / "result.json").read_text())
    assert result["adaptation"]["steps"] == 3 and result["adaptation"]["approximation"]
    assert saved.is_file()


def test_missing_default_weights_exit_1_with_advice(
    series_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(WEIGHTS_ENV, str(tmp_path / "nothing"))
    assert _process(series_dir, tmp_path / "out", None) == 1
    err = capsys.readouterr().err
    assert "no denoiser weights in" in err and "petiq train denoiser" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    terminal = _Terminal()
    bar = ProgressBar(stream=terminal, width=10)
    bar.update("denoise", 0.5)
    bar.update("denoise", 0.5)  # unchanged: not redrawn
    bar.update("write", 2.0)
    assert terminal.getvalue() == "\rdenoise  [#####-----]  50%\rwrite    [##########] 100%"
    bar.close()
    assert terminal.getvalue().endswith("\r" + " " * 26 + "\r")
    pipe = io.StringIO()
    silent = ProgressBar(stream=pipe)
    silent.update("load", 0.3)
    silent.close()
    assert pipe.getvalue() == ""


def test_summary_line_without_suv_or_uniform_region() -> None:
    result = {
        "output": {"series_uid": "1.2.3"},
        "qc": {"suvmax_in": None, "suvmax_out": None, "max_bqml_in": 1000.0, "max_bqml_out": 900.0,
               "noise_cov_in": None, "noise_cov_out": None},
        "timings_s": {"load": 1.0, "denoise": 2.25},
    }  # fmt: skip
    expected = "1.2.3 -> o: max 1000 -> 900 Bq/ml, CoV n/a% -> n/a%, 3.2 s"
    assert summary_line(result=result, out=Path("o")) == expected


@pytest.mark.e2e
@requires_dciodvfy
def test_dciodvfy_derived_adds_no_error(series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _process(series_dir, out, bundles["random"].directory, "--no-score") == 0
    sources = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p for p in series_dir.glob("*.dcm")}
    for path in sorted((out / "denoised").glob("*.dcm")):
        reference = pydicom.dcmread(path, stop_before_pixels=True).SourceImageSequence[0].ReferencedSOPInstanceUID
        assert dciodvfy_errors(path) <= dciodvfy_errors(sources[reference]), path.name


@pytest.mark.e2e
@requires_dciodvfy
def test_dciodvfy_scores_sr_has_no_error(series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _process(series_dir, out, bundles["random"].directory, "--no-score") == 0
    assert dciodvfy_errors(out / SR_NAME) == set()


@pytest.fixture(scope="module")
def real_ge_out(real_ge_dir: Path, bundles: dict[str, BundleInfo], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("real") / "out"
    assert _process(real_ge_dir, out, bundles["identity"].directory, "--no-score") == 0
    return out


@pytest.mark.slow
def test_real_ge_series_keeps_geometry_and_activity(real_ge_dir: Path, real_ge_out: Path) -> None:
    source, derived = read_pet_series(source=real_ge_dir), read_pet_series(source=real_ge_out / "denoised")
    assert derived.volume.geometry == source.volume.geometry
    assert derived.volume.shape == source.volume.shape == (267, 128, 128)
    assert abs(_body_activity_ratio(real_ge_dir, real_ge_out / "denoised") - 1.0) < 0.02
    qc = json.loads((real_ge_out / "result.json").read_text())["qc"]
    assert qc["suvmax_in"] is not None and qc["noise_cov_in"] is not None


@pytest.mark.slow
@pytest.mark.e2e
@requires_dciodvfy
def test_real_ge_derived_adds_no_dciodvfy_error(real_ge_dir: Path, real_ge_out: Path) -> None:
    derived = sorted((real_ge_out / "denoised").glob("*.dcm"))
    sources = {pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID: p for p in real_ge_dir.glob("*.dcm")}
    for path in (derived[0], derived[len(derived) // 2], derived[-1]):
        reference = pydicom.dcmread(path, stop_before_pixels=True).SourceImageSequence[0].ReferencedSOPInstanceUID
        assert dciodvfy_errors(path) <= dciodvfy_errors(sources[reference]), path.name


@pytest.mark.slow
@pytest.mark.e2e
@requires_dciodvfy
def test_real_ge_scores_sr_has_no_dciodvfy_error(real_ge_out: Path) -> None:
    assert dciodvfy_errors(real_ge_out / SR_NAME) == set()


def test_the_adapted_model_inside_out_is_part_of_the_output(
    series_dir: Path, bundles: dict[str, BundleInfo], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    saved = out / "models" / "adapted.pt"
    extra = ("--adapt", "single", "--adapt-steps", "2", "--save-adapted-model", str(saved), "--no-score")
    assert _process(series_dir, out, bundles["random"].directory, *extra) == 0
    assert saved.is_file() and (out / "result.json").is_file()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]  # no staging folder left beside it


@pytest.mark.parametrize(
    ("where", "adapt", "says"),
    [
        ("out/result.json", "single", "petiq writes it"),
        ("out/denoised/x.pt", "single", "petiq writes it"),
        ("out", "single", "not the output folder itself"),
        ("exists.pt", "single", "it exists"),
        ("series/adapted.pt", "single", "input folder"),
        ("a-file/adapted.pt", "single", "is a file"),
        ("adapted.pt", "off", "needs an adaptation"),
    ],
)
def test_a_conflicting_model_path_is_refused_before_any_work(
    series_dir: Path,
    bundles: dict[str, BundleInfo],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
    adapt: str,
    says: str,
) -> None:
    series = tmp_path / "series"
    shutil.copytree(series_dir, series)
    (tmp_path / "exists.pt").write_bytes(b"keep me")
    (tmp_path / "a-file").write_bytes(b"")
    out = tmp_path / "out"
    extra = ("--adapt", adapt, "--save-adapted-model", str(tmp_path / where), "--no-score")
    assert _process(series, out, bundles["random"].directory, *extra) == 2
    err = capsys.readouterr().err
    assert says in err and "save-adapted-model" in err and len(err.strip().splitlines()) == 1
    assert not out.exists() and (tmp_path / "exists.pt").read_bytes() == b"keep me"
    assert sorted(path.name for path in series.iterdir()) == sorted(path.name for path in series_dir.iterdir())
