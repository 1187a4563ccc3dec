"""The per-stage pipeline profile: its table and targets, its arguments, a missing GE series, and one real run of
both modes on a tiny simulated volume."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from bench.speed import pipeline as pipeline_module
from bench.speed.pipeline import Run, format_table, format_targets, main, median_run, parse_arguments

COLUMNS = ("start-up", "untimed", "wall", "overhead", "overhead+start", "peak RSS MB")


def _run(*, denoise: float, write: float, startup: float = 1.0, observed: bool = True) -> Run:
    stages = {"load": 1.0, "denoise": denoise, "write": write}
    return Run(
        stages=stages,
        startup_s=startup,
        observed=observed,
        wall_s=startup + sum(stages.values()) + 0.5,
        peak_rss_mb=512.0,
    )


def test_overhead_with_and_without_start_up() -> None:
    run = _run(denoise=10.0, write=1.0, startup=2.0)
    assert run.overhead(startup=False) == pytest.approx(0.2)  # (12 − 10) / 10
    assert run.overhead(startup=True) == pytest.approx(0.45)  # (14.5 − 10) / 10
    assert run.untimed_s == pytest.approx(0.5)
    assert math.isnan(
        Run(stages={"load": 1.0}, startup_s=0, observed=True, wall_s=1, peak_rss_mb=1).overhead(startup=False)
    )


def test_median_takes_each_column_apart() -> None:
    runs = [_run(denoise=d, write=w, startup=s) for d, w, s in ((10, 3, 1), (12, 1, 5), (11, 2, 3))]
    median = median_run(runs)
    assert median.stages == {"load": 1.0, "denoise": 11.0, "write": 2.0}
    assert median.startup_s == 3.0 and median.observed


def test_table_has_every_stage_and_column_and_targets_give_ratios() -> None:
    rows = [
        ("ge", "no-score", _run(denoise=10.0, write=0.5)),
        ("sim", "score", _run(denoise=20.0, write=9.0, observed=False)),
    ]
    header, *lines = format_table(rows=rows).splitlines()
    assert header.split()[:5] == ["volume", "mode", "load", "denoise", "write"]
    assert all(column in header for column in COLUMNS) and len(lines) == 2
    assert lines[0].split()[:5] == ["ge", "no-score", "1.00", "10.00", "0.50"] and "15%" in lines[0]
    assert "~1.00" in lines[1] and "512" in lines[1]
    targets = format_targets(rows=rows).splitlines()
    assert targets[0] == "ge no-score: overhead 15% (target ≤ 15%, ratio 1.00): PASS"
    assert targets[1] == "ge no-score: start-up 1.00 s (target ≤ 1.5 s, ratio 0.67): PASS"
    assert targets[2] == "sim score: overhead 50% (target ≤ 15%, ratio 3.33): FAIL"
    assert len(targets) == 3  # the start-up target is the no-score job's


def test_arguments(tmp_path: Path) -> None:
    args = parse_arguments(["--repo", str(tmp_path), "--repeat", "3", "--modes", "score", "--sim-shape", "8,48,48"])
    assert (args.repo, args.repeat, args.modes, args.volumes) == (tmp_path, 3, ["score"], ["ge", "sim"])
    assert args.sim_shape == (8, 48, 48)
    for wrong in (["--repeat", "0"], ["--modes", "fast"], ["--volumes", "ct"]):
        with pytest.raises(SystemExit):
            parse_arguments(wrong)


def test_a_missing_ge_series_is_said_and_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(pipeline_module, "GE_SERIES", tmp_path / "absent")
    assert main(["--volumes", "ge"]) == 0
    out = capsys.readouterr().out
    assert f"GE series not found at {tmp_path / 'absent'}: skipped" in out and "targets" in out


@pytest.mark.slow
def test_a_real_run_of_both_modes_prints_every_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--volumes", "sim", "--sim-shape", "8,48,48", "--cache", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("volume"))
    assert header.split()[2:9] == ["load", "adapt", "denoise", "uncertainty", "qc", "score", "write"]
    assert all(column in header for column in COLUMNS)
    # sim 8x48x48 MODE, 7 stages, start-up, untimed, wall, 2 overheads, RSS
    rows = {
        line.split()[2]: line.split() for line in out.splitlines() if line.startswith("sim 8x48x48") and ":" not in line
    }
    assert set(rows) == {"no-score", "score"} and all(len(row) == 16 for row in rows.values())
    assert float(rows["no-score"][8]) == 0.0 < float(rows["score"][8])  # the score stage
    assert "sim 8x48x48 no-score: start-up" in out and not rows["no-score"][10].startswith("~")
