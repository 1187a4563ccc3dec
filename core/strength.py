"""The denoising strength level, shared by the job API, the settings and the pipeline.

The level is what ``petiq process --strength``, ``POST /v1/jobs`` (``strength``) and ``PETIQ_DEFAULT_STRENGTH``
choose: ``low``, ``medium`` (the default) or ``high``. Each level is a blend weight α of the denoiser's weight
bundle (:mod:`models.strength`): the output is ``input + α · (network output − input)``, so ``high`` is the
network's full output when its α is 1 and the lower levels keep more of the input's texture and of its
regional means. The level names here and :data:`models.strength.LEVELS` are one list (a test holds them equal):
the torch-free core may not import :mod:`models`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DEFAULT_STRENGTH", "LEGACY_STRENGTH", "Strength"]


class Strength(StrEnum):
    """Denoising strength level (the values of ``petiq process --strength``), from the least to the most."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


DEFAULT_STRENGTH = Strength.MEDIUM
"""The level when neither the job nor ``PETIQ_DEFAULT_STRENGTH`` names one."""
LEGACY_STRENGTH = Strength.HIGH
"""The level of a job recorded before levels existed: it kept the network's full output (α = 1, the bundles of
that time had no calibrated levels), which is ``high`` by the default blend weights."""
