"""``petiq train denoiser``: a tiny run leaves a bundle; another config in the same folder exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main
from imaging.simulation.shard_store import run_shards
from imaging.simulation.shards import ShardConfig


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shards")
    config = ShardConfig(
        studies=2, seed=21, shape=(5, 24, 24), spacing_mm=(4.0, 8.0, 8.0), patch=16, patches_per_level=2
    )
    run_shards(out=out, config=config, log=lambda line: None)
    return out


def _train(shards: Path, out: Path, *extra: str) -> int:
    args = ["train", "denoiser", "--shards", str(shards), "--out", str(out), "--width", "4", "--batch", "4"]
    return main([*args, "--eval-every", "5", "--steps", "5", *extra])


def test_a_tiny_run_leaves_a_bundle_and_its_settings(
    shard_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _train(shard_dir, out, "--contrast-weight", "2") == 0
    assert "weights in" in capsys.readouterr().out
    assert {"dncnn.pt", "dncnn.onnx", "dncnn.json", "train.log", "train-config.json"} <= {p.name for p in out.iterdir()}
    config = json.loads((out / "train-config.json").read_text())
    assert config["contrast_weight"] == 2.0 and config["width"] == 4
    assert "step 5/5" in (out / "train.log").read_text()


def test_other_settings_in_the_same_folder_exit_2(
    shard_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _train(shard_dir, out) == 0
    capsys.readouterr()  # the first run's progress lines
    assert _train(shard_dir, out, "--seed", "9") == 2
    err = capsys.readouterr().err
    assert err.startswith("petiq train: error:") and "differing: seed" in err and len(err.strip().splitlines()) == 1


def test_a_missing_shard_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _train(tmp_path / "nowhere", tmp_path / "run") == 2
    assert "manifest" in capsys.readouterr().err


def test_a_run_recorded_before_a_setting_existed_still_resumes(
    shard_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert _train(shard_dir, out, "--contrast-relative") == 0
    assert json.loads((out / "train-config.json").read_text())["contrast_relative"] is True
    older = tmp_path / "older"
    assert _train(shard_dir, older) == 0
    path = older / "train-config.json"
    recorded = json.loads(path.read_text())
    del recorded["contrast_relative"]
    path.write_text(json.dumps(recorded))
    assert _train(shard_dir, older) == 0  # resumes (nothing left to do) instead of refusing
    assert _train(shard_dir, older, "--contrast-relative") == 2
    assert "differing: contrast_relative" in capsys.readouterr().err


def test_noise_map_runs_ship_a_noise_conditioned_network(shard_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _train(shard_dir, out, "--noise-map") == 0
    metadata = json.loads((out / "dncnn.json").read_text())
    assert metadata["config"]["noise_map"] is True and metadata["version"] == "w4-nm-s0"
    assert metadata["onnx_max_abs_diff_vs_torch"] <= 1e-4


def test_level_balance_takes_an_exponent_and_init_a_bundle(shard_dir: Path, tmp_path: Path) -> None:
    assert _train(shard_dir, tmp_path / "base", "--level-balance") == 0
    assert json.loads((tmp_path / "base" / "train-config.json").read_text())["level_balance"] == 1.0
    tuned = tmp_path / "tuned"
    assert _train(shard_dir, tuned, "--level-balance", "0.5", "--init", str(tmp_path / "base")) == 0
    recorded = json.loads((tuned / "train-config.json").read_text())
    assert recorded["level_balance"] == 0.5 and recorded["init"] == str((tmp_path / "base").resolve())
    assert "init_sha256" in json.loads((tuned / "dncnn.json").read_text())
