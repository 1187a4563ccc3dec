"""Where the weights are, torch-free: the one locator the pipeline, the gateway's readiness and the CLI use.

``Settings.denoiser_weights`` (``PETIQ_DENOISER_WEIGHTS``) names the denoiser's bundle folder and
``Settings.scorer_weights`` (``PETIQ_SCORER_WEIGHTS``) the quality scorer's; unset (or blank), the shipped
``models/weights/dncnn`` and ``models/weights/iqa`` of this checkout. They are located by path, next to this
package: nothing here imports :mod:`models` (the gateway must not load torch to answer ``/readyz``). Whether a
folder holds usable weights is for the caller to check (the loader, or the readiness check).
"""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings

__all__ = [
    "SCORER_ENV",
    "SHIPPED_DENOISER",
    "SHIPPED_SCORER",
    "WEIGHTS_ENV",
    "denoiser_weights_dir",
    "scorer_weights_dir",
]

WEIGHTS_ENV = "PETIQ_DENOISER_WEIGHTS"
"""Environment variable of ``Settings.denoiser_weights``."""
SCORER_ENV = "PETIQ_SCORER_WEIGHTS"
"""Environment variable of ``Settings.scorer_weights``."""

_REPOSITORY = Path(__file__).resolve().parents[1]
SHIPPED_DENOISER = _REPOSITORY / "models" / "weights" / "dncnn"
"""The shipped denoiser bundle folder."""
SHIPPED_SCORER = _REPOSITORY / "models" / "weights" / "iqa"
"""The shipped quality scorer folder."""


def denoiser_weights_dir(*, settings: Settings) -> Path:
    """``settings.denoiser_weights`` when set, else :data:`SHIPPED_DENOISER`."""
    return settings.denoiser_weights or SHIPPED_DENOISER


def scorer_weights_dir(*, settings: Settings) -> Path:
    """``settings.scorer_weights`` when set, else :data:`SHIPPED_SCORER`."""
    return settings.scorer_weights or SHIPPED_SCORER
