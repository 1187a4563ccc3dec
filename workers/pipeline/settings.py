"""Pipeline settings: where the denoiser's weight bundle and the quality scorer are.

The shipped bundles live in ``<repository>/models/weights/dncnn`` and ``<repository>/models/weights/iqa``; the
environment variables ``PETIQ_DENOISER_WEIGHTS`` and ``PETIQ_SCORER_WEIGHTS`` override them, and ``petiq process
--weights DIR`` / ``--scorer DIR`` override both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from imaging.errors import PetiqError
from models.bundle_info import METADATA_NAME
from models.iqa.bundle import INFO_NAME as SCORER_INFO_NAME

__all__ = [
    "SCORER_ENV",
    "WEIGHTS_ENV",
    "default_scorer_dir",
    "default_weights_dir",
    "resolve_scorer_dir",
    "resolve_weights_dir",
]

WEIGHTS_ENV = "PETIQ_DENOISER_WEIGHTS"
"""Environment variable naming the denoiser's bundle folder."""

SCORER_ENV = "PETIQ_SCORER_WEIGHTS"
"""Environment variable naming the quality scorer's folder."""

_REPOSITORY = Path(__file__).resolve().parents[2]


def default_weights_dir(*, environ: Mapping[str, str] | None = None) -> Path:
    """``$PETIQ_DENOISER_WEIGHTS`` when set and not empty, else ``<repository>/models/weights/dncnn``."""
    value = (os.environ if environ is None else environ).get(WEIGHTS_ENV, "").strip()
    return Path(value) if value else _REPOSITORY / "models" / "weights" / "dncnn"


def resolve_weights_dir(*, override: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The bundle folder to use: ``override`` when given (checked later, by the bundle loader), else the default.

    Raises:
        PetiqError: (check ``weights``) the default folder holds no bundle: a set-up problem, not bad input.
    """
    if override is not None:
        return override
    directory = default_weights_dir(environ=environ)
    if not (directory / METADATA_NAME).is_file():
        raise PetiqError(
            f"no denoiser weights in {directory}; train them with petiq train denoiser or set {WEIGHTS_ENV}",
            check="weights",
            path=str(directory),
        )
    return directory


def default_scorer_dir(*, environ: Mapping[str, str] | None = None) -> Path:
    """``$PETIQ_SCORER_WEIGHTS`` when set and not empty, else ``<repository>/models/weights/iqa``."""
    value = (os.environ if environ is None else environ).get(SCORER_ENV, "").strip()
    return Path(value) if value else _REPOSITORY / "models" / "weights" / "iqa"


def resolve_scorer_dir(*, override: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """The scorer folder to use: ``override`` when given (checked by the loader), else the default.

    Raises:
        PetiqError: (check ``scorer_weights``) the default folder holds no scorer: a set-up problem.
    """
    if override is not None:
        return override
    directory = default_scorer_dir(environ=environ)
    if not (directory / SCORER_INFO_NAME).is_file():
        raise PetiqError(
            f"no quality scorer in {directory}; train it with petiq train scorer, set {SCORER_ENV}, "
            "or run without scoring (--no-score)",
            check="scorer_weights",
            path=str(directory),
        )
    return directory
