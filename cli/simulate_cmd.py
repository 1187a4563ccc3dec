"""``petiq simulate``: phantoms → ORIGINAL PET DICOM series at chosen count levels, with the truth beside them."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from imaging.errors import InputError
from imaging.simulation.acquisition import DEFAULT_LEVELS
from imaging.simulation.export import write_study
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.protocols import PROTOCOLS
from imaging.simulation.study import StudyRequest, simulate_study

__all__ = ["parse_levels", "register"]

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``simulate`` to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate", help="simulate a PET study: DICOM series per count level (+ splits) and the truth"
    )
    parser.add_argument("--phantom", required=True, choices=[kind.value for kind in PhantomKind])
    parser.add_argument(
        "--counts",
        default=",".join(f"{level:g}" for level in DEFAULT_LEVELS),
        help="count levels as fractions of the full clinical level or percentages, e.g. 1,0.1 or 100%%,5%% "
        "(default: %(default)s)",
    )
    parser.add_argument("--split", action="store_true", help="also write two independent half-count splits")
    parser.add_argument("--protocol", default="v1", choices=sorted(PROTOCOLS), help="reconstruction protocol")
    parser.add_argument("--variant", default=None, help="torso: low_bmi|high_bmi; brain: normal|ad|ftd|unilateral")
    parser.add_argument("--ood", default="", help="torso out-of-distribution features: catheter,bladder")
    parser.add_argument("--realizations", type=int, default=1, help="independent noise realisations R")
    parser.add_argument("--seed", type=int, required=True, help="seeds phantom and noise; same seed, same study")
    parser.add_argument("--out", required=True, type=Path, help="new or empty output folder")
    parser.add_argument("--json", action="store_true", help="print the study manifest as JSON")
    parser.set_defaults(func=run)


def parse_levels(*, text: str) -> tuple[float, ...]:
    """``"1,0.1"`` or ``"100%,10%"`` → ``(1.0, 0.1)``; raises InputError naming the bad item."""
    levels = []
    for item in (part.strip() for part in text.split(",")):
        try:
            level = float(item[:-1]) / 100 if item.endswith("%") else float(item)
        except ValueError:
            raise InputError(f"Argument '--counts' has a non-number {item!r}.", check="counts") from None
        if not 0 < level <= 1:
            raise InputError(f"Argument '--counts' should be in (0, 1] or (0%, 100%], got {item!r}.", check="counts")
        levels.append(level)
    if len(set(levels)) != len(levels):
        raise InputError(f"Argument '--counts' repeats a level: {text!r}.", check="counts")
    return tuple(levels)


def _request(args: argparse.Namespace) -> StudyRequest:
    if args.realizations < 1:
        raise InputError("Argument '--realizations' should be at least 1.", check="realizations")
    ood = tuple(item.strip() for item in args.ood.split(",") if item.strip())
    return StudyRequest(
        kind=PhantomKind(args.phantom),
        seed=args.seed,
        levels=parse_levels(text=args.counts),
        split=args.split,
        protocol=args.protocol,
        ood=ood,
        realizations=args.realizations,
        variant=args.variant,
    )


def run(args: argparse.Namespace) -> int:
    """Simulate, write the study to ``args.out`` and print where each series went."""
    request = _request(args)
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError("Argument '--out' should be a new or empty folder.", check="output_empty", path=str(out))
    log.info("simulating %s seed %d at %s", request.kind.value, request.seed, request.levels)
    study = simulate_study(request=request)
    write_study(study=study, directory=out)
    manifest = json.loads((out / "study.json").read_text())
    if args.json:
        print(json.dumps(manifest, indent=2))
        return 0
    print(f"study {manifest['study_uid']} ({request.kind.value}, {study.phantom.variant}, {request.protocol}) → {out}")
    for entry in manifest["series"]:
        print(f"  {entry['path']:<32} {entry['series_uid']}")
    print(f"  {'study.npz':<32} truth, noise-free reference, masks")
    return 0
