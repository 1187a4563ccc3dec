"""``petiq simulate-shards``: write training shards (2.5D patches of simulated studies), resumable, optionally
in the background.

::

    petiq simulate-shards --out DIR --studies N --seed S [--kinds brain,torso] [--protocols v1,v2]
        [--levels 0.005,0.01,0.05,0.1,0.25,0.5] [--patch 64] [--patches-per-level 16]
        [--shape Z,Y,X] [--spacing-mm Z,Y,X] [--lesion-fraction F] [--lesions MIN,MAX]
        [--lesion-hosts liver,lung,soft_tissue] [--lesion-diameter-mm MIN,MAX] [--detach]

Rerun the same command to resume. ``--detach`` checks the settings, starts the same command without it in a new
session (output to ``DIR/shards.log``), writes its pid to ``DIR/shards.pid`` and returns at once. ``--shape`` and
``--spacing-mm`` shrink the phantom grid (quick runs and tests); the default is each family's own grid.
``--lesion-fraction`` centres that fraction of each level's patches near a lesion (torsos); ``--lesions`` sets how
many lesions each torso draws, ``--lesion-hosts`` where (equally likely) and ``--lesion-diameter-mm`` how large.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from cli.background import detach, stderr_is
from imaging.errors import InputError
from imaging.simulation.phantom import PhantomKind
from imaging.simulation.phantoms.torso import LESION_HOSTS
from imaging.simulation.shard_store import (
    LOG_NAME,
    append_log,
    check_unlocked,
    make_directory,
    prepare_directory,
    run_shards,
)
from imaging.simulation.shards import DEFAULT_SHARD_LEVELS, ShardConfig

__all__ = ["PID_NAME", "child_argv", "config_from_args", "register", "run"]

PID_NAME = "shards.pid"

T = TypeVar("T")


def register(subparsers: Any) -> None:
    """Add ``simulate-shards`` to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate-shards", help="write training shards of simulated studies (resumable)"
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for the shards and manifest")
    parser.add_argument("--studies", required=True, type=int, metavar="N", help="number of studies (shards)")
    parser.add_argument("--seed", required=True, type=int, metavar="S", help="base seed; study i uses S+i")
    parser.add_argument("--kinds", default="brain,torso", help="phantom families (comma-separated; no nema)")
    parser.add_argument("--protocols", default="v1,v2", help="reconstruction protocols (comma-separated)")
    parser.add_argument(
        "--levels", default=",".join(f"{level:g}" for level in DEFAULT_SHARD_LEVELS), help="input count levels"
    )
    parser.add_argument("--patch", type=int, default=64, metavar="P", help="patch side, voxels")
    parser.add_argument("--patches-per-level", type=int, default=16, metavar="K", help="patches per level and study")
    parser.add_argument("--shape", default=None, metavar="Z,Y,X", help="phantom grid (default: the family's)")
    parser.add_argument("--spacing-mm", default=None, metavar="Z,Y,X", help="voxel size, mm (default: the family's)")
    parser.add_argument(
        "--lesion-fraction", type=float, default=0.0, metavar="F", help="fraction of patches centred near a lesion"
    )
    parser.add_argument("--lesions", default=None, metavar="MIN,MAX", help="lesions per torso (default: 1,6)")
    parser.add_argument(
        "--lesion-hosts", default=None, metavar="T,...", help="tissues lesions sit in (default: liver,lung,soft_tissue)"
    )
    parser.add_argument(
        "--lesion-diameter-mm", default=None, metavar="MIN,MAX", help="lesion diameters, mm (default: 6,30)"
    )
    parser.add_argument("--detach", action="store_true", help="run in the background; progress in DIR/shards.log")
    parser.set_defaults(func=run)


def _split(*, text: str, name: str, parse: Callable[[str], T], what: str) -> tuple[T, ...]:
    try:
        return tuple(parse(item.strip()) for item in text.split(","))
    except ValueError:
        raise InputError(
            f"Argument '{name}' should be a comma-separated list of {what}, got {text!r}.", check=name
        ) from None


def _host(text: str) -> str:
    if text not in LESION_HOSTS:
        raise ValueError(text)
    return text


def config_from_args(*, args: argparse.Namespace) -> ShardConfig:
    """The :class:`ShardConfig` of parsed ``simulate-shards`` arguments; InputError for unusable values."""
    shape = _split(text=args.shape, name="shape", parse=int, what="integers") if args.shape else None
    spacing = _split(text=args.spacing_mm, name="spacing-mm", parse=float, what="numbers") if args.spacing_mm else None
    if (shape is not None and len(shape) != 3) or (spacing is not None and len(spacing) != 3):
        raise InputError(
            f"Arguments 'shape' and 'spacing-mm' should be 3 values Z,Y,X, got {args.shape!r} and {args.spacing_mm!r}.",
            check="shape",
        )
    lesions = _split(text=args.lesions, name="lesions", parse=int, what="integers") if args.lesions else None
    if lesions is not None and len(lesions) != 2:
        raise InputError(f"Argument 'lesions' should be 2 values MIN,MAX, got {args.lesions!r}.", check="lesions")
    hosts = None
    if args.lesion_hosts:
        hosts = _split(text=args.lesion_hosts, name="lesion-hosts", parse=_host, what=f"tissues {LESION_HOSTS}")
    diameter = (
        _split(text=args.lesion_diameter_mm, name="lesion-diameter-mm", parse=float, what="numbers")
        if args.lesion_diameter_mm
        else None
    )
    if diameter is not None and len(diameter) != 2:
        raise InputError(
            f"Argument 'lesion-diameter-mm' should be 2 values MIN,MAX, got {args.lesion_diameter_mm!r}.",
            check="lesions",
        )
    return ShardConfig(
        studies=args.studies,
        seed=args.seed,
        kinds=_split(text=args.kinds, name="kinds", parse=PhantomKind, what="phantom kinds (brain, torso)"),
        protocols=_split(text=args.protocols, name="protocols", parse=str, what="protocol names"),
        levels=_split(text=args.levels, name="levels", parse=float, what="numbers"),
        patch=args.patch,
        patches_per_level=args.patches_per_level,
        shape=(shape[0], shape[1], shape[2]) if shape else None,
        spacing_mm=(spacing[0], spacing[1], spacing[2]) if spacing else None,
        lesion_fraction=args.lesion_fraction,
        lesions=(lesions[0], lesions[1]) if lesions else None,
        lesion_hosts=hosts,
        lesion_diameter_mm=(diameter[0], diameter[1]) if diameter else None,
    )


def child_argv(*, out: Path, config: ShardConfig) -> list[str]:
    """The ``petiq`` arguments (after the program) that run ``config`` into ``out`` in the foreground."""
    argv = ["simulate-shards", "--out", str(out), "--studies", str(config.studies), "--seed", str(config.seed)]
    argv += ["--kinds", ",".join(str(kind) for kind in config.kinds), "--protocols", ",".join(config.protocols)]
    argv += ["--levels", ",".join(repr(level) for level in config.levels), "--patch", str(config.patch)]
    argv += ["--patches-per-level", str(config.patches_per_level)]
    if config.shape is not None:
        argv += ["--shape", ",".join(str(size) for size in config.shape)]
    if config.spacing_mm is not None:
        argv += ["--spacing-mm", ",".join(repr(size) for size in config.spacing_mm)]
    if config.lesion_fraction:
        argv += ["--lesion-fraction", repr(config.lesion_fraction)]
    if config.lesions is not None:
        argv += ["--lesions", ",".join(str(count) for count in config.lesions)]
    if config.lesion_hosts is not None:
        argv += ["--lesion-hosts", ",".join(config.lesion_hosts)]
    if config.lesion_diameter_mm is not None:
        argv += ["--lesion-diameter-mm", ",".join(repr(size) for size in config.lesion_diameter_mm)]
    return argv


def _detach(*, out: Path, config: ShardConfig) -> int:
    make_directory(out=out)
    prepare_directory(out=out, config=config)
    check_unlocked(out=out)
    return detach(
        argv=child_argv(out=out, config=config),
        log_path=out / LOG_NAME,
        pid_path=out / PID_NAME,
        label="simulate-shards",
    )


def run(args: argparse.Namespace) -> int:
    """Write the shards (or start doing so in the background with ``--detach``)."""
    config = config_from_args(args=args)
    out = Path(args.out).resolve()
    if args.detach:
        return _detach(out=out, config=config)
    make_directory(out=out)
    echo = not stderr_is(out / LOG_NAME)

    def log(line: str) -> None:
        append_log(out=out, line=line)
        if echo:
            print(line, file=sys.stderr, flush=True)

    summary = run_shards(out=out, config=config, log=log)
    print(f"{summary.total} shards in {out} ({summary.written} written now, {summary.skipped} already there)")
    return 0
