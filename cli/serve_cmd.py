"""``petiq serve`` and ``petiq worker``: not built yet (the service issue); they say so instead of faking one."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``serve`` and ``worker`` to the ``petiq`` subcommands."""
    for name, what in (("serve", "the DICOMweb gateway"), ("worker", "a Celery worker")):
        parser: argparse.ArgumentParser = subparsers.add_parser(name, help=f"run {what} (not built yet)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.set_defaults(func=_not_built)


def _not_built(args: argparse.Namespace) -> int:
    print(
        f"petiq {args.command}: the service is not built yet (see the service issue); "
        "use `petiq inspect` or `petiq simulate` meanwhile",
        file=sys.stderr,
    )
    return 1
