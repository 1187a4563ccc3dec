"""Benchmark: seconds to make one 128×128×64 torso study at 7 count levels with half-count splits.

Prints a table of the stages measured in one run and the ratio to the 60 s target (issue "PET simulator").
Run: ``.venv/bin/python -m bench.speed.simulate [--seed N] [--protocol v1|v2] [--write]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from imaging.simulation.acquisition import DEFAULT_LEVELS
from imaging.simulation.export import write_study
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms import make_phantom
from imaging.simulation.study import StudyRequest, simulate_study

TARGET_S = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--protocol", default="v1")
    parser.add_argument("--write", action="store_true", help="also time writing every series as DICOM")
    args = parser.parse_args()

    rows: list[tuple[str, float]] = []
    start = time.perf_counter()
    phantom = make_phantom(kind=PhantomKind.TORSO, seed=args.seed, variant="low_bmi")
    rows.append(("phantom 64x128x128", time.perf_counter() - start))

    request = StudyRequest(
        kind=PhantomKind.TORSO, seed=args.seed, levels=DEFAULT_LEVELS, split=True, protocol=args.protocol
    )
    start = time.perf_counter()
    study = simulate_study(request=request, phantom=phantom)
    rows.append((f"acquire + {len(study.series) + 1} OSEM recons ({args.protocol})", time.perf_counter() - start))

    if args.write:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            write_study(study=study, directory=Path(folder) / "study")
            rows.append((f"write {len(study.series)} DICOM series + npz", time.perf_counter() - start))

    total = sum(seconds for _, seconds in rows)
    print(f"cores: {os.cpu_count()}  levels: {', '.join(f'{level:g}' for level in DEFAULT_LEVELS)}  splits: yes")
    print(f"{'stage':<44} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:<44} {seconds:8.2f}")
    print(f"{'total':<44} {total:8.2f}")
    verdict = "met" if total <= TARGET_S else "MISSED"
    print(f"target {TARGET_S:.0f} s; total / target = {total / TARGET_S:.2f} ({verdict})")


if __name__ == "__main__":
    main()
