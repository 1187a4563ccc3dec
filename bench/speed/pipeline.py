"""Benchmark: ``petiq process`` stage by stage, on the real GE series and on a 344×344×127 simulated volume.

Each run is ``petiq process SERIES -o OUT`` in a fresh interpreter: a subprocess whose working folder and
``PYTHONPATH`` are ``--repo`` (default: this checkout), so an older checkout is profiled the same way. Modes:
``no-score`` (``--no-score``) and ``score`` (the default job); neither passes splits, so the default ``--adapt auto``
runs no adaptation. Per run:

- seconds per stage, from the run's ``result.json`` ``timings_s``;
- start-up: from launching the child to its first stage (the child's first progress call, seen by a small wrapper
  around ``cli.main.main``); where that cannot be seen, wall − stages, marked ``~``;
- wall: launch to exit, s;
- overhead = (total − denoise) / denoise, with total = the sum of the stages (start-up excluded: the issue's
  target) and, in the next column, total = wall (start-up and exit included);
- the child's peak RSS (its own ``ru_maxrss`` at exit), MB.

``--repeat N`` runs each case N times and reports the median of each column. The GE series is
``../shared/data/pet-real-ge-sts001`` beside the repository (skipped, with a line saying so, when absent); the
simulated volume is a torso at 25 % counts made with :mod:`imaging.simulation` (about 100 s and 4 GB once), cached
in ``--cache`` (default: a folder in the system's temp folder).

Targets (issue 25): overhead ≤ 15 % of the denoise time on both volumes (start-up excluded); ``--no-score``
start-up to the first stage ≤ 1.5 s.
Run: ``.venv/bin/python -m bench.speed.pipeline [--repo PATH] [--repeat 3] [--modes no-score,score]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.shared_data import GE_SERIES, REPO

SIM_SHAPE = (127, 344, 344)
SIM_SLICE_MM, SIM_FOV_MM = 2.8, 688.0
"""Slice spacing and in-plane field of view of the simulated volume, mm (2 mm pixels at 344×344)."""
SIM_LEVEL = 0.25
MODES = ("no-score", "score")
VOLUMES = ("ge", "sim")
TARGET_OVERHEAD = 0.15
TARGET_STARTUP_S = 1.5

_CHILD = """
import json, resource, sys, time
first = []
try:
    import cli.progress
    _update = cli.progress.ProgressBar.update
    def update(self, stage, fraction):
        if not first:
            first.append(time.time())
        _update(self, stage, fraction)
    cli.progress.ProgressBar.update = update
except (ImportError, AttributeError):
    pass
import cli.main
code = cli.main.main(sys.argv[2:])
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(sys.argv[1], "w") as report:
    json.dump({"first_stage_at": first[0] if first else None, "peak_rss_kb": peak_kb}, report)
getattr(cli.main, "exit_process", sys.exit)(code)  # as the console script ends, in a checkout that has it
"""


@dataclass(frozen=True, kw_only=True)
class Run:
    """One ``petiq process`` run (or the median of several): seconds per stage, start-up (s; ``observed``: seen at
    the first stage, else wall − stages), wall (s) and the child's peak RSS (MB)."""

    stages: dict[str, float]
    startup_s: float
    observed: bool
    wall_s: float
    peak_rss_mb: float

    def overhead(self, *, startup: bool) -> float:
        """(total − denoise) / denoise; total = the stages' sum, or the wall time when ``startup``; NaN without
        a denoise stage."""
        denoise = self.stages.get("denoise", 0.0)
        total = self.wall_s if startup else sum(self.stages.values())
        return (total - denoise) / denoise if denoise > 0 else math.nan

    @property
    def untimed_s(self) -> float:
        """Wall − start-up − stages: what runs after the last stage (result.json, the rename, the exit), s."""
        return self.wall_s - self.startup_s - sum(self.stages.values())


def process_run(*, repo: Path, series: Path, out: Path, score: bool) -> Run:
    """Run ``petiq process series -o out`` (``--no-score`` unless ``score``) with ``repo``'s ``cli.main`` in a fresh
    interpreter; RuntimeError with its stderr when it fails."""
    report = out.parent / f"{out.name}.child.json"
    argv = ["process", str(series), "-o", str(out), *([] if score else ["--no-score"])]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    launched, start = time.time(), time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(report), *argv], cwd=repo, env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"petiq process {series} failed ({done.returncode}): {done.stderr.strip()}")
    child = json.loads(report.read_text())
    timings = json.loads((out / "result.json").read_text())["timings_s"]
    stages = {name: float(seconds) for name, seconds in timings.items()}
    first = child["first_stage_at"]
    startup = first - launched if first is not None else wall - sum(stages.values())
    peak_mb = child["peak_rss_kb"] / 1024.0
    return Run(stages=stages, startup_s=startup, observed=first is not None, wall_s=wall, peak_rss_mb=peak_mb)


def median_run(runs: Sequence[Run]) -> Run:
    """The median of every column of ``runs`` (one stage's median over the runs that have it)."""
    names = list(dict.fromkeys(name for run in runs for name in run.stages))
    return Run(
        stages={name: statistics.median(run.stages[name] for run in runs if name in run.stages) for name in names},
        startup_s=statistics.median(run.startup_s for run in runs),
        observed=all(run.observed for run in runs),
        wall_s=statistics.median(run.wall_s for run in runs),
        peak_rss_mb=statistics.median(run.peak_rss_mb for run in runs),
    )


def simulated_series(*, cache: Path, shape: tuple[int, int, int], seed: int = 0) -> Path:
    """The folder of a simulated torso series of ``shape`` ``(z, y, x)`` voxels (slices :data:`SIM_SLICE_MM` apart,
    :data:`SIM_FOV_MM` across at any size) at :data:`SIM_LEVEL` counts, made once under ``cache`` (the simulator's
    writer stages the study and renames it into place)."""
    study = cache / f"torso-{'x'.join(map(str, shape))}-seed{seed}-{SIM_LEVEL * 100:g}pct"
    if not study.is_dir():
        from imaging.simulation.export import write_study
        from imaging.simulation.phantom import PhantomKind
        from imaging.simulation.phantoms import make_phantom
        from imaging.simulation.study import StudyRequest, simulate_study

        spacing = (SIM_SLICE_MM, SIM_FOV_MM / shape[1], SIM_FOV_MM / shape[2])
        phantom = make_phantom(kind=PhantomKind.TORSO, seed=seed, shape=shape, spacing_mm=spacing)
        request = StudyRequest(kind=PhantomKind.TORSO, seed=seed, levels=(SIM_LEVEL,))
        cache.mkdir(parents=True, exist_ok=True)
        write_study(study=simulate_study(request=request, phantom=phantom), directory=study)
    (series,) = (path.parent for path in study.glob("r00/*/0001.dcm"))
    return series


def _cells(run: Run, names: Sequence[str]) -> list[str]:
    stages = [f"{run.stages[name]:.2f}" if name in run.stages else "-" for name in names]
    startup = f"{'' if run.observed else '~'}{run.startup_s:.2f}"
    overheads = [f"{100 * run.overhead(startup=flag):.0f}%" for flag in (False, True)]
    times = [startup, f"{run.untimed_s:.2f}", f"{run.wall_s:.2f}"]
    return [*stages, *times, *overheads, f"{run.peak_rss_mb:.0f}"]


def format_table(*, rows: Sequence[tuple[str, str, Run]]) -> str:
    """One line per ``(volume, mode, run)``: seconds per stage, start-up, untimed and wall seconds, overhead without
    and with start-up, peak RSS."""
    names = list(dict.fromkeys(name for _, _, run in rows for name in run.stages))
    header = ["volume", "mode", *names, "start-up", "untimed", "wall", "overhead", "overhead+start", "peak RSS MB"]
    lines = [[volume, mode, *_cells(run, names)] for volume, mode, run in rows]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in [header, *lines]
    )


def format_targets(*, rows: Sequence[tuple[str, str, Run]]) -> str:
    """Each run's overhead (start-up excluded) against :data:`TARGET_OVERHEAD`, and each ``no-score`` run's start-up
    against :data:`TARGET_STARTUP_S`: value, ratio to the target, PASS/FAIL."""
    lines = []
    for volume, mode, run in rows:
        overhead = run.overhead(startup=False)
        verdict = "PASS" if overhead <= TARGET_OVERHEAD else "FAIL"
        lines.append(
            f"{volume} {mode}: overhead {100 * overhead:.0f}% (target ≤ {100 * TARGET_OVERHEAD:.0f}%, "
            f"ratio {overhead / TARGET_OVERHEAD:.2f}): {verdict}"
        )
        if mode == "no-score":
            verdict = "PASS" if run.startup_s <= TARGET_STARTUP_S else "FAIL"
            lines.append(
                f"{volume} {mode}: start-up {run.startup_s:.2f} s (target ≤ {TARGET_STARTUP_S} s, "
                f"ratio {run.startup_s / TARGET_STARTUP_S:.2f}): {verdict}"
            )
    return "\n".join(lines)


def _shape(text: str) -> tuple[int, int, int]:
    z, y, x = (int(part) for part in text.split(","))
    return z, y, x


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (module docstring)."""
    parser = argparse.ArgumentParser(prog="bench.speed.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose cli.main runs (default: this one)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case; the median of each column is shown")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: no-score, score")
    parser.add_argument("--volumes", default=",".join(VOLUMES), help="comma-separated: ge, sim")
    parser.add_argument("--sim-shape", type=_shape, default=SIM_SHAPE, metavar="Z,Y,X", help="simulated volume")
    cache = Path(tempfile.gettempdir()) / "petiq-pipeline-profile"
    parser.add_argument("--cache", type=Path, default=cache, help="where the simulated series is kept")
    args = parser.parse_args(argv)
    args.modes, args.volumes = args.modes.split(","), args.volumes.split(",")
    if args.repeat < 1 or not set(args.modes) <= set(MODES) or not set(args.volumes) <= set(VOLUMES):
        parser.error(f"--repeat should be ≥ 1, --modes in {MODES}, --volumes in {VOLUMES}")
    return args


def _cases(args: argparse.Namespace) -> list[tuple[str, Path]]:
    """``(label, series folder)`` of each volume asked for; a missing GE series is said and skipped."""
    cases = []
    if "ge" in args.volumes:
        if GE_SERIES.is_dir():
            cases.append(("ge 267x128x128", GE_SERIES))
        else:
            print(f"GE series not found at {GE_SERIES}: skipped")
    if "sim" in args.volumes:
        series = simulated_series(cache=args.cache, shape=args.sim_shape)
        cases.append((f"sim {'x'.join(map(str, args.sim_shape))}", series))
    return cases


def main(argv: Sequence[str] | None = None) -> int:
    """Profile every volume and mode asked for; print the table and the targets."""
    args = parse_arguments(argv)
    rows: list[tuple[str, str, Run]] = []
    with tempfile.TemporaryDirectory(prefix="petiq-profile-") as work:
        for volume, series in _cases(args):
            for mode in args.modes:
                runs = []
                for n in range(args.repeat):
                    print(f"{volume} {mode}: run {n + 1} of {args.repeat}", file=sys.stderr)
                    out = Path(work) / f"{len(rows)}-{n}"
                    runs.append(process_run(repo=args.repo, series=series, out=out, score=mode == "score"))
                rows.append((volume, mode, median_run(runs)))
    print(f"petiq process: seconds (median of {args.repeat} runs); checkout {args.repo.resolve()}")
    print("start-up: launch to first stage (~: wall − stages); untimed: after the last stage; overhead = (stages −")
    print("denoise) / denoise (start-up excluded); overhead+start = (wall − denoise) / denoise; peak RSS of the child")
    print(format_table(rows=rows))
    print("\ntargets")
    print(format_targets(rows=rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
