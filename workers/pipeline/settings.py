"""Pipeline settings: the denoiser's weight bundle and the quality scorer the job uses.

The folders come from :mod:`core.weights` (``Settings.denoiser_weights`` / ``PETIQ_DENOISER_WEIGHTS`` and
``Settings.scorer_weights`` / ``PETIQ_SCORER_WEIGHTS``, else the shipped ``models/weights/dncnn`` and
``models/weights/iqa``); ``petiq process --weights DIR`` / ``--scorer DIR`` override both. Here the default
folder is checked to hold weights, so that a missing default reads as a set-up problem, not as bad input.
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from core.weights import SCORER_ENV, WEIGHTS_ENV, denoiser_weights_dir, scorer_weights_dir
from imaging.errors import PetiqError
from models.bundle_info import METADATA_NAME
from models.iqa.bundle import INFO_NAME as SCORER_INFO_NAME

__all__ = ["SCORER_ENV", "WEIGHTS_ENV", "resolve_scorer_dir", "resolve_weights_dir"]


def resolve_weights_dir(*, override: Path | None, settings: Settings) -> Path:
    """The bundle folder to use: ``override`` when given (checked later, by the bundle loader), else
    :func:`core.weights.denoiser_weights_dir`.

    Raises:
        PetiqError: (check ``weights``) the default folder holds no bundle: a set-up problem, not bad input.
    """
    if override is not None:
        return override
    directory = denoiser_weights_dir(settings=settings)
    if not (directory / METADATA_NAME).is_file():
        raise PetiqError(
            f"no denoiser weights in {directory}; train them with petiq train denoiser or set {WEIGHTS_ENV}",
            check="weights",
            path=str(directory),
        )
    return directory


def resolve_scorer_dir(*, override: Path | None, settings: Settings) -> Path:
    """The scorer folder to use: ``override`` when given (checked by the loader), else
    :func:`core.weights.scorer_weights_dir`.

    Raises:
        PetiqError: (check ``scorer_weights``) the default folder holds no scorer: a set-up problem.
    """
    if override is not None:
        return override
    directory = scorer_weights_dir(settings=settings)
    if not (directory / SCORER_INFO_NAME).is_file():
        raise PetiqError(
            f"no quality scorer in {directory}; train it with petiq train scorer, set {SCORER_ENV}, "
            "or run without scoring (--no-score)",
            check="scorer_weights",
            path=str(directory),
        )
    return directory
