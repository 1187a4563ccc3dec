"""``petiq simulate-shards``: a tiny run, resume, refusals, the detached background run."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from cli import shards_cmd
from cli.main import build_parser, main
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.shards import ShardConfig

REPO = Path(__file__).resolve().parents[2]
TINY = ["--shape", "8,32,32", "--spacing-mm", "4,8,8", "--patch", "16", "--patches-per-level", "3"]


def _argv(out: Path, *extra: str) -> list[str]:
    return [
        "simulate-shards",
        "--out",
        str(out),
        "--studies",
        "2",
        "--seed",
        "11",
        "--levels",
        "0.01,0.1",
        *TINY,
        *extra,
    ]


def test_a_tiny_run_writes_shards_and_logs_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(tmp_path / "out")) == 0
    captured = capsys.readouterr()
    assert "2 shards" in captured.out and "2 written now" in captured.out
    assert [line.split()[1] for line in captured.err.splitlines() if line.startswith("shard ")] == ["1/2", "2/2"]
    log = (tmp_path / "out" / "shards.log").read_text()
    assert "shard 1/2 " in log and "shard 2/2 " in log
    with np.load(tmp_path / "out" / "shard-00001.npz", allow_pickle=False) as shard:
        assert shard["inputs"].shape == (6, 3, 16, 16)
        assert shard["level"].tolist() == pytest.approx([0.01] * 3 + [0.1] * 3)
        assert set(shard["study_seed"]) == {12}
    assert main(_argv(tmp_path / "out")) == 0
    assert "0 written now, 2 already there" in capsys.readouterr().out


def test_nema_is_refused_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(tmp_path / "out", "--kinds", "torso,nema")) == 2
    err = capsys.readouterr().err
    assert "evaluation only" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_changed_settings_are_refused_naming_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_argv(tmp_path / "out")) == 0
    capsys.readouterr()
    assert main([*_argv(tmp_path / "out"), "--seed", "12", "--protocols", "v1"]) == 2
    assert "differing: protocols, seed" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--levels", "0.1,x"),
        ("--kinds", "brain,liver"),
        ("--shape", "8,32"),
        ("--lesions", "3"),
        ("--lesion-hosts", "liver,brain"),
        ("--lesion-diameter-mm", "8"),
    ],
)
def test_unparseable_lists_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    assert main([*_argv(tmp_path / "out"), option, value]) == 2
    assert f"'{option.removeprefix('--')}'" in capsys.readouterr().err


def test_the_child_command_reproduces_the_configuration(tmp_path: Path) -> None:
    config = ShardConfig(
        studies=5, seed=3, kinds=(PhantomKind.TORSO,), protocols=("v2",), levels=(0.005, 1 / 3), patch=24,
        patches_per_level=2, shape=(8, 40, 40), spacing_mm=(4.0, 7.3, 7.3), lesion_fraction=0.5, lesions=(3, 9),
        lesion_hosts=("soft_tissue", "lung"), lesion_diameter_mm=(6.0, 16.5),
    )  # fmt: skip
    args = build_parser().parse_args(shards_cmd.child_argv(out=tmp_path, config=config))
    assert shards_cmd.config_from_args(args=args) == config
    assert args.out == str(tmp_path) and not args.detach


def _wait_for_exit(pid: int, timeout_s: float) -> bool:
    """Reap ``pid`` (our child) once it ends; False if it is still running after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # already reaped by the subprocess module
            return True
        if done:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.filterwarnings("ignore:subprocess .* is still running:ResourceWarning")  # detached on purpose
def test_detach_runs_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    out = tmp_path / "out"
    assert main([*_argv(out), "--detach"]) == 0
    assert "shards.log" in capsys.readouterr().out
    pid = int((out / "shards.pid").read_text())
    assert os.getsid(pid) == pid  # its own session
    if not _wait_for_exit(pid, timeout_s=60.0):
        os.killpg(pid, signal.SIGTERM)
        _wait_for_exit(pid, timeout_s=10.0)
        pytest.fail("the detached run did not finish within 60 s")
    assert sorted(path.name for path in out.glob("shard-*.npz")) == ["shard-00000.npz", "shard-00001.npz"]
    log = (out / "shards.log").read_text()
    assert log.count("shard 1/2 ") == 1 and log.count("shard 2/2 ") == 1  # logged once, not echoed into it
    assert "2 shards in" in log and "error" not in log
