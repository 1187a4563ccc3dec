"""``petiq score DIR [--json] [--scorer DIR] [--seed N]``: GQR, PR and DC of one PET series.

Text output: one line per score (rounded to 0.5, the raw value and its uncertainty) and the calibration the
scores come from. ``--json`` prints the ``scores`` section of result.json (keys ``gqr, pr, dc, raw,
uncertainty, calibration, n_patches, seed``) with the series UID. The scorer is ``--scorer``, else
``$PETIQ_SCORER_WEIGHTS``, else the shipped one.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

__all__ = ["format_text", "register", "run"]

_NAMES = {"gqr": "GQR (global quality)", "pr": "PR (pathology recognisable)", "dc": "DC (diagnostic confidence)"}


def register(subparsers: Any) -> None:
    """Add ``score`` to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser("score", help="GQR/PR/DC image-quality scores")
    parser.add_argument("directory", metavar="DIR", type=Path, help="folder holding one PET series")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--scorer", type=Path, metavar="DIR", help="quality scorer folder (default: shipped)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the patch positions (recorded)")
    parser.set_defaults(func=run)


def format_text(*, scores: dict[str, Any]) -> str:
    """The scores as aligned lines, then the calibration."""
    lines = [
        f"{_NAMES[key]:<29} {scores[key]:.1f}  (raw {scores['raw'][key]:.2f} ± {scores['uncertainty'][key]:.2f})"
        for key in _NAMES
    ]
    lines.append(f"{'calibration':<29} {scores['calibration']}")
    lines.append(f"{'patches':<29} {scores['n_patches']} (seed {scores['seed']})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Score the series in ``args.directory``; InputError for unusable input."""
    from core.settings import Settings
    from imaging.dicom.reader import read_pet_series
    from models.iqa.bundle import load_scorer
    from models.iqa.scoring import score_volume
    from workers.pipeline.settings import resolve_scorer_dir

    scorer = load_scorer(directory=resolve_scorer_dir(override=args.scorer, settings=Settings()))
    series = read_pet_series(source=args.directory)
    scores = score_volume(volume=series.volume.voxels, scorer=scorer, seed=args.seed).to_dict()
    if args.json:
        print(json.dumps({"series_uid": series.volume.uids.series_uid, **scores}, indent=2))
    else:
        print(format_text(scores=scores))
    return 0
