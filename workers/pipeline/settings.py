"""Pipeline settings: where the denoiser's weight bundle is.

The shipped bundle lives in ``<repository>/models/weights/dncnn``; the environment variable
``PETIQ_DENOISER_WEIGHTS`` overrides it, and ``petiq process --weights DIR`` overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from imaging.errors import PetiqError
from models.bundle import METADATA_NAME

__all__ = ["WEIGHTS_ENV", "default_weights_dir", "resolve_weights_dir"]

WEIGHTS_ENV = "PETIQ_DENOISER_WEIGHTS"
"""Environment variable naming the denoiser's bundle folder."""

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
