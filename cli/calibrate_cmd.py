"""``petiq iqa-calibrate --labels CSV --series-root DIR -o MODEL_DIR``: fit the scorer to a site's clinicians.

::

    petiq iqa-calibrate --labels scores.csv --series-root DIR -o MODEL_DIR [--scorer DIR] [--steps 300] [--seed 0]

The CSV (``series,gqr,pr,dc``; :mod:`models.iqa.site_labels`) scores series found under ``--series-root``. Prints
the leave-one-patient-out MAE, % exact, % within ±0.5 and Spearman per metric, and writes a new scorer with its
model card to ``MODEL_DIR``; point ``petiq score --scorer``, ``petiq process --scorer`` or the service
(``PETIQ_SCORER_WEIGHTS``) at it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add ``iqa-calibrate`` to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "iqa-calibrate", help="refit the quality scorer to a site's clinician scores"
    )
    parser.add_argument("--labels", required=True, type=Path, metavar="CSV", help="series,gqr,pr,dc per line")
    parser.add_argument("--series-root", required=True, type=Path, metavar="DIR", help="folder of the series")
    parser.add_argument("-o", "--out", required=True, type=Path, metavar="MODEL_DIR", help="new scorer folder")
    parser.add_argument("--scorer", type=Path, metavar="DIR", help="scorer to start from (default: shipped)")
    parser.add_argument("--steps", type=int, default=300, help="optimiser steps per fit")
    parser.add_argument("--seed", type=int, default=0, help="seed of patches and fits")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Calibrate; print the figures and where the new scorer is."""
    from core.settings import Settings
    from models.iqa.labels import METRICS
    from models.iqa.site_run import calibrate_site
    from workers.pipeline.settings import resolve_scorer_dir

    result = calibrate_site(
        labels_csv=args.labels,
        series_root=args.series_root,
        weights=resolve_scorer_dir(override=args.scorer, settings=Settings()),
        out=args.out,
        steps=args.steps,
        seed=args.seed,
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(f"leave-one-patient-out over {result.fit.patients} patients, {result.series} series:")
    print("metric  MAE before  MAE after  exact %  within ±0.5 %  Spearman")
    for metric in METRICS:
        before, after = result.fit.before[metric], result.fit.after[metric]
        print(
            f"{metric.upper():<6}  {before['mae']:10.2f}  {after['mae']:9.2f}  {after['exact']:7.0f}  "
            f"{after['within_half']:13.0f}  {after['spearman']:8.2f}"
        )
    print(f"scorer in {args.out} (calibration: {result.info.calibration})")
    return 0
