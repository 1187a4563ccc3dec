"""``petiq inspect DIR [--json]``: a PET series' summary."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``inspect`` to the ``petiq`` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser("inspect", help="summarise a PET DICOM series")
    parser.add_argument("directory", metavar="DIR", help="folder holding one PET series")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read the series in ``args.directory`` and print its summary."""
    raise SystemExit("petiq inspect: the series reader lands with the foundation issue")
